package engagement

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// reopenSource names the event of an operator's re-enrollment.
const reopenSource = "reopen"

// Reopen enrolls again an engagement whose workflow closed by mistake (an end the platform
// did not mean): a new run of the same workflow id starts and reads the platform's record,
// whose status decides, so an engagement that really is over ends again at once. A running
// engagement is left as it is (Running); a new one starts as with Enroll (Accepted). Only the
// operator route reaches it: webhooks never reopen a closed engagement.
func Reopen(ctx context.Context, c client.Client, taskQueue, vendor, engagementID string, refs map[string]string) (string, error) {
	ev := vendors.Event{Vendor: vendor, Kind: vendors.KindStart, Name: reopenSource, EngagementID: engagementID,
		EventID: reopenSource + ":" + engagementID, Refs: refs}
	desc, err := c.DescribeWorkflowExecution(ctx, WorkflowID(vendor, engagementID), "")
	if err == nil && desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return Running, nil
	}
	if err := signalWithStart(ctx, c, taskQueue, ev, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE); err != nil {
		return "", err
	}
	return Accepted, nil
}
