package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Going live: enrollment of one engagement by its platform id, and backfill of every open
// contractor engagement a platform lists, so a company is covered on day one.

// Enrollment outcomes (the enrollment route's "status").
const (
	Running = "running" // the engagement was already covered by a running workflow
)

// enrollSource and backfillSource prefix the start events' ids: stable per engagement, so a
// repeated enrollment or backfill is a duplicate to the workflow.
const (
	enrollSource   = "enroll"
	backfillSource = "backfill"
)

// Enroll starts coverage for one engagement by its platform id: accepted (started now),
// running (already covered; the keys it was given are passed on) or closed (over).
func Enroll(ctx context.Context, c client.Client, taskQueue, vendor, engagementID string, refs map[string]string) (string, error) {
	id := EngagementWorkflowID(vendor, engagementID)
	ev := vendors.Event{Vendor: vendor, Kind: vendors.KindStart, Name: enrollSource, EngagementID: engagementID,
		EventID: enrollSource + ":" + engagementID, Refs: refs}
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return DeliverPlatformEvent(ctx, c, taskQueue, ev)
	case err != nil:
		return "", err
	case desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return Closed, nil
	}
	if outcome, err := SignalEngagement(ctx, c, id, SignalPlatformEvent, ev); err != nil || outcome == Closed {
		return outcome, err
	}
	return Running, nil
}

// BackfillInput names the platform and, for Upwork, the contract ids.
type BackfillInput struct {
	Vendor string   `json:"vendor"`
	IDs    []string `json:"ids,omitempty"`
}

// BackfillResult counts what the backfill did.
type BackfillResult struct {
	Listed   int `json:"listed"`
	Enrolled int `json:"enrolled"`
	Closed   int `json:"closed"`
	Skipped  int `json:"skipped"`
}

// backfillBatch is how many engagements one enrollment activity handles.
const backfillBatch = 50

// BackfillWorkflow lists a platform's open contractor engagements and enrolls each, in
// batches, with its progress in the UI's details line. Running it twice enrolls nothing twice.
func BackfillWorkflow(ctx workflow.Context, in BackfillInput) (BackfillResult, error) {
	opts := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout: time.Minute, RetryPolicy: callRetry})
	var listed activities.ListBackfillOutput
	if err := workflow.ExecuteActivity(opts, (*activities.Activities).ListBackfill,
		activities.ListBackfillInput{Vendor: in.Vendor, IDs: in.IDs}).Get(ctx, &listed); err != nil {
		return BackfillResult{}, err
	}
	res := BackfillResult{Listed: len(listed.Items)}
	for i := 0; i < len(listed.Items); i += backfillBatch {
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s backfill: %d of %d done (%d enrolled, %d closed, %d skipped)",
			in.Vendor, i, res.Listed, res.Enrolled, res.Closed, res.Skipped))
		var out activities.EnrollOutput
		batch := listed.Items[i:min(i+backfillBatch, len(listed.Items))]
		if err := workflow.ExecuteActivity(opts, (*activities.Activities).EnrollListed,
			activities.EnrollInput{Vendor: in.Vendor, Items: batch, Source: backfillSource}).Get(ctx, &out); err != nil {
			return res, err
		}
		res.Enrolled, res.Closed, res.Skipped = res.Enrolled+out.Enrolled, res.Closed+out.Closed, res.Skipped+out.Skipped
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s backfill done: %d listed, %d enrolled, %d closed, %d skipped",
		in.Vendor, res.Listed, res.Enrolled, res.Closed, res.Skipped))
	return res, nil
}

// StartBackfill starts a backfill; its workflow ID is returned.
func StartBackfill(ctx context.Context, c client.Client, taskQueue string, in BackfillInput, requestID string) (string, error) {
	id := BackfillWorkflowID(in.Vendor, requestID)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue,
		StaticSummary: "backfill " + in.Vendor, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, BackfillWorkflow, in)
	return id, err
}
