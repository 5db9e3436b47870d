package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/redact"
)

// stepError is a step that failed for good: its name and why.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }

// failed names the step that failed.
func failed(step string, err error) error { return &stepError{step: step, err: err} }

// attempt runs a step of the lifecycle. When it fails for good (activities retry transient
// failures for 30 minutes first) the engagement parks in NEEDS_ATTENTION with the step and the
// cause, and waits for an operator's retry (or contractor details) to run the step again. It
// gives up, false, when the engagement moves to another phase meanwhile (an end arrives).
func (e *engagementRun) attempt(step func() error) bool {
	phase := e.s.Phase
	for {
		err := step()
		if err == nil {
			return true
		}
		if e.observeCancellation(); e.s.Phase != phase {
			return false
		}
		name := "step"
		var se *stepError
		if errors.As(err, &se) {
			name, err = se.step, se.err
		}
		e.park(name, err)
		if !e.awaitRetry(phase) {
			return false
		}
	}
}

// park records the failed step; the engagement shows NEEDS_ATTENTION with the reason.
func (e *engagementRun) park(step string, err error) {
	s := e.s
	if s.Parked == nil {
		s.Parked = &Parked{From: s.CoverageStatus}
	}
	s.Parked.Step = step
	s.AttentionReason = redact.PersonalData(attentionReason(step, err))
	e.transition(engagement.StatusNeedsAttention, s.AttentionReason)
}

// awaitRetry waits, applying what arrives, until an operator resumes the engagement (true) or
// it leaves phase (false). While parked only the end date counts among the deadlines.
func (e *engagementRun) awaitRetry(phase Phase) bool {
	for {
		e.applyInbox()
		switch {
		case e.s.Phase != phase:
			return false
		case e.s.Parked == nil:
			return true
		case e.endDateDue():
			continue
		case e.updatesReceived > e.updatesRead:
			e.updatesRead = e.updatesReceived
			e.readForEnd()
			continue
		}
		var end time.Time
		if phase != PhaseEnding {
			end = e.endDate()
		}
		e.waitForWork(end)
	}
}

// resume un-parks the engagement: the parked step runs again under a new key generation (a
// refusal 1099Policy stored under the old keys is not replayed).
func (e *engagementRun) resume(cause string) {
	s := e.s
	from := s.Parked.From
	s.Parked, s.AttentionReason = nil, ""
	s.KeyGeneration++
	e.transition(from, cause)
}

func attentionReason(step string, err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%s: %s (%s)", step, ae.Message(), ae.Type())
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: gave up after retrying for 30 minutes: %v", step, errors.Unwrap(err))
	}
	return fmt.Sprintf("%s: %v", step, err)
}

// key is the idempotency key of a step's POST, in the current key generation.
func (e *engagementRun) key(step string) string {
	return stepKey(e.s.WorkflowID, step, e.s.KeyGeneration)
}

// call runs one activity with the lifecycle's retry policy.
func call[In, Out any](e *engagementRun, fn func(*activities.Activities, context.Context, In) (Out, error), in In) (Out, error) {
	return execute(e.ctx, callKind, fn, in)
}

// run runs one activity that returns nothing.
func run[In any](e *engagementRun, fn func(*activities.Activities, context.Context, In) error, in In) error {
	return perform(e.ctx, callKind, fn, in)
}
