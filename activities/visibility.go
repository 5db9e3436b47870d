package activities

import (
	"context"
	"strings"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// EngagementIDs pages through a visibility query and returns the engagement workflow IDs it
// finds (other workflow types are skipped). The activities and the ingress's contractor
// updates share it.
func EngagementIDs(ctx context.Context, c client.Client, query string) ([]string, error) {
	var out []string
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token, PageSize: 500})
		if err != nil {
			return nil, err
		}
		for _, ex := range resp.Executions {
			if id := ex.GetExecution().GetWorkflowId(); strings.HasPrefix(id, engagementPrefix) {
				out = append(out, id)
			}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out, nil
		}
	}
}

// engagementPrefix starts every engagement workflow ID (workflows.EngagementWorkflowID).
const engagementPrefix = "engagement:"

// Quoteless strips quotes so an outside value cannot change a visibility query.
func Quoteless(s string) string { return strings.NewReplacer("'", "", `"`, "", `\`, "").Replace(s) }
