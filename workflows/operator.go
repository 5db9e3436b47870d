package workflows

import (
	"errors"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Operator actions are Temporal Updates: the validator refuses what does not apply (the
// ingress answers 409 with the reason), and the handler answers with the engagement's status
// once the action took effect. The Idempotency-Key is the Update ID, so a resent request
// counts once.

func refuse(reason string) error {
	return temporal.NewApplicationError(reason, engagement.ErrNotApplicable)
}

// validateOperatorAction says why an action does not apply now (nil: it does).
func (e *engagementRun) validateOperatorAction(op engagement.OperatorAction) error {
	s := e.s
	if op.Action == engagement.ActionRetry && s.Parked != nil {
		return nil // also while ending: a refused end (a cancellation) waits for this retry
	}
	if err := e.validateOpen(); err != nil {
		return err
	}
	switch op.Action {
	case engagement.ActionRetry:
		if s.Parked == nil {
			return refuse("nothing is parked: the engagement is " + string(s.CoverageStatus))
		}
	case engagement.ActionResendSession:
		if !s.sessionOpen() {
			return refuse("no application session is open")
		}
	case engagement.ActionApproveCertificate, engagement.ActionRejectCertificate:
		if s.Policy.CertificateID == "" {
			return refuse("there is no certificate to decide")
		}
	case engagement.ActionEnd:
	default:
		return refuse("unknown action " + op.Action)
	}
	return nil
}

// operatorUpdate queues the action for the main path and waits until it took effect: applied,
// and for end the engagement closed (or parked on a refusal of the end itself).
func (e *engagementRun) operatorUpdate(ctx workflow.Context, op engagement.OperatorAction) (engagement.Status, error) {
	return e.queueUpdate(ctx, Message{Operator: &op, Update: true}, func() bool {
		return op.Action != engagement.ActionEnd || e.s.Phase == PhaseClosed || e.s.Parked != nil
	})
}

// applyEnd is the operator's end: work that ended off-platform. Before the start it is a
// cancellation (the assignment is cancelled), after it an end (the end date moves).
func (e *engagementRun) applyEnd(cause string) {
	e.requestEnd(vendors.KindEnd, e.now().Unix(), cause)
}

// observeCancellation turns a cancellation requested from the Temporal UI or CLI into an
// operator end: the rest of the lifecycle runs on a disconnected context, so the assignment is
// handled and the workflow completes instead of stopping half-way.
func (e *engagementRun) observeCancellation() {
	if e.cancelled || !errors.Is(e.ctx.Err(), workflow.ErrCanceled) {
		return
	}
	e.cancelled = true
	e.ctx, _ = workflow.NewDisconnectedContext(e.ctx)
	e.applyEnd("cancelled from Temporal by an operator")
}

func (e *engagementRun) validateOpen() error {
	if e.s.ending() {
		return refuse("the engagement has ended")
	}
	return nil
}

func (e *engagementRun) validateContractorDetails(d engagement.ContractorDetails) error {
	if err := e.validateOpen(); err != nil {
		return err
	}
	if d.Email == "" && d.Phone == "" && d.Address == nil {
		return refuse("nothing to supply: give phone, address or email")
	}
	return nil
}

func (e *engagementRun) validateCertificateUploaded(c engagement.CertificateUploaded) error {
	if err := e.validateOpen(); err != nil {
		return err
	}
	if c.CertificateID == "" {
		return refuse("no certificate id")
	}
	return nil
}

// contractorDetailsUpdate records the details; a parked engagement resumes with them.
func (e *engagementRun) contractorDetailsUpdate(ctx workflow.Context, d engagement.ContractorDetails) (engagement.Status, error) {
	return e.queueUpdate(ctx, Message{Details: &d, Update: true}, func() bool { return !e.s.SyncDue || e.s.Parked != nil })
}

// certificateUploadedUpdate records the certificate for review like a platform document.
func (e *engagementRun) certificateUploadedUpdate(ctx workflow.Context, c engagement.CertificateUploaded) (engagement.Status, error) {
	return e.queueUpdate(ctx, Message{Certificate: &c, Update: true}, func() bool { return true })
}

// queueUpdate hands a message to the main path and waits until it was applied and done holds.
func (e *engagementRun) queueUpdate(ctx workflow.Context, m Message, done func() bool) (engagement.Status, error) {
	e.opsQueued++
	seq := e.opsQueued
	e.inbox = append(e.inbox, m)
	err := workflow.Await(ctx, func() bool { return e.opsApplied >= seq && done() })
	return e.s.Status, err
}

// applyContractorDetails fills the fields the platform left empty, now and at every sync.
func (e *engagementRun) applyContractorDetails(d engagement.ContractorDetails) {
	s := e.s
	cause := withNote("contractor details supplied by an operator", d.Note)
	s.ContractorDetails = &d
	s.SyncDue = true
	if s.Phase != PhaseSetUp {
		s.SourceFingerprint.Contractor = "" // send the update to 1099Policy
	}
	if s.Parked != nil {
		e.resume(cause)
	} else {
		e.transition("", cause)
	}
}

// withDetails fills the contractor's empty fields from the operator's details.
func (s *EngagementState) withDetails(c vendors.Contractor) vendors.Contractor {
	d := s.ContractorDetails
	if d == nil {
		return c
	}
	fill := func(field *string, v string) {
		if *field == "" {
			*field = v
		}
	}
	fill(&c.Email, strings.ToLower(d.Email))
	fill(&c.Phone, d.Phone)
	if a := d.Address; a != nil {
		fill(&c.Line1, a.Line1)
		fill(&c.City, a.Locality)
		fill(&c.Region, a.Region)
		fill(&c.PostalCode, a.PostalCode)
		fill(&c.Country, a.Country)
	}
	return c
}

// applyOperatorAction carries out an action its validator accepted.
func (e *engagementRun) applyOperatorAction(op engagement.OperatorAction) {
	s := e.s
	switch op.Action {
	case engagement.ActionRetry:
		if s.Parked == nil {
			e.transition("", withNote("operator retry: nothing was waiting", op.Note))
			return
		}
		e.resume(withNote("operator retry", op.Note))
	case engagement.ActionResendSession:
		if s.sessionOpen() {
			e.askNewSession(withNote("operator asked for a new session", op.Note))
		} else {
			e.transition("", withNote("operator asked for a new session, but none is open", op.Note))
		}
	case engagement.ActionApproveCertificate, engagement.ActionRejectCertificate:
		if s.Policy.CertificateID == "" {
			e.transition("", "operator certificate decision ignored: no certificate")
			return
		}
		status, cause := pc.CertificateApproved, "certificate approved by an operator"
		if op.Action == engagement.ActionRejectCertificate {
			status, cause = pc.CertificateDenied, "certificate rejected by an operator"
		}
		e.applyCertificateStatus(status, withNote(cause, op.Note))
	case engagement.ActionEnd:
		e.applyEnd(withNote("ended by an operator", op.Note))
	}
}

// withNote adds an operator's note (who acted, and why) to a cause in the audit trail.
func withNote(cause, note string) string {
	if note == "" {
		return cause
	}
	return cause + ": " + note
}
