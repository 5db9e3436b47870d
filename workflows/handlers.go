package workflows

import (
	"errors"
	"fmt"
	"slices"

	"github.com/coverage-orchestrator/coverage/engagement"

	"go.temporal.io/sdk/workflow"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Handlers record what arrives into the inbox (signals) or wait for the main path to apply it
// (Updates, operator.go); applyInbox turns each message into state the main path acts on.

// listen registers the query, the signal listeners and the Update handlers before anything blocks.
func (e *engagementRun) listen() error {
	if err := workflow.SetQueryHandler(e.ctx, engagement.QueryStatus, func() (engagement.Status, error) { return e.s.Status, nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(e.ctx, engagement.QueryDetail, e.detail); err != nil {
		return err
	}
	for _, sig := range inboundSignals {
		ch := workflow.GetSignalChannel(e.ctx, sig.name)
		workflow.Go(e.ctx, func(ctx workflow.Context) {
			for {
				m, _ := sig.read(ctx, ch)
				e.record(m)
			}
		})
	}
	if err := workflow.SetUpdateHandlerWithOptions(e.ctx, engagement.UpdateOperatorAction, e.operatorUpdate,
		workflow.UpdateHandlerOptions{Validator: e.validateOperatorAction}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(e.ctx, engagement.UpdateContractorDetails, e.contractorDetailsUpdate,
		workflow.UpdateHandlerOptions{Validator: e.validateContractorDetails}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(e.ctx, engagement.UpdateCertificateUploaded, e.certificateUploadedUpdate,
		workflow.UpdateHandlerOptions{Validator: e.validateCertificateUploaded}); err != nil {
		return err
	}
	workflow.SetCurrentDetails(e.ctx, e.s.summary())
	return nil
}

// inboundSignal is one of the engagement's signals and how it becomes an inbox message.
type inboundSignal struct {
	name string
	// read receives one signal: blocking, or without waiting when ctx is nil (ok is false
	// when none is waiting).
	read func(ctx workflow.Context, ch workflow.ReceiveChannel) (m Message, ok bool)
}

func receiving[T any](name string, wrap func(*T) Message) inboundSignal {
	return inboundSignal{name: name, read: func(ctx workflow.Context, ch workflow.ReceiveChannel) (Message, bool) {
		var payload T
		if ctx == nil {
			if !ch.ReceiveAsync(&payload) {
				return Message{}, false
			}
		} else {
			ch.Receive(ctx, &payload)
		}
		return wrap(&payload), true
	}}
}

// inboundSignals are the engagement's signals, in the order they are listened to.
var inboundSignals = []inboundSignal{
	receiving(engagement.SignalPlatformEvent, func(m *vendors.Event) Message { return Message{Platform: m} }),
	receiving(engagement.SignalPolicyEvent, func(m *engagement.PolicyEvent) Message { return Message{Policy: m} }),
	receiving(engagement.SignalSessionLease, func(m *engagement.SessionLease) Message { return Message{Lease: m} }),
}

// drainSignals records every signal already delivered but not yet read by a listener.
func (e *engagementRun) drainSignals() {
	for _, sig := range inboundSignals {
		ch := workflow.GetSignalChannel(e.ctx, sig.name)
		for m, ok := sig.read(nil, ch); ok; m, ok = sig.read(nil, ch) {
			e.record(m)
		}
	}
}

func (e *engagementRun) record(m Message) {
	if key := dedupeKey(m); key != "" && !e.seen.add(key) {
		e.logger.Info("duplicate event dropped", "dedupe_key", key)
		return
	}
	if m.Policy != nil && m.Policy.Source == engagement.SourceEventsPoller {
		// The poller reached this engagement before any webhook did: a lost-webhook alarm.
		workflow.GetMetricsHandler(e.ctx).WithTags(map[string]string{"event_type": m.Policy.Type}).
			Counter(MetricPolicyEventsFoundByPoller).Inc(1)
	}
	e.inbox = append(e.inbox, m)
}

// MetricPolicyEventsFoundByPoller counts 1099Policy events that reached an engagement through
// the events poller before (or without) their webhook. Exposed by the worker's Prometheus
// endpoint as temporal_coverage_policy_events_found_by_poller (the SDK metrics prefix).
const MetricPolicyEventsFoundByPoller = "coverage_policy_events_found_by_poller"

func dedupeKey(m Message) string {
	switch {
	case m.Platform != nil && m.Platform.EventID != "":
		return "platform:" + m.Platform.EventID
	case m.Policy != nil && m.Policy.EventID != "":
		return "policy:" + m.Policy.EventID
	}
	return ""
}

// applyInbox applies every recorded message, oldest first.
func (e *engagementRun) applyInbox() {
	for len(e.inbox) > 0 {
		m := e.inbox[0]
		e.inbox = e.inbox[1:]
		switch {
		case m.Platform != nil:
			e.applyPlatformEvent(*m.Platform)
		case m.Policy != nil:
			e.applyPolicyEvent(*m.Policy)
		case m.Operator != nil:
			e.applyOperatorAction(*m.Operator)
		case m.Details != nil:
			e.applyContractorDetails(*m.Details)
		case m.Certificate != nil:
			e.applyCertificateUploaded(*m.Certificate)
		case m.Lease != nil:
			e.applyLease(*m.Lease)
		}
		if m.Update {
			e.opsApplied++
		}
	}
}

// ending reports an end already requested (or done): later events change nothing.
func (s *EngagementState) ending() bool { return s.Phase == PhaseEnding || s.Phase == PhaseClosed }

// requestEnd moves the engagement to step 6.
func (e *engagementRun) requestEnd(kind vendors.EventKind, at int64, cause string) {
	if e.s.ending() {
		return
	}
	e.s.End = &EndRequest{Kind: kind, At: at, Cause: cause}
	e.s.Phase = PhaseEnding
}

func (e *engagementRun) applyPlatformEvent(ev vendors.Event) {
	s := e.s
	if s.ending() {
		e.logger.Info("platform event after end requested", "kind", string(ev.Kind), "event_id", ev.EventID)
		return
	}
	// Copying keys gives the same map in any order: the iteration is deterministic in effect.
	//workflowcheck:ignore
	for k, v := range ev.Refs {
		if v != "" {
			if s.SourceRefs == nil {
				s.SourceRefs = map[string]string{}
			}
			s.SourceRefs[k] = v
		}
	}
	switch ev.Kind {
	case vendors.KindStart, vendors.KindUpdate, vendors.KindContractorUpdate:
		if atLeast(e.ctx, versionBodyTimeOrdersNothing) {
			// A body's timestamp orders nothing (a future one would make every later event look
			// stale): each event re-reads the record, whose own last-modified time orders (sync).
			e.updatesReceived++
		} else {
			if !ev.OccurredAt.IsZero() && ev.OccurredAt.Before(s.LastEventAt) {
				e.logger.Info("stale platform update ignored", "event_id", ev.EventID)
				return
			}
			if ev.OccurredAt.After(s.LastEventAt) {
				s.LastEventAt = ev.OccurredAt
			}
		}
		if ev.Version != "" {
			s.SourceVersion = ev.Version // the read that follows applies it (readPlatform may name a newer one)
		}
		s.SyncDue = true
	case vendors.KindEnd, vendors.KindCancel:
		at := ev.OccurredAt.Unix()
		if ev.OccurredAt.IsZero() {
			at = e.now().Unix()
		}
		e.requestEnd(ev.Kind, at, fmt.Sprintf("platform event %s", ev.Name))
	case vendors.KindCOI:
		e.queueDocuments([]string{ev.DocumentID})
	case vendors.KindInvoice:
		if ev.InvoiceID != "" && !slices.Contains(s.RecordedInvoices, ev.InvoiceID) && !slices.Contains(s.PendingInvoices, ev.InvoiceID) {
			s.PendingInvoices = append(s.PendingInvoices, ev.InvoiceID)
		}
	}
}

func (e *engagementRun) applyPolicyEvent(ev engagement.PolicyEvent) {
	s := e.s
	if s.ending() {
		return
	}
	if ev.Source == engagement.SourceEventsPoller {
		e.causeNote = ev.Type + " found by the events poller"
		defer func() { e.causeNote = "" }()
	}
	ours := func(id string) bool { return id != "" }
	switch ev.Type {
	case pc.EventApplicationStarted:
		if e.isOurSession(ev) && (s.CoverageStatus == engagement.StatusAwaitingApplication || s.CoverageStatus == engagement.StatusUnprotected) {
			e.transition(engagement.StatusApplicationInProgress, "contractor started the application")
		}
	case pc.EventApplicationManualReview:
		if e.isOurSession(ev) {
			s.ReviewedSession = s.Policy.SessionID
			e.transition(engagement.StatusManualReview, "application in manual review")
		}
	case pc.EventApplicationReviewApproved:
		if e.isOurSession(ev) {
			e.transition(engagement.StatusApplicationInProgress, "manual review approved")
		}
	case pc.EventApplicationExpired:
		if e.isOurSession(ev) && ev.ObjectID == s.Policy.SessionID && !slices.Contains(s.ExpiredSessions, ev.ObjectID) && s.sessionOpen() {
			e.askNewSession("1099Policy expired the application")
		}
	case pc.EventApplicationIneligible:
		if e.isOurSession(ev) && s.Parked == nil {
			e.park("application", errors.New("1099Policy found the contractor ineligible for coverage"))
		}
	case pc.EventPolicyActive, pc.EventPolicyReactivated, pc.EventPolicyActiveMedia:
		switch {
		case ours(s.Policy.QuoteID) && ev.QuoteID == s.Policy.QuoteID:
			s.Policy.PolicyID, s.PolicyExpiresAt = ev.ObjectID, ev.ExpirationDate
			s.Binding = BindNothing
			e.transition(engagement.StatusInsured, "policy "+ev.ObjectID+" active")
			e.releaseLease()
		case ev.ContractorID != "" && ev.ContractorID == s.Policy.ContractorID && !s.covered():
			// Another engagement's application gave the contractor a policy: an assignment
			// now covers this one too.
			if s.Lease == LeaseWaiting {
				e.releaseLease()
			}
			if s.Lease == LeaseNone {
				s.Binding = BindAssignment
			}
		}
	case pc.EventPolicyCancelled, pc.EventPolicyExpired:
		affected := (ours(s.Policy.PolicyID) && ev.ObjectID == s.Policy.PolicyID) ||
			(ours(s.Policy.AssignmentID) && ev.ContractorID == s.Policy.ContractorID)
		if affected {
			e.loseCoverage(fmt.Sprintf("policy %s %s", ev.ObjectID, verb(ev.Type)))
		}
	case pc.EventAssignmentActive:
		if ev.ObjectID == s.Policy.AssignmentID {
			e.transition("", "assignment "+ev.ObjectID+" active (premium charged)")
		}
	case pc.EventAssignmentCancelled:
		if ours(s.Policy.AssignmentID) && ev.ObjectID == s.Policy.AssignmentID {
			e.loseCoverage("assignment " + ev.ObjectID + " cancelled in 1099Policy")
		}
	case pc.EventCertificateApproved, pc.EventCertificateFlagged, pc.EventCertificateDenied, pc.EventCertificateError:
		if ours(s.Policy.CertificateID) && ev.ObjectID == s.Policy.CertificateID {
			e.applyCertificateStatus(ev.Status, "certificate review: "+ev.Type)
		}
	}
}

func verb(eventType string) string {
	if eventType == pc.EventPolicyExpired {
		return "expired"
	}
	return "cancelled"
}

func (e *engagementRun) isOurSession(ev engagement.PolicyEvent) bool {
	s := e.s
	return (ev.ObjectID != "" && ev.ObjectID == s.Policy.SessionID) || (ev.QuoteID != "" && ev.QuoteID == s.Policy.QuoteID)
}
