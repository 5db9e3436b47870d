package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Operator actions are Temporal Updates: the validator refuses what does not apply (the
// ingress answers 409 with the reason), and the handler answers with the engagement's status
// once the action took effect. The Idempotency-Key is the Update ID, so a resent request
// counts once.

// UpdateOperatorAction is the Update every operator action goes through.
const UpdateOperatorAction = "operator-action"

// ErrNotApplicable is the type of a validator's refusal.
const ErrNotApplicable = "NotApplicable"

func refuse(reason string) error {
	return temporal.NewApplicationError(reason, ErrNotApplicable)
}

// validateOperatorAction says why an action does not apply now (nil: it does).
func (e *engagement) validateOperatorAction(op OperatorAction) error {
	s := e.s
	if s.Closed || s.End != nil {
		return refuse("the engagement has ended")
	}
	switch op.Action {
	case ActionRetry:
		if !s.Parked {
			return refuse("nothing is parked: the engagement is " + string(s.CoverageStatus))
		}
	case ActionResendSession:
		if !s.sessionOpen() {
			return refuse("no application session is open")
		}
	case ActionApproveCertificate, ActionRejectCertificate:
		if s.Policy.CertificateID == "" {
			return refuse("there is no certificate to decide")
		}
	case ActionEnd:
	default:
		return refuse("unknown action " + op.Action)
	}
	return nil
}

// operatorUpdate queues the action for the main path and waits until it took effect: applied,
// and for end the engagement closed (or parked on a refusal of the end itself).
func (e *engagement) operatorUpdate(ctx workflow.Context, op OperatorAction) (Status, error) {
	e.opsQueued++
	seq := e.opsQueued
	e.inbox = append(e.inbox, Message{Operator: &op, Update: true})
	if op.RequestID != "" {
		e.seen.add("operator:" + op.RequestID) // the same request as a signal is a duplicate
	}
	err := workflow.Await(ctx, func() bool {
		return e.opsApplied >= seq && (op.Action != ActionEnd || e.s.Closed || e.s.Parked)
	})
	return e.s.Status, err
}

// applyEnd is the operator's end: work that ended off-platform. Before the start it is a
// cancellation (the assignment is cancelled), after it an end (the end date moves).
func (e *engagement) applyEnd(cause string) {
	e.s.End = &EndRequest{Kind: vendors.KindEnd, At: e.now().Unix(), Cause: cause}
}

// observeCancellation turns a cancellation requested from the Temporal UI or CLI into an
// operator end: the rest of the lifecycle runs on a disconnected context, so the assignment is
// handled and the workflow completes instead of stopping half-way.
func (e *engagement) observeCancellation() {
	if e.cancelled || !errors.Is(e.ctx.Err(), workflow.ErrCanceled) {
		return
	}
	e.cancelled = true
	e.ctx, _ = workflow.NewDisconnectedContext(e.ctx)
	if e.s.End == nil {
		e.applyEnd("cancelled from Temporal by an operator")
	}
}
