package workflows

import (
	"slices"
	"time"

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
func EngagementWorkflow(ctx workflow.Context, in EngagementInput) (Status, error) {
	e := newEngagement(ctx, in)
	if err := e.listen(); err != nil {
		return e.s.Status, err
	}
	e.sendNotifications()
	e.drainSignals() // the signal that started the workflow is read before the first sync

	if e.s.Phase == PhaseSetUp {
		e.applyInbox()               // the start event may carry keys the first read needs (JobDiva)
		if e.s.Phase == PhaseSetUp { // not when an end arrived with the start
			e.attempt(e.sync)
		}
	}
	for e.s.Phase == PhaseCovering {
		if err := e.keepCovered(); err != nil {
			return e.s.Status, err // continue-as-new
		}
	}
	e.finish()
	return e.complete()
}

// keepCovered does the most urgent piece of work there is, or waits for an event or a deadline.
func (e *engagement) keepCovered() error {
	e.applyInbox()
	s := e.s
	switch {
	case s.Phase != PhaseCovering:
	case s.Parked != nil: // parked by an event (an ineligible application), not by a step
		e.awaitRetry(PhaseCovering)
	case s.SyncDue:
		e.attempt(e.sync)
	case s.Binding == BindNewSession:
		e.attempt(e.renewSession)
	case s.Binding != BindNothing && s.Lease != LeaseWaiting:
		e.attempt(e.bind)
	case len(s.PendingCOIs) > 0:
		e.attempt(e.uploadCertificate)
	case len(s.PendingInvoices) > 0:
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
func (e *engagement) complete() (Status, error) {
	e.publish()
	err := workflow.Await(e.ctx, func() bool { return e.notificationsSent() && workflow.AllHandlersFinished(e.ctx) })
	return e.s.Status, err
}

type engagement struct {
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
	// causeNote is added to the cause of transitions made while applying one event (how
	// that event arrived, when it matters to an operator).
	causeNote string
	// updatesReceived counts the platform updates applied in this run, updatesRead those a
	// parked engagement has re-read its record for (attempt.go).
	updatesReceived, updatesRead int
}

func newEngagement(ctx workflow.Context, in EngagementInput) *engagement {
	e := &engagement{ctx: ctx, logger: workflow.GetLogger(ctx)}
	if in.Carried != nil {
		st := in.Carried.State
		e.s = &st
		e.seen = newSeenSet(in.Carried.Seen)
		e.inbox = in.Carried.Inbox
		e.published = publishedValues(e.s) // the last run upserted them
		return e
	}
	e.s = &EngagementState{
		Status: Status{
			WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Vendor: in.Vendor, EngagementID: in.EngagementID,
			CoverageStatus: StatusPending, CertificateStatus: CertificateNone, Transitions: []Transition{},
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

func (e *engagement) now() time.Time { return workflow.Now(e.ctx) }

// waitForWork publishes what changed, then blocks until something arrives or the deadline
// (zero: none) is due. The deadline timer is kept while the deadline stays the same.
func (e *engagement) waitForWork(deadline time.Time) {
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

// forceContinueAsNew, when set, continues as new before the server suggests it (tests use it
// to exercise continue-as-new without thousands of events).
var forceContinueAsNew func(*EngagementState) bool

func (e *engagement) shouldContinueAsNew() bool {
	due := workflow.GetInfo(e.ctx).GetContinueAsNewSuggested() || (forceContinueAsNew != nil && forceContinueAsNew(e.s))
	return due && len(e.inbox) == 0 && e.notificationsSent() && workflow.AllHandlersFinished(e.ctx)
}

// continueAsNew carries the state, the dedupe set and anything still unread.
func (e *engagement) continueAsNew() error {
	e.publish()
	e.drainSignals()
	return workflow.NewContinueAsNewError(e.ctx, EngagementWorkflow, EngagementInput{
		Vendor: e.s.Vendor, EngagementID: e.s.EngagementID,
		Carried: &Carried{State: *e.s, Seen: slices.Clone(e.seen.order), Inbox: e.inbox},
	})
}
