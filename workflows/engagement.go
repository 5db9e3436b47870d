package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/notify"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Timing rules of the lifecycle.
const (
	SessionReminderAfter = 48 * time.Hour // a session not completed gets a fresh one
	CertificatePollAfter = 2 * time.Hour  // no review webhook by then: poll the certificate
)

// a is the activities' method set; the worker registers a real instance.
var a *activities.Activities

// EngagementWorkflow keeps one engagement insured (or covered by an approved certificate) from
// its start to its end. Signal listeners record events; the main path below reads like the
// lifecycle: sync the platform's record, set up the contractor and job, bind coverage, then keep
// it true (changes, certificates, invoices, cancellations, reminders) until the engagement ends.
func EngagementWorkflow(ctx workflow.Context, in EngagementInput) (Status, error) {
	e := newEngagement(ctx, in)
	e.notifying = workflow.GetVersion(ctx, notificationsVersion, workflow.DefaultVersion, 1) >= 1
	e.horizon = horizonFor(ctx)
	if err := e.listen(); err != nil {
		return e.s.Status, err
	}
	if e.notifying {
		e.sendNotifications()
	}
	// The signal that started the workflow is already here: record it now, so the first
	// sync covers it instead of a second sync following it.
	e.drainSignals()
	for !e.s.Closed {
		e.observeCancellation()
		e.applyInbox()
		if e.nextStep() {
			continue
		}
		if e.shouldContinueAsNew() {
			return e.s.Status, e.continueAsNew()
		}
		e.waitForWork()
	}
	if err := workflow.Await(e.ctx, func() bool { return e.notificationsSent() && workflow.AllHandlersFinished(e.ctx) }); err != nil {
		return e.s.Status, err
	}
	return e.s.Status, nil
}

type engagement struct {
	ctx    workflow.Context
	s      *EngagementState
	inbox  []Message
	seen   *seenSet
	logger log.Logger
	// published is the search-attribute values last upserted in this run.
	published string
	// notifying is false when replaying a history recorded before notifications existed.
	notifying bool
	// horizon is false when replaying a history recorded before the coverage horizon.
	horizon bool
	// opsQueued and opsApplied count operator Updates, so each handler knows when its action
	// took effect; cancelled says a cancellation from Temporal was turned into an end.
	opsQueued, opsApplied int
	cancelled             bool
	// causeNote is added to the cause of transitions made while applying one event (how
	// that event arrived, when it matters to an operator).
	causeNote string
}

func newEngagement(ctx workflow.Context, in EngagementInput) *engagement {
	e := &engagement{ctx: ctx, logger: workflow.GetLogger(ctx)}
	if in.Carried != nil {
		st := in.Carried.State
		e.s = &st
		e.seen = newSeenSet(in.Carried.Seen)
		e.inbox = in.Carried.Inbox
		return e
	}
	e.s = &EngagementState{
		Status: Status{
			WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Vendor: in.Vendor, EngagementID: in.EngagementID,
			CoverageStatus: StatusPending, CertificateStatus: CertificateNone, Transitions: []Transition{},
		},
		NeedsSync:   true,
		BindAttempt: 1,
	}
	e.seen = newSeenSet(nil)
	if in.StartedWithSearchAttributes {
		e.published = publishedValues(e.s) // the dispatcher set them: nothing to upsert yet
	}
	return e
}

