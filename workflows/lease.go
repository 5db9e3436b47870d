package workflows

import (
	"fmt"

	"github.com/coverage-orchestrator/coverage/engagement"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// One application session per contractor at a time. The lease is the contractor's
// coordinator workflow (contractor.go), started as a child of the engagement that needs a
// session: starting it is the grant, so a contractor with one engagement pays one workflow
// start and one release signal. An engagement that finds the coordinator running queues with
// it and is granted the lease by a signal when the holder releases it.

// requestLease takes the contractor's session lease, or queues for it (LeaseWaiting).
func (e *engagementRun) requestLease() error {
	s := e.s
	id := engagement.ContractorWorkflowID(s.Policy.ContractorID)
	for range 3 {
		opts := workflow.ChildWorkflowOptions{WorkflowID: id, StaticSummary: "application session lease of contractor " + s.Policy.ContractorID,
			// The coordinator outlives its starter when others wait for the lease.
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE}
		child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(e.ctx, opts), ContractorSessionWorkflow,
			engagement.ContractorInput{ContractorID: s.Policy.ContractorID, Holder: s.WorkflowID})
		err := child.GetChildWorkflowExecution().Get(e.ctx, nil)
		if err == nil {
			s.Lease = LeaseHeld
			return nil
		}
		if !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			return failed("request application session lease", err)
		}
		// Another engagement of the contractor holds the session: queue behind it. The
		// coordinator may have completed in between; then start it again.
		err = workflow.SignalExternalWorkflow(e.ctx, id, "", engagement.SignalAcquireSession, engagement.LeaseRequest{EngagementWorkflowID: s.WorkflowID}).Get(e.ctx, nil)
		if err == nil {
			s.Lease = LeaseWaiting
			e.transition("", "waiting for the contractor's application session slot")
			return nil
		}
	}
	return failed("request application session lease", fmt.Errorf("the coordinator %s neither started nor took the request", id))
}

// applyLease takes a lease granted after waiting; one no longer wanted is handed back.
func (e *engagementRun) applyLease(l engagement.SessionLease) {
	s := e.s
	switch {
	case s.Lease == LeaseHeld:
	case s.Lease == LeaseWaiting && s.Phase == PhaseCovering:
		s.Lease = LeaseHeld
		if l.Queued {
			// Another engagement of this contractor had the session first: its policy may cover us.
			s.Binding = BindAssignment
		}
	default:
		s.Lease = LeaseHeld // not wanted any more (covered meanwhile, or ending)
		e.releaseLease()
	}
}

// releaseLease hands the lease back (or leaves the queue). A coordinator that is gone holds
// nothing.
func (e *engagementRun) releaseLease() {
	s := e.s
	if s.Lease == LeaseNone {
		return
	}
	s.Lease = LeaseNone
	err := workflow.SignalExternalWorkflow(e.ctx, engagement.ContractorWorkflowID(s.Policy.ContractorID), "", engagement.SignalReleaseSession,
		engagement.LeaseRequest{EngagementWorkflowID: s.WorkflowID}).Get(e.ctx, nil)
	if err != nil {
		e.logger.Info("coordinator not running; nothing to release", "error", err)
	}
}
