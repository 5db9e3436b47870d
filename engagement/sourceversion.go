package engagement

import (
	"context"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// RunningSourceVersions reads, from the visibility listing, the running engagements of a
// platform and the version of the platform record each last applied (KeySourceVersion; empty
// when it has published none). A poller compares against it before signalling anyone.
func RunningSourceVersions(ctx context.Context, c client.Client, vendor string) (map[string]string, error) {
	q := Engagements().Running().Where(KeyVendor, vendor).String()
	out := map[string]string{}
	dc := converter.GetDefaultDataConverter()
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, NextPageToken: token, PageSize: 1000})
		if err != nil {
			return nil, err
		}
		for _, ex := range resp.Executions {
			v, id, ok := ParseWorkflowID(ex.GetExecution().GetWorkflowId())
			if !ok || v != vendor {
				continue
			}
			var version string
			if p := ex.GetSearchAttributes().GetIndexedFields()[KeySourceVersion.GetName()]; p != nil {
				_ = dc.FromPayload(p, &version)
			}
			out[id] = version
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out, nil
		}
	}
}