// listen registers the query and the signal listeners before anything blocks.
func (e *engagement) listen() error {
	if err := workflow.SetQueryHandler(e.ctx, QueryStatus, func() (Status, error) { return e.s.Status, nil }); err != nil {
		return err
	}
	listenTo(e, SignalPlatformEvent, func(m *PlatformEvent) Message { return Message{Platform: m} })
	listenTo(e, SignalPolicyEvent, func(m *PolicyEvent) Message { return Message{Policy: m} })
	listenTo(e, SignalOperatorAction, func(m *OperatorAction) Message { return Message{Operator: m} })
	listenTo(e, SignalSessionLease, func(m *SessionLease) Message { return Message{Lease: m} })
	if err := workflow.SetUpdateHandlerWithOptions(e.ctx, UpdateOperatorAction, e.operatorUpdate,
		workflow.UpdateHandlerOptions{Validator: e.validateOperatorAction}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(e.ctx, UpdateContractorDetails, e.contractorDetailsUpdate,
		workflow.UpdateHandlerOptions{Validator: e.validateContractorDetails}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(e.ctx, UpdateCertificateUploaded, e.certificateUploadedUpdate,
		workflow.UpdateHandlerOptions{Validator: e.validateCertificateUploaded}); err != nil {
		return err
	}
	e.publish()
	return nil
}

// listenTo records every signal of one name into the inbox, dropping duplicates by event id.
func listenTo[T any](e *engagement, name string, wrap func(*T) Message) {
	ch := workflow.GetSignalChannel(e.ctx, name)
	workflow.Go(e.ctx, func(ctx workflow.Context) {
		for {
			var payload T
			ch.Receive(ctx, &payload)
			e.record(wrap(&payload))
		}
	})
}

func (e *engagement) record(m Message) {
	if key := dedupeKey(m); key != "" && !e.seen.add(key) {
		e.logger.Info("duplicate event dropped", "dedupe_key", key)
		return
	}
	if m.Policy != nil && m.Policy.Source == activities.SourceEventsPoller {
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
	case m.Operator != nil && m.Operator.RequestID != "":
		return "operator:" + m.Operator.RequestID
	}
	return ""
}

// nextStep runs the most urgent piece of work, if any, and reports whether it ran one.
func (e *engagement) nextStep() bool {
	s := e.s
	switch {
	case s.End != nil && len(s.PendingInvoices) > 0 && s.Onboarded && !s.Parked:
		e.recordInvoice() // actual pay is recorded even when the engagement ends at once
	case s.End != nil && (!s.Parked || s.ParkedStep != "end"):
		e.finish()
	case s.Parked:
		return e.handleDeadline(true)
	case s.NeedsSync:
		e.sync()
	case s.NeedsBinding && !s.AwaitingLease:
		e.bind()
	case s.NeedsNewSession && !s.AwaitingLease:
		e.renewSession("operator or 1099Policy asked for a new session")
	case len(s.PendingCOIs) > 0:
		e.uploadCertificate()
	case len(s.PendingInvoices) > 0:
		e.recordInvoice()
	default:
		return e.handleDeadline(false)
	}
	return true
}

// waitForWork blocks until a signal arrives or the next deadline (end date, start date,
// session reminder, policy expiry, certificate poll) is due.
func (e *engagement) waitForWork() {
	hasWork := func() bool { return len(e.inbox) > 0 }
	next, ok := e.nextDeadline(e.s.Parked)
	if !ok {
		_ = workflow.Await(e.ctx, hasWork)
		return
	}
	if d := next.Sub(workflow.Now(e.ctx)); d > 0 {
		_, _ = workflow.AwaitWithTimeout(e.ctx, d, hasWork)
	}
}

// forceContinueAsNew, when set, continues as new before the server suggests it (tests use it
// to exercise continue-as-new without thousands of events).
var forceContinueAsNew func(*EngagementState) bool

func (e *engagement) shouldContinueAsNew() bool {
	due := workflow.GetInfo(e.ctx).GetContinueAsNewSuggested() || (forceContinueAsNew != nil && forceContinueAsNew(e.s))
	return due && len(e.inbox) == 0 && e.notificationsSent() && workflow.AllHandlersFinished(e.ctx)
}

// drainSignals records every signal already delivered but not yet read by a listener.
func (e *engagement) drainSignals() {
	drain(e, SignalPlatformEvent, func(m *PlatformEvent) Message { return Message{Platform: m} })
	drain(e, SignalPolicyEvent, func(m *PolicyEvent) Message { return Message{Policy: m} })
	drain(e, SignalOperatorAction, func(m *OperatorAction) Message { return Message{Operator: m} })
	drain(e, SignalSessionLease, func(m *SessionLease) Message { return Message{Lease: m} })
}

// continueAsNew carries the state, the dedupe set and anything still unread.
func (e *engagement) continueAsNew() error {
	e.drainSignals()
	return workflow.NewContinueAsNewError(e.ctx, EngagementWorkflow, EngagementInput{
		Vendor: e.s.Vendor, EngagementID: e.s.EngagementID,
		Carried: &Carried{State: *e.s, Seen: slices.Clone(e.seen.order), Inbox: e.inbox},
	})
}

func drain[T any](e *engagement, name string, wrap func(*T) Message) {
	ch := workflow.GetSignalChannel(e.ctx, name)
	for {
		var payload T
		if !ch.ReceiveAsync(&payload) {
			return
		}
		e.record(wrap(&payload))
	}
}

// ---- recording state ------------------------------------------------------------------

func (e *engagement) now() time.Time { return workflow.Now(e.ctx) }

// transition changes the coverage status (or notes a change that kept it) and publishes it.
func (e *engagement) transition(to CoverageStatus, cause string) {
	if to == "" {
		to = e.s.CoverageStatus
	}
	if e.causeNote != "" {
		cause += " (" + e.causeNote + ")"
	}
	from := e.s.CoverageStatus
	e.s.record(e.now(), to, cause)
	if to != from && statusEvents[to] != "" {
		e.notify(statusEvents[to], cause)
	}
	e.logger.Info("engagement transition", "vendor", e.s.Vendor, "engagement_id", e.s.EngagementID,
		"coverage_status", string(to), "certificate_status", string(e.s.CertificateStatus), "cause", cause)
	e.publish()
}

var (
	saVendor            = temporal.NewSearchAttributeKeyKeyword("Vendor")
	saEngagementID      = temporal.NewSearchAttributeKeyKeyword("EngagementID")
	saCoverageStatus    = temporal.NewSearchAttributeKeyKeyword("CoverageStatus")
	saCertificateStatus = temporal.NewSearchAttributeKeyKeyword("CertificateStatus")
	saPolicyContractor  = temporal.NewSearchAttributeKeyKeyword("PolicyContractorID")
	saSourceContractor  = temporal.NewSearchAttributeKeyKeyword("SourceContractorID")
	saCoverageStart     = temporal.NewSearchAttributeKeyTime("CoverageStart")
	saCoverageEnd       = temporal.NewSearchAttributeKeyTime("CoverageEnd")
)

// searchAttributesVersion guards the second way of publishing: upsert only values that changed
// (none at start when the dispatcher set them) and add SourceContractorID. Histories from
// before replay the first way.
const searchAttributesVersion = "search-attributes-on-change"

// publish upserts the search attributes and the UI summary (never personal data).
func (e *engagement) publish() {
	s := e.s
	updates := []temporal.SearchAttributeUpdate{
		saVendor.ValueSet(s.Vendor), saEngagementID.ValueSet(s.EngagementID),
		saCoverageStatus.ValueSet(string(s.CoverageStatus)), saCertificateStatus.ValueSet(string(s.CertificateStatus)),
	}
	if s.Policy.ContractorID != "" {
		updates = append(updates, saPolicyContractor.ValueSet(s.Policy.ContractorID))
	}
	if s.CoverageStart > 0 {
		updates = append(updates, saCoverageStart.ValueSet(time.Unix(s.CoverageStart, 0).UTC()),
			saCoverageEnd.ValueSet(time.Unix(s.CoverageEnd, 0).UTC()))
	}
	workflow.SetCurrentDetails(e.ctx, s.summary())
	if workflow.GetVersion(e.ctx, searchAttributesVersion, workflow.DefaultVersion, 1) >= 1 {
		if s.SourceContractorID != "" {
			updates = append(updates, saSourceContractor.ValueSet(s.SourceContractorID))
		}
		published := publishedValues(s)
		if published == e.published {
			return
		}
		e.published = published
	}
	if err := workflow.UpsertTypedSearchAttributes(e.ctx, updates...); err != nil {
		e.logger.Warn("search attributes not upserted", "error", err)
	}
}

// publishedValues is what the search attributes say, to tell whether an upsert changes them.
func publishedValues(s *EngagementState) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%d|%d", s.Vendor, s.EngagementID, s.CoverageStatus, s.CertificateStatus,
		s.Policy.ContractorID, s.SourceContractorID, s.CoverageStart, s.CoverageEnd)
}

