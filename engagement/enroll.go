package engagement

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/coverage-orchestrator/coverage/vendors"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Enrollment of one engagement by its platform id, and backfill of a platform.

// EnrollSource and BackfillSource prefix the start events' ids: stable per engagement, so a
// repeated enrollment or backfill is a duplicate to the workflow.
const (
	EnrollSource   = "enroll"
	BackfillSource = "backfill"
)

// StartEvent is the start an enrollment or a backfill hands an engagement.
func StartEvent(vendor, engagementID, source string, refs map[string]string) vendors.Event {
	return vendors.Event{Vendor: vendor, Kind: vendors.KindStart, Name: source, EngagementID: engagementID,
		EventID: source + ":" + engagementID, Refs: refs}
}

// Enroll starts coverage for one engagement by its platform id: accepted (started now),
// running (already covered; the keys it was given are passed on) or closed (over).
func Enroll(ctx context.Context, c client.Client, taskQueue, vendor, engagementID string, refs map[string]string) (string, error) {
	id := WorkflowID(vendor, engagementID)
	ev := StartEvent(vendor, engagementID, EnrollSource, refs)
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

// StartBackfill starts a backfill; its workflow ID is returned.
func StartBackfill(ctx context.Context, c client.Client, taskQueue string, in BackfillInput, requestID string) (string, error) {
	id := BackfillWorkflowID(in.Vendor, requestID)
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue,
		StaticSummary: "backfill " + in.Vendor, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, WorkflowBackfill, in)
	return id, err
}
