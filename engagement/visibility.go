package engagement

import (
	"context"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Query is a visibility query over one workflow type, built clause by clause; values from
// outside are stripped of quotes so they cannot change the query.
type Query struct{ clauses []string }

// Engagements selects engagement workflows.
func Engagements() Query { return WorkflowsOfType(WorkflowEngagement) }

// WorkflowsOfType selects the workflows of one type (one of the Workflow* names).
func WorkflowsOfType(workflowType string) Query {
	return Query{clauses: []string{"WorkflowType = '" + quoteless(workflowType) + "'"}}
}

// WorkflowsOfTypes selects the workflows of any of several types.
func WorkflowsOfTypes(workflowTypes ...string) Query {
	quoted := make([]string, len(workflowTypes))
	for i, t := range workflowTypes {
		quoted[i] = "'" + quoteless(t) + "'"
	}
	return Query{clauses: []string{"WorkflowType IN (" + strings.Join(quoted, ", ") + ")"}}
}

// Running keeps the open ones.
func (q Query) Running() Query { return q.and("ExecutionStatus = 'Running'") }

// Completed keeps those that completed.
func (q Query) Completed() Query { return q.and("ExecutionStatus = 'Completed'") }

// Where keeps those whose search attribute equals value.
func (q Query) Where(key temporal.SearchAttributeKey, value string) Query {
	return q.and(key.GetName() + " = '" + quoteless(value) + "'")
}

// WhereAny keeps those whose search attribute is one of values (none: no filter).
func (q Query) WhereAny(key temporal.SearchAttributeKey, values []string) Query {
	if len(values) == 0 {
		return q
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + quoteless(v) + "'"
	}
	return q.and(key.GetName() + " IN (" + strings.Join(quoted, ", ") + ")")
}

// Before keeps those whose time attribute is before t.
func (q Query) Before(key temporal.SearchAttributeKeyTime, t time.Time) Query {
	return q.and(key.GetName() + " < '" + t.UTC().Format(time.RFC3339) + "'")
}

// ActiveSince keeps those running, or closed at or after t.
func (q Query) ActiveSince(t time.Time) Query {
	return q.and("(ExecutionStatus = 'Running' OR CloseTime >= '" + t.UTC().Format(time.RFC3339) + "')")
}

func (q Query) and(clause string) Query {
	return Query{clauses: append(append([]string(nil), q.clauses...), clause)}
}

// String is the query as Temporal's visibility reads it.
func (q Query) String() string { return strings.Join(q.clauses, " AND ") }

// EngagementIDs pages through a visibility query and returns the engagement workflow IDs it
// finds (other workflow types are skipped).
func EngagementIDs(ctx context.Context, c client.Client, q Query) ([]string, error) {
	var out []string
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q.String(), NextPageToken: token, PageSize: 500})
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

func quoteless(s string) string { return strings.NewReplacer("'", "", `"`, "", `\`, "").Replace(s) }

// Summary is one engagement as visibility lists it: its search attributes, no personal data.
type Summary struct {
	WorkflowID        string            `json:"workflow_id"`
	Vendor            string            `json:"vendor"`
	EngagementID      string            `json:"engagement_id"`
	CoverageStatus    CoverageStatus    `json:"coverage_status"`
	CertificateStatus CertificateStatus `json:"certificate_status"`
	CoverageStart     time.Time         `json:"-"`
	Started           time.Time         `json:"-"` // when the workflow started
	Running           bool              `json:"-"`
	SourceVersion     string            `json:"-"` // the platform record's version it last applied
}

// Page is one page of a listing; an empty NextPageToken ends it.
type Page struct {
	Engagements   []Summary
	NextPageToken []byte
}

// List reads one page of the engagements a query selects.
func List(ctx context.Context, c client.Client, q Query, size int, token []byte) (Page, error) {
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q.String(), PageSize: int32(size), NextPageToken: token})
	if err != nil {
		return Page{}, err
	}
	page := Page{Engagements: make([]Summary, 0, len(resp.Executions)), NextPageToken: resp.NextPageToken}
	dc := converter.GetDefaultDataConverter()
	for _, ex := range resp.Executions {
		item := Summary{WorkflowID: ex.GetExecution().GetWorkflowId(), Started: ex.GetStartTime().AsTime(),
			Running: ex.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}
		item.Vendor, item.EngagementID, _ = ParseWorkflowID(item.WorkflowID)
		fields := ex.GetSearchAttributes().GetIndexedFields()
		_ = dc.FromPayload(fields[KeyCoverageStatus.GetName()], &item.CoverageStatus)
		_ = dc.FromPayload(fields[KeyCertificateStatus.GetName()], &item.CertificateStatus)
		_ = dc.FromPayload(fields[KeyCoverageStart.GetName()], &item.CoverageStart)
		if p := fields[KeySourceVersion.GetName()]; p != nil {
			_ = dc.FromPayload(p, &item.SourceVersion)
		}
		page.Engagements = append(page.Engagements, item)
	}
	return page, nil
}

// Count counts the workflows a query selects.
func Count(ctx context.Context, c client.Client, q Query) (int64, error) {
	resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q.String()})
	return resp.GetCount(), err
}
