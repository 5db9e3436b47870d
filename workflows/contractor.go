package workflows

import (
	"slices"

	"github.com/coverage-orchestrator/coverage/engagement"
	"go.temporal.io/sdk/workflow"
)

// ContractorSessionWorkflow makes sure a new contractor is never sent through two application
// sessions at once. The first engagement that needs a session starts it (contractor:<policy
// contractor id>) as its holder (lease.go); others that find it running ask it for the lease
// and are granted it one at a time, in arrival order, when the holder releases it (policy
// active, covered otherwise, or ended). A queued engagement learns it waited, so it tries an
// assignment first: the holder's new policy usually covers it. The coordinator completes as
// soon as nobody holds or waits.
func ContractorSessionWorkflow(ctx workflow.Context, in engagement.ContractorInput) error {
	c := &coordinator{ctx: ctx, id: workflow.GetInfo(ctx).WorkflowExecution.ID, holder: in.Holder, queue: in.Queue}
	acquire := workflow.GetSignalChannel(ctx, engagement.SignalAcquireSession)
	release := workflow.GetSignalChannel(ctx, engagement.SignalReleaseSession)
	for {
		for c.receive(acquire, c.acquire) || c.receive(release, c.release) {
		}
		if c.holder == "" && len(c.queue) == 0 {
			return nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return workflow.NewContinueAsNewError(ctx, ContractorSessionWorkflow, engagement.ContractorInput{ContractorID: in.ContractorID, Holder: c.holder, Queue: c.queue})
		}
		workflow.NewSelector(ctx).
			AddReceive(acquire, func(workflow.ReceiveChannel, bool) {}).
			AddReceive(release, func(workflow.ReceiveChannel, bool) {}).
			Select(ctx)
	}
}

type coordinator struct {
	ctx    workflow.Context
	id     string
	holder string
	queue  []string
}

// receive handles one pending signal of ch, if any.
func (c *coordinator) receive(ch workflow.ReceiveChannel, handle func(string)) bool {
	var r engagement.LeaseRequest
	if !ch.ReceiveAsync(&r) {
		return false
	}
	handle(r.EngagementWorkflowID)
	return true
}

func (c *coordinator) acquire(workflowID string) {
	switch {
	case c.holder == "":
		c.grant(workflowID, false)
	case c.holder == workflowID:
		c.grant(workflowID, false) // asked again (a retried step): the answer is the same
	case !slices.Contains(c.queue, workflowID):
		c.queue = append(c.queue, workflowID)
	}
}

func (c *coordinator) release(workflowID string) {
	if i := slices.Index(c.queue, workflowID); i >= 0 {
		c.queue = slices.Delete(c.queue, i, i+1)
		return
	}
	if c.holder != workflowID {
		return
	}
	c.holder = ""
	for c.holder == "" && len(c.queue) > 0 {
		next := c.queue[0]
		c.queue = c.queue[1:]
		c.grant(next, true)
	}
}

// grant signals the lease; an engagement that is gone meanwhile is skipped.
func (c *coordinator) grant(workflowID string, queued bool) {
	err := workflow.SignalExternalWorkflow(c.ctx, workflowID, "", engagement.SignalSessionLease,
		engagement.SessionLease{ContractorWorkflowID: c.id, Queued: queued}).Get(c.ctx, nil)
	if err != nil {
		workflow.GetLogger(c.ctx).Info("workflowID gone; lease not granted", "engagement", workflowID, "error", err)
		c.holder = ""
		return
	}
	c.holder = workflowID
}
