package workflows

import (
	"slices"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
)

// Timing rules of the lifecycle.
const (
	SessionReminderAfter = 48 * time.Hour // a session not completed gets a fresh one
	CertificatePollAfter = 2 * time.Hour  // no review webhook by then: poll the certificate
)

// EngagementWorkflow keeps one engagement insured (or covered by an approved certificate) from
// its start to its end, in the order of SPEC §2:
//
//	1-3  set up (setup.go): read the platform's record, find or create the contractor, create
//	     the job in 1099Policy;
//	4-5  keep coverage true (this file): bind it (bind.go: an assignment, or a quote and an
//	     application session), then follow the platform's changes (changes.go), certificates
//	     (certificates.go), invoices (invoices.go) and deadlines (deadlines.go) until it ends;
//	6    finish (finish.go): cancel the assignment before the start, or move its end date.
//
// Handlers (handlers.go) only record what arrives; this path acts on it. A step that fails for
// good parks the engagement until an operator retries it (attempt.go).
func EngagementWorkflow(ctx workflow.Context, in EngagementInput) (engagement.Status, error) {
	e := newEngagement(ctx, in)
	if err := e.listen(); err != nil {
		return e.s.Status, err
	}
	e.sendNotifications()
	e.drainSignals() // the signal that started the workflow is read before the first read
	if commandOrderChangeForTest != nil {
		commandOrderChangeForTest(ctx)
	}

	e.setUp()
	for e.s.Phase == PhaseCovering {
		if err := e.keepCovered(); err != nil {
			return e.s.Status, err // continue-as-new
		}
	}
	e.finish()
	return e.complete()
}

// keepCovered does the most urgent piece of work there is, in lifecycle order, or waits for an
// event or a deadline.
func (e *engagementRun) keepCovered() error {
	e.applyInbox()
	s := e.s
	switch {
	case s.Phase != PhaseCovering:
	case s.parkedByEvent():
		e.awaitRetry(PhaseCovering)
	case s.platformChanged():
		e.attempt(e.readPlatform)
	case s.sessionToRenew():
		e.attempt(e.renewSession)
	case s.needsBinding():
		e.attempt(e.bind)
	case s.certificateWaiting():
		e.attempt(e.uploadCertificate)
	case s.invoiceWaiting():
		e.attempt(e.recordInvoice)
	case e.handleDeadline():
	case e.shouldContinueAsNew():
		return e.continueAsNew()
	default:
		e.waitForWork(e.nextDeadline())
	}
	return nil
}

// complete waits for the last notifications and for every Update handler, then completes.
func (e *engagementRun) complete() (engagement.Status, error) {
	e.publish()
	err := workflow.Await(e.ctx, func() bool { return e.notificationsSent() && workflow.AllHandlersFinished(e.ctx) })
	return e.s.Status, err
}

type engagementRun struct {
	ctx    workflow.Context
	s      *EngagementState
	inbox  []Message
	seen   *seenSet
	logger log.Logger
	// published is the search-attribute values last upserted in this run.
	published string
	// timer is the one deadline timer running (timerAt its time), reused while the next
	// deadline stays the same: each new timer is a billable action.
	timer       workflow.Future
	cancelTimer workflow.CancelFunc
	timerAt     time.Time
	// opsQueued and opsApplied count operator Updates, so each handler knows when its action
	// took effect; cancelled says a cancellation from Temporal was turned into an end.
	opsQueued, opsApplied int
	cancelled             bool
	// continueAsNewAfterUpdate is the input's test switch (EngagementInput).
	continueAsNewAfterUpdate bool
	// causeNote is added to the cause of transitions made while applying one event (how
	// that event arrived, when it matters to an operator).
	causeNote string
	// updatesReceived counts the platform updates applied in this run, updatesRead those a
	// parked engagement has re-read its record for (attempt.go).
	updatesReceived, updatesRead int
}

func newEngagement(ctx workflow.Context, in EngagementInput) *engagementRun {
	e := &engagementRun{ctx: ctx, logger: workflow.GetLogger(ctx), continueAsNewAfterUpdate: in.ContinueAsNewAfterUpdate}
	if in.Carried != nil {
		st := in.Carried.State
		e.s = &st
		e.seen = newSeenSet(in.Carried.Seen)
		e.inbox = in.Carried.Inbox
		e.published = publishedValues(e.s) // the last run upserted them
		return e
	}
	e.s = &EngagementState{
		Status: engagement.Status{
			WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Vendor: in.Vendor, EngagementID: in.EngagementID,
			CoverageStatus: engagement.StatusPending, CertificateStatus: engagement.CertificateNone, Transitions: []engagement.Transition{},
		},
		Phase:       PhaseSetUp,
		SyncDue:     true,
		BindAttempt: 1,
	}
	e.seen = newSeenSet(nil)
	if in.StartedWithSearchAttributes {
		e.published = publishedValues(e.s) // the dispatcher set them: nothing to upsert yet
	}
	return e
}

func (e *engagementRun) now() time.Time { return workflow.Now(e.ctx) }

// waitForWork publishes what changed, then blocks until something arrives or the deadline
// (zero: none) is due. The deadline timer is kept while the deadline stays the same.
func (e *engagementRun) waitForWork(deadline time.Time) {
	e.publish()
	if !deadline.Equal(e.timerAt) || (e.timer != nil && e.timer.IsReady()) {
		if e.cancelTimer != nil {
			e.cancelTimer()
		}
		e.timer, e.cancelTimer, e.timerAt = nil, nil, deadline
		if !deadline.IsZero() {
			d := deadline.Sub(e.now())
			if d <= 0 {
				return
			}
			tctx, cancel := workflow.WithCancel(e.ctx)
			e.timer, e.cancelTimer = workflow.NewTimer(tctx, d), cancel
		}
	}
	_ = workflow.Await(e.ctx, func() bool {
		return len(e.inbox) > 0 || (e.timer != nil && e.timer.IsReady()) || e.ctx.Err() != nil
	})
	e.observeCancellation()
}

func (e *engagementRun) shouldContinueAsNew() bool {
	due := workflow.GetInfo(e.ctx).GetContinueAsNewSuggested() || (e.continueAsNewAfterUpdate && (e.updatesReceived > 0 || !e.s.LastEventAt.IsZero()))
	return due && len(e.inbox) == 0 && e.notificationsSent() && workflow.AllHandlersFinished(e.ctx)
}

// continueAsNew carries the state, the dedupe set and anything still unread.
func (e *engagementRun) continueAsNew() error {
	e.publish()
	e.drainSignals()
	return workflow.NewContinueAsNewError(e.ctx, EngagementWorkflow, EngagementInput{
		Start:   engagement.Start{Vendor: e.s.Vendor, EngagementID: e.s.EngagementID},
		Carried: &Carried{State: *e.s, Seen: slices.Clone(e.seen.order), Inbox: e.inbox},
	})
}