// park stops the step that failed until an operator retries it; the reason names the cause.
func (e *engagement) park(step string, err error) {
	reason := attentionReason(step, err)
	s := e.s
	if !s.Parked {
		s.ParkedFrom = s.CoverageStatus
	}
	s.Parked, s.ParkedStep, s.AttentionReason = true, step, reason
	e.transition(StatusNeedsAttention, reason)
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

func (e *engagement) key(step string) string {
	return stepKey(e.s.WorkflowID, step, e.s.KeyGeneration)
}

func call[In, Out any](e *engagement, fn func(*activities.Activities, context.Context, In) (Out, error), in In) (Out, error) {
	var out Out
	err := workflow.ExecuteActivity(callOptions(e.ctx), fn, in).Get(e.ctx, &out)
	return out, err
}

// ---- applying events --------------------------------------------------------------------

func (e *engagement) applyInbox() {
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

func (e *engagement) applyPlatformEvent(ev PlatformEvent) {
	s := e.s
	if s.End != nil {
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
		if !ev.OccurredAt.IsZero() && ev.OccurredAt.Before(s.LastEventAt) {
			e.logger.Info("stale platform update ignored", "event_id", ev.EventID)
			return
		}
		if ev.OccurredAt.After(s.LastEventAt) {
			s.LastEventAt = ev.OccurredAt
		}
		s.NeedsSync = true
	case vendors.KindEnd, vendors.KindCancel:
		at := ev.OccurredAt.Unix()
		if ev.OccurredAt.IsZero() {
			at = e.now().Unix()
		}
		s.End = &EndRequest{Kind: ev.Kind, At: at, Cause: fmt.Sprintf("platform event %s", ev.Name)}
	case vendors.KindCOI:
		e.queueDocuments([]string{ev.DocumentID})
	case vendors.KindInvoice:
		if ev.InvoiceID != "" && !slices.Contains(s.RecordedInvoices, ev.InvoiceID) && !slices.Contains(s.PendingInvoices, ev.InvoiceID) {
			s.PendingInvoices = append(s.PendingInvoices, ev.InvoiceID)
		}
	}
}

// queueDocuments adds platform certificate documents not seen before (a webhook and a sync
// can name the same one).
func (e *engagement) queueDocuments(ids []string) {
	s := e.s
	for _, id := range ids {
		if id != "" && !slices.Contains(s.PendingCOIs, id) && !slices.Contains(s.UploadedDocuments, id) {
			s.PendingCOIs = append(s.PendingCOIs, id)
		}
	}
}

func (e *engagement) applyPolicyEvent(ev PolicyEvent) {
	s := e.s
	if s.End != nil {
		return
	}
	if ev.Source == activities.SourceEventsPoller {
		e.causeNote = ev.Type + " found by the events poller"
		defer func() { e.causeNote = "" }()
	}
	ours := func(id string) bool { return id != "" }
	switch ev.Type {
	case pc.EventApplicationStarted:
		if e.isOurSession(ev) && (s.CoverageStatus == StatusAwaitingApplication || s.CoverageStatus == StatusUnprotected) {
			e.transition(StatusApplicationInProgress, "contractor started the application")
		}
	case "application.manual_review":
		if e.isOurSession(ev) {
			e.transition(StatusManualReview, "application in manual review")
		}
	case "application.manual_review_approved":
		if e.isOurSession(ev) {
			e.transition(StatusApplicationInProgress, "manual review approved")
		}
	case pc.EventApplicationExpired:
		if e.isOurSession(ev) && ev.ObjectID == s.Policy.SessionID && !slices.Contains(s.ExpiredSessions, ev.ObjectID) && s.sessionOpen() {
			s.NeedsNewSession = true
		}
	case "application.ineligible":
		if e.isOurSession(ev) {
			e.park("application", errors.New("1099Policy found the contractor ineligible for coverage"))
		}
	case pc.EventPolicyActive, pc.EventPolicyReactivated, "policy.active.media":
		switch {
		case ours(s.Policy.QuoteID) && ev.QuoteID == s.Policy.QuoteID:
			s.Policy.PolicyID, s.PolicyExpiresAt = ev.ObjectID, ev.ExpirationDate
			s.NeedsBinding, s.NeedsNewSession = false, false
			e.transition(StatusInsured, "policy "+ev.ObjectID+" active")
			e.releaseLease()
		case ev.ContractorID != "" && ev.ContractorID == s.Policy.ContractorID && !s.covered():
			// Another engagement's application gave the contractor a policy: an assignment
			// now covers this one too.
			s.ReturningContractor, s.TriedAssignment = true, false
			if s.AwaitingLease {
				e.releaseLease()
			}
			if !s.HoldsLease {
				s.NeedsBinding = true
			}
		}
	case pc.EventPolicyCancelled, pc.EventPolicyExpired:
		affected := (ours(s.Policy.PolicyID) && ev.ObjectID == s.Policy.PolicyID) ||
			(ours(s.Policy.AssignmentID) && ev.ContractorID == s.Policy.ContractorID)
		if affected && !s.Closed {
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

func (e *engagement) isOurSession(ev PolicyEvent) bool {
	s := e.s
	return (ev.ObjectID != "" && ev.ObjectID == s.Policy.SessionID) || (ev.QuoteID != "" && ev.QuoteID == s.Policy.QuoteID)
}

// loseCoverage marks the engagement unprotected and re-binds through a new quote and session.
func (e *engagement) loseCoverage(cause string) {
	s := e.s
	s.Policy.PolicyID, s.Policy.AssignmentID, s.Policy.QuoteID = "", "", ""
	s.Policy.SessionID, s.Policy.SessionURL = "", ""
	s.PolicyExpiresAt = 0
	s.BindAttempt++
	s.NeedsBinding, s.ReturningContractor, s.TriedAssignment = true, false, false
	if s.CertificateStatus == CertificateApproved {
		e.transition("", cause+"; an approved certificate still covers the engagement")
		s.NeedsBinding = false
		return
	}
	e.transition(StatusUnprotected, cause+"; re-binding through a new quote")
}

func (e *engagement) applyCertificateStatus(status, cause string) {
	s := e.s
	var next CertificateStatus
	switch status {
	case pc.CertificateApproved:
		next = CertificateApproved
	case pc.CertificateFlagged:
		next = CertificateFlagged
	case pc.CertificateDenied:
		next = CertificateDenied
	case pc.CertificateError:
		e.transition("", "certificate review failed at 1099Policy; an operator can approve or reject it")
		s.NextCertificatePoll = time.Time{}
		return
	default:
		return // pending or processing: nothing new
	}
	if next == s.CertificateStatus {
		return
	}
	s.CertificateStatus = next
	s.NextCertificatePoll = time.Time{}
	if next == CertificateFlagged {
		e.notify(notify.CertificateFlagged, cause)
	}
	switch {
	case next == CertificateApproved && s.CoverageStatus != StatusInsured:
		s.CoveredByCertificate, s.NeedsBinding, s.NeedsNewSession = true, false, false
		e.transition(StatusInsured, cause+"; the approved certificate covers the engagement")
		e.releaseLease()
	case next != CertificateApproved && s.CoveredByCertificate:
		s.CoveredByCertificate = false
		s.NeedsBinding = s.Policy.PolicyID == "" && s.Policy.AssignmentID == ""
		to := StatusPending
		if s.StartChecked {
			to = StatusUnprotected
		}
		e.transition(to, cause+"; coverage needed again")
	default:
		e.transition("", cause)
	}
}

func (e *engagement) applyOperatorAction(op OperatorAction) {
	s := e.s
	switch op.Action {
	case ActionRetry:
		if !s.Parked {
			e.transition("", "operator retry: nothing was waiting")
			return
		}
		e.resume("operator retry")
	case ActionResendSession:
		if s.sessionOpen() {
			s.NeedsNewSession = true
		} else {
			e.transition("", "operator asked for a new session, but none is open")
		}
	case ActionApproveCertificate, ActionRejectCertificate:
		if s.Policy.CertificateID == "" {
			e.transition("", "operator certificate decision ignored: no certificate")
			return
		}
		status, cause := pc.CertificateApproved, "certificate approved by an operator"
		if op.Action == ActionRejectCertificate {
			status, cause = pc.CertificateDenied, "certificate rejected by an operator"
		}
		if op.Note != "" {
			cause += ": " + op.Note
		}
		e.applyCertificateStatus(status, cause)
	case ActionEnd:
		if s.End == nil {
			cause := "ended by an operator"
			if op.Note != "" {
				cause += ": " + op.Note
			}
			e.applyEnd(cause)
		}
	}
}

// resume un-parks the engagement: the parked step runs again under a new key generation (a
// refusal 1099Policy stored under the old keys is not replayed).
func (e *engagement) resume(cause string) {
	s := e.s
	s.Parked, s.ParkedStep, s.AttentionReason = false, "", ""
	s.KeyGeneration++
	e.transition(s.ParkedFrom, cause)
}

func (e *engagement) applyLease(l SessionLease) {
	s := e.s
	if !s.AwaitingLease || s.End != nil {
		// Not wanted any more (covered meanwhile, or ending): hand it straight back.
		e.signalCoordinator(SignalReleaseSession)
		return
	}
	s.AwaitingLease, s.HoldsLease, s.LeaseQueued = false, true, l.Queued
}

// ---- steps ------------------------------------------------------------------------------

// sync fetches the platform's record and applies it: onboarding the first time, changes after.
func (e *engagement) sync() {
	s := e.s
	fetched, err := call(e, (*activities.Activities).FetchEngagement, activities.FetchEngagementInput{Vendor: s.Vendor, EngagementID: s.EngagementID,
		Refs: s.SourceRefs})
	eng := fetched.Engagement
	eng.Contractor = s.withDetails(eng.Contractor)
	if err != nil {
		e.park("fetch from "+s.Vendor, err)
		return
	}
	s.NeedsSync = false
	s.ApplicationPendingAfter, s.Horizon = fetched.ApplicationPendingAfter, fetched.Horizon
	if !eng.UpdatedAt.IsZero() {
		if eng.UpdatedAt.Before(s.LastSourceUpdate) {
			e.logger.Info("platform record older than the state; not applied")
			return
		}
		s.LastSourceUpdate = eng.UpdatedAt
	}
	if eng.OutOfScope != "" {
		s.End = &EndRequest{Kind: vendors.KindIgnore, At: e.now().Unix(), Cause: "out of scope: " + eng.OutOfScope}
		return
	}
	if eng.Terminal != "" {
		s.End = &EndRequest{Kind: eng.Terminal, At: e.now().Unix(), Cause: "platform shows status " + eng.Status}
		return
	}
	e.queueDocuments(eng.Documents)
	if !s.Onboarded {
		e.onboard(eng, fetched.Fingerprint)
		return
	}
	e.applyChanges(eng, fetched.Fingerprint)
}

func (e *engagement) onboard(eng vendors.Engagement, fp activities.Fingerprint) {
	s := e.s
	e.setWindow(eng.Start, eng.End)
	s.Wage, s.WageType = eng.Job.Wage, eng.Job.WageType
	s.CoverageTypes, s.Metadata, s.ClientID = eng.CoverageTypes, eng.Metadata, eng.Job.ClientID
	s.SourceContractorID = eng.Contractor.SourceID
	if s.Policy.ContractorID == "" && !e.upsertContractor(eng) {
		return
	}
	if s.Policy.JobID == "" {
		job, err := call(e, (*activities.Activities).CreateJob, activities.JobInput{WorkflowID: s.WorkflowID, Key: e.key("job"),
			Vendor: s.Vendor, Job: eng.Job, Metadata: eng.Metadata.Job})
		if err != nil {
			s.NeedsSync = true
			e.park("create job", err)
			return
		}
		s.Policy.JobID = job.JobID
	}
	s.SourceFingerprint = fp
	s.Onboarded, s.NeedsBinding = true, true
	e.transition("", "contractor and job set up in 1099Policy")
}

// upsertContractor finds the contractor by email and updates it, or creates it with the
// guide's idempotency key; duplicate_email (a concurrent create) falls back to the lookup.
func (e *engagement) upsertContractor(eng vendors.Engagement) bool {
	s := e.s
	in := activities.ContractorInput{WorkflowID: s.WorkflowID, Key: ContractorKey(s.Vendor, eng.Contractor.SourceID),
		Contractor: eng.Contractor, Metadata: eng.Metadata.Contractor}
	for range 2 {
		found, err := call(e, (*activities.Activities).FindContractor, activities.FindContractorInput{Email: eng.Contractor.Email})
		if err != nil {
			s.NeedsSync = true
			e.park("find contractor", err)
			return false
		}
		if found.Found {
			in.ContractorID = found.ContractorID
			if _, err := call(e, (*activities.Activities).UpdateContractor, in); err != nil {
				s.NeedsSync = true
				e.park("update contractor", err)
				return false
			}
			s.Policy.ContractorID, s.ReturningContractor = found.ContractorID, true
			return true
		}
		created, err := call(e, (*activities.Activities).CreateContractor, in)
		if activities.ErrorType(err) == activities.ErrDuplicateEmail {
			continue
		}
		if err != nil {
			s.NeedsSync = true
			e.park("create contractor", err)
			return false
		}
		s.Policy.ContractorID = created.ContractorID
		return true
	}
	s.NeedsSync = true
	e.park("create contractor", errors.New("duplicate_email but no contractor with that email"))
	return false
}

// applyChanges applies what changed on the platform: contractor details, job and wage, and
// the coverage window (the quote before binding, the assignment after).
func (e *engagement) applyChanges(eng vendors.Engagement, fp activities.Fingerprint) {
	s := e.s
	if fp.Contractor != s.SourceFingerprint.Contractor {
		in := activities.ContractorInput{WorkflowID: s.WorkflowID, ContractorID: s.Policy.ContractorID, Contractor: eng.Contractor, Metadata: eng.Metadata.Contractor}
		if _, err := call(e, (*activities.Activities).UpdateContractor, in); err != nil {
			s.NeedsSync = true
			e.park("update contractor", err)
			return
		}
		s.SourceFingerprint.Contractor = fp.Contractor
		e.transition("", "contractor details updated")
	}
	if fp.Job != s.SourceFingerprint.Job {
		in := activities.JobInput{WorkflowID: s.WorkflowID, JobID: s.Policy.JobID, Vendor: s.Vendor, Job: eng.Job, Metadata: eng.Metadata.Job}
		if _, err := call(e, (*activities.Activities).UpdateJob, in); err != nil {
			s.NeedsSync = true
			e.park("update job", err)
			return
		}
		s.SourceFingerprint.Job = fp.Job
		s.Wage, s.WageType = eng.Job.Wage, eng.Job.WageType
		e.transition("", fmt.Sprintf("job updated (wage %d %s)", eng.Job.Wage, eng.Job.WageType))
	}
	if eng.Start == s.CoverageStart && eng.End == s.workEnd(e.horizon) {
		return
	}
	covered := e.coveredUntil(eng.Start, eng.End)
	window := activities.CoverageInput{WorkflowID: s.WorkflowID, Start: eng.Start, End: covered}
	var err error
	switch {
	case s.Policy.AssignmentID != "":
		window.ID = s.Policy.AssignmentID
		_, err = call(e, (*activities.Activities).UpdateAssignment, window)
	case s.Policy.QuoteID != "" && s.Policy.PolicyID == "":
		window.ID = s.Policy.QuoteID
		_, err = call(e, (*activities.Activities).UpdateQuote, window)
	}
	if err != nil {
		s.NeedsSync = true
		e.park("update coverage window", err)
		return
	}
	e.setWindow(eng.Start, eng.End)
	if eng.Start > e.now().Unix() {
		s.StartChecked = false
	}
	e.transition("", fmt.Sprintf("coverage window moved to %s → %s", day(s.CoverageStart), day(s.CoverageEnd)))
}

func nextMidnight(unix int64) int64 {
	const dayS = 24 * 3600
	return (unix/dayS + 1) * dayS
}

func day(unix int64) string { return time.Unix(unix, 0).UTC().Format("2006-01-02") }

// bind gets coverage: an assignment for a returning contractor, else a quote and an
// application session (one session per contractor at a time, through the coordinator).
func (e *engagement) bind() {
	s := e.s
	if s.ReturningContractor && !s.TriedAssignment {
		if e.tryAssignment("returning contractor") {
			return
		}
	}
	if s.Parked {
		return
	}
	if s.Policy.QuoteID == "" {
		quote, err := call(e, (*activities.Activities).CreateQuote, e.coverageInput(fmt.Sprintf("quote-%d", s.BindAttempt)))
		switch activities.ErrorType(err) {
		case "":
			s.Policy.QuoteID = quote.ID
			e.transition("", "quote "+quote.ID+" created")
		case activities.ErrMatchingPolicy:
			s.TriedAssignment = false
			if !e.tryAssignment("contractor already holds a matching policy") && !s.Parked {
				e.park("create assignment", errors.New("quote says the contractor holds a matching policy, but the assignment was refused"))
			}
			return
		default:
			e.park("create quote", err)
			return
		}
	}
	if !s.HoldsLease {
		s.AwaitingLease = true
		e.signalCoordinator(SignalAcquireSession)
		return
	}
	if s.LeaseQueued && !s.TriedAssignment {
		// Another engagement of this contractor held the session first; its policy may cover us.
		if e.tryAssignment("contractor's earlier application") || s.Parked {
			return
		}
	}
	e.openSession()
}

// tryAssignment creates the assignment; false when it is ineligible (the caller falls back to
// quote + session) or failed (the engagement is parked).
func (e *engagement) tryAssignment(why string) bool {
	s := e.s
	s.TriedAssignment = true
	in := e.coverageInput(fmt.Sprintf("assignment-%d", s.BindAttempt))
	asg, err := call(e, (*activities.Activities).CreateAssignment, in)
	switch activities.ErrorType(err) {
	case "":
		s.Policy.AssignmentID = asg.ID
		s.NeedsBinding, s.NeedsNewSession = false, false
		e.transition(StatusInsured, "assignment "+asg.ID+" created ("+why+")")
		e.releaseLease()
		return true
	case activities.ErrNoMatchingPolicy:
		e.transition("", "assignment ineligible ("+why+"); falling back to quote and application session")
		return false
	default:
		e.park("create assignment", err)
		return false
	}
}

func (e *engagement) coverageInput(step string) activities.CoverageInput {
	s := e.s
	meta := s.Metadata.Quote
	if len(step) >= 10 && step[:10] == "assignment" {
		meta = s.Metadata.Assignment
	}
	return activities.CoverageInput{WorkflowID: s.WorkflowID, Key: e.key(step), ContractorID: s.Policy.ContractorID,
		JobID: s.Policy.JobID, CoverageType: s.CoverageTypes, Start: s.CoverageStart, End: s.CoverageEnd, Metadata: meta}
}

func (e *engagement) openSession() {
	s := e.s
	s.SessionCount++
	sess, err := call(e, (*activities.Activities).CreateSession, activities.SessionInput{WorkflowID: s.WorkflowID,
		Key: e.key(fmt.Sprintf("session-%d.%d", s.BindAttempt, s.SessionCount)), Vendor: s.Vendor, EngagementID: s.EngagementID,
		QuoteID: s.Policy.QuoteID, Metadata: s.Metadata.Session})
	if err != nil {
		s.SessionCount--
		e.park("create application session", err)
		return
	}
	s.Policy.SessionID, s.Policy.SessionURL, s.SessionCreatedAt = sess.SessionID, sess.URL, e.now()
	s.NeedsBinding, s.NeedsNewSession = false, false
	to := StatusAwaitingApplication
	if s.CoverageStatus == StatusUnprotected {
		to = StatusUnprotected // stays unprotected until the new policy is active
	}
	e.transition(to, "application session "+sess.SessionID+" created")
}

// renewSession expires the open session and issues a fresh one.
func (e *engagement) renewSession(why string) {
	s := e.s
	s.NeedsNewSession = false
	if !s.sessionOpen() {
		return
	}
	old := s.Policy.SessionID
	s.ExpiredSessions = append(s.ExpiredSessions, old)
	if len(s.ExpiredSessions) > 20 {
		s.ExpiredSessions = s.ExpiredSessions[1:]
	}
	if err := workflow.ExecuteActivity(callOptions(e.ctx), (*activities.Activities).ExpireSession,
		activities.ExpireSessionInput{Key: e.key("expire-" + old), SessionID: old}).Get(e.ctx, nil); err != nil {
		e.logger.Warn("session not expired; issuing a new one anyway", "session_id", old, "error", err)
	}
	e.transition("", why+"; session "+old+" expired")
	e.openSession()
}

func (e *engagement) uploadCertificate() {
	s := e.s
	if !s.Onboarded {
		return // the contractor must exist first; kept pending
	}
	doc := s.PendingCOIs[0]
	s.CertificateCount++
	var out activities.CertificateOutput
	err := workflow.ExecuteActivity(uploadOptions(e.ctx), (*activities.Activities).UploadCertificate, activities.CertificateInput{
		WorkflowID: s.WorkflowID, Key: e.key("certificate-" + doc), Vendor: s.Vendor, EngagementID: s.EngagementID,
		DocumentID: doc, ContractorID: s.Policy.ContractorID, Metadata: s.Metadata.Certificate,
	}).Get(e.ctx, &out)
	if err != nil {
		s.CertificateCount--
		e.park("upload certificate", err)
		return
	}
	s.PendingCOIs = s.PendingCOIs[1:]
	s.UploadedDocuments = append(s.UploadedDocuments, doc)
	s.Policy.CertificateID = out.CertificateID
	s.CertificateStatus = CertificatePending
	s.NextCertificatePoll = e.now().Add(CertificatePollAfter)
	e.transition("", "certificate "+out.CertificateID+" uploaded for review")
}

func (e *engagement) recordInvoice() {
	s := e.s
	if !s.Onboarded {
		return
	}
	id := s.PendingInvoices[0]
	inv, err := call(e, (*activities.Activities).FetchInvoice, activities.FetchInvoiceInput{Vendor: s.Vendor, EngagementID: s.EngagementID, InvoiceID: id})
	if err != nil {
		e.park("fetch invoice "+id, err)
		return
	}
	out, err := call(e, (*activities.Activities).CreateInvoice, activities.InvoiceInput{WorkflowID: s.WorkflowID,
		Key: e.key("invoice-" + id), ContractorID: s.Policy.ContractorID, JobID: s.Policy.JobID, Invoice: inv})
	if err != nil {
		e.park("record invoice "+id, err)
		return
	}
	s.PendingInvoices = s.PendingInvoices[1:]
	s.RecordedInvoices = append(s.RecordedInvoices, id)
	s.Policy.InvoiceIDs = append(s.Policy.InvoiceIDs, out.InvoiceID)
	e.transition("", fmt.Sprintf("invoice %s recorded (%d cents)", id, inv.GrossPay))
}

// ---- deadlines --------------------------------------------------------------------------

type deadline struct {
	at   time.Time
	kind string
}

// deadlines lists what is due at a time, in the order it is handled. While parked only the
// end date counts.
func (e *engagement) deadlines(parked bool) []deadline {
	s := e.s
	var out []deadline
	if end := s.workEnd(e.horizon); s.End == nil && end > 0 {
		out = append(out, deadline{time.Unix(end, 0), "end-date"})
	}
	if parked || !s.Onboarded {
		return out
	}
	if !s.StartChecked && s.CoverageStart > 0 {
		out = append(out, deadline{time.Unix(s.CoverageStart, 0), "start-date"})
	}
	if s.sessionOpen() && !s.SessionCreatedAt.IsZero() && !s.AwaitingLease {
		out = append(out, deadline{s.SessionCreatedAt.Add(SessionReminderAfter), "session-reminder"})
	}
	if s.Policy.PolicyID != "" && s.PolicyExpiresAt > 0 && s.PolicyExpiresAt < s.CoverageEnd {
		out = append(out, deadline{time.Unix(s.PolicyExpiresAt, 0), "policy-expiry"})
	}
	if s.CertificateStatus == CertificatePending && !s.NextCertificatePoll.IsZero() {
		out = append(out, deadline{s.NextCertificatePoll, "certificate-poll"})
	}
	if due, ok := e.applicationPendingDue(); ok {
		out = append(out, deadline{due, "application-pending"})
	}
	if due, ok := e.extensionDue(); ok {
		out = append(out, deadline{due, "extend-coverage"})
	}
	return out
}

func (e *engagement) nextDeadline(parked bool) (time.Time, bool) {
	var next time.Time
	for _, d := range e.deadlines(parked) {
		if next.IsZero() || d.at.Before(next) {
			next = d.at
		}
	}
	return next, !next.IsZero()
}

// handleDeadline runs the first due deadline and reports whether one was due.
func (e *engagement) handleDeadline(parked bool) bool {
	now := e.now()
	for _, d := range e.deadlines(parked) {
		if d.at.After(now) {
			continue
		}
		s := e.s
		switch d.kind {
		case "end-date":
			s.End = &EndRequest{Kind: vendors.KindEnd, At: s.workEnd(e.horizon), Cause: "end date reached"}
		case "start-date":
			s.StartChecked = true
			if !s.covered() {
				e.transition(StatusUnprotected, "start date reached without coverage or an approved certificate")
			}
		case "session-reminder":
			e.renewSession("application not completed within 48 h")
		case "policy-expiry":
			e.loseCoverage(fmt.Sprintf("policy %s expired", s.Policy.PolicyID))
		case "certificate-poll":
			e.pollCertificate()
		case "application-pending":
			e.notifyApplicationPending()
		case "extend-coverage":
			e.extendCoverage()
		}
		return true
	}
	return false
}

func (e *engagement) pollCertificate() {
	s := e.s
	s.NextCertificatePoll = e.now().Add(CertificatePollAfter)
	out, err := call(e, (*activities.Activities).GetCertificate, activities.GetCertificateInput{CertificateID: s.Policy.CertificateID})
	if err != nil {
		e.logger.Warn("certificate poll failed; polling again later", "error", err)
		return
	}
	e.applyCertificateStatus(out.Status, "certificate review (polled after no webhook): "+out.Status)
}

// ---- the end ----------------------------------------------------------------------------

// finish ends coverage: before the start date the assignment is cancelled; after it the
// assignment's end date moves to the actual end where 1099Policy allows. Then the workflow
// completes; later webhooks for it are acknowledged by the ingress and change nothing.
func (e *engagement) finish() {
	s := e.s
	end := *s.End
	if s.Parked {
		s.Parked, s.ParkedStep, s.AttentionReason = false, "", ""
	}
	final := StatusEnded
	beforeStart := e.now().Unix() < s.CoverageStart
	if end.Kind == vendors.KindIgnore {
		e.releaseLease()
		s.Closed = true
		e.transition(StatusEnded, end.Cause)
		return
	}
	if beforeStart || !s.Onboarded {
		final = StatusCanceled
	}
	if s.Policy.AssignmentID != "" {
		if beforeStart {
			err := workflow.ExecuteActivity(callOptions(e.ctx), (*activities.Activities).CancelAssignment, activities.CancelAssignmentInput{
				Key: e.key("cancel-assignment"), JobID: s.Policy.JobID, Reason: end.Cause}).Get(e.ctx, nil)
			switch activities.ErrorType(err) {
			case "":
			case activities.ErrAssignmentStart:
				final = StatusEnded
				e.moveAssignmentEnd(end)
			default:
				e.park("end", err)
				return
			}
		} else {
			e.moveAssignmentEnd(end)
		}
	}
	if s.sessionOpen() {
		_ = workflow.ExecuteActivity(callOptions(e.ctx), (*activities.Activities).ExpireSession,
			activities.ExpireSessionInput{Key: e.key("expire-" + s.Policy.SessionID), SessionID: s.Policy.SessionID}).Get(e.ctx, nil)
	}
	e.releaseLease()
	s.Closed = true
	e.transition(final, end.Cause)
}

// moveAssignmentEnd ends coverage with the day the engagement ended: at the next 00:00 UTC,
// as a date-only end is read everywhere else.
func (e *engagement) moveAssignmentEnd(end EndRequest) {
	s := e.s
	at := nextMidnight(max(end.At, s.CoverageStart))
	if at >= s.CoverageEnd {
		return
	}
	_, err := call(e, (*activities.Activities).UpdateAssignment, activities.CoverageInput{ID: s.Policy.AssignmentID, Start: s.CoverageStart, End: at})
	if err != nil {
		e.transition("", "assignment end date not moved: "+attentionReason("update assignment", err))
		return
	}
	s.CoverageEnd = at
	e.transition("", "assignment end date moved to "+day(at))
}

// ---- the per-contractor coordinator -----------------------------------------------------

func (e *engagement) signalCoordinator(signal string) {
	s := e.s
	in := activities.SignalWithStartInput{WorkflowID: ContractorWorkflowID(s.Policy.ContractorID), WorkflowType: ContractorWorkflowType,
		SignalName: signal, Signal: LeaseRequest{EngagementWorkflowID: s.WorkflowID},
		StartInput: ContractorInput{ContractorID: s.Policy.ContractorID}}
	if signal == SignalReleaseSession {
		// Releasing needs no running coordinator: if it is gone, nothing is held.
		err := workflow.SignalExternalWorkflow(e.ctx, in.WorkflowID, "", signal, in.Signal).Get(e.ctx, nil)
		if err != nil {
			e.logger.Info("coordinator not running; nothing to release", "error", err)
		}
		return
	}
	if err := workflow.ExecuteActivity(callOptions(e.ctx), (*activities.Activities).SignalWithStart, in).Get(e.ctx, nil); err != nil {
		s.AwaitingLease = false
		e.park("request application session lease", err)
		return
	}
	e.transition("", "waiting for the contractor's application session slot")
}

func (e *engagement) releaseLease() {
	s := e.s
	if !s.HoldsLease && !s.AwaitingLease {
		return
	}
	s.HoldsLease, s.AwaitingLease = false, false
	e.signalCoordinator(SignalReleaseSession)
}
