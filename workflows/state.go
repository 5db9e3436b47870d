package workflows

import (
	"fmt"
	"slices"
	"time"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/notify"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// EndRequest is a pending end of the engagement.
type EndRequest struct {
	Kind  vendors.EventKind `json:"kind"` // end or cancel
	At    int64             `json:"at"`   // actual end, Unix seconds
	Cause string            `json:"cause"`
}

// Phase is where the engagement stands in SPEC §2's lifecycle.
type Phase string

// Phases, in order.
const (
	PhaseSetUp    Phase = "set-up"   // steps 1-3: the platform's record, the contractor and the job
	PhaseCovering Phase = "covering" // steps 4-5: coverage bound and kept true
	PhaseEnding   Phase = "ending"   // step 6 runs: an end was requested
	PhaseClosed   Phase = "closed"   // nothing more happens; the workflow completes
)

// Binding is what the engagement's coverage needs next.
type Binding string

// Bindings.
const (
	BindNothing    Binding = ""            // covered, or waiting for the contractor's application
	BindAssignment Binding = "assignment"  // the contractor may hold a policy: try an assignment first
	BindQuote      Binding = "quote"       // a quote and an application session
	BindNewSession Binding = "new-session" // the open session is replaced by a fresh one
)

// Lease is the engagement's hold on its contractor's one application session.
type Lease string

// Lease states.
const (
	LeaseNone    Lease = ""
	LeaseWaiting Lease = "waiting" // queued behind another engagement of the contractor
	LeaseHeld    Lease = "held"
)

// Parked is a step that failed and waits for an operator (NEEDS_ATTENTION).
type Parked struct {
	Step string                    `json:"step"`
	From engagement.CoverageStatus `json:"from"` // the status to go back to on retry
}

// EngagementState is Status plus the bookkeeping the workflow carries across continue-as-new.
type EngagementState struct {
	engagement.Status
	// Settings are the worker's, as of the last read of the platform's record.
	activities.WorkerSettings

	Phase   Phase   `json:"phase"`
	Binding Binding `json:"binding,omitempty"`
	Lease   Lease   `json:"lease,omitempty"`
	Parked  *Parked `json:"parked,omitempty"`
	// SyncDue says the platform's record changed (or was never read): read and apply it.
	SyncDue             bool                   `json:"sync_due,omitempty"`
	BindAttempt         int                    `json:"bind_attempt"`
	RenewReason         string                 `json:"renew_reason,omitempty"` // why the session is replaced
	AssignmentTries     int                    `json:"assignment_tries,omitempty"`
	ReviewedSession     string                 `json:"reviewed_session,omitempty"` // the session whose application went to manual review
	SessionCount        int                    `json:"session_count,omitempty"`
	SessionCreatedAt    time.Time              `json:"session_created_at,omitzero"`
	ExpiredSessions     []string               `json:"expired_sessions,omitempty"`
	PolicyExpiresAt     int64                  `json:"policy_expires_at,omitempty"`
	NextCertificatePoll time.Time              `json:"next_certificate_poll,omitzero"`
	PendingCOIs         []string               `json:"pending_cois,omitempty"`
	UploadedDocuments   []string               `json:"uploaded_documents,omitempty"`
	PendingInvoices     []string               `json:"pending_invoices,omitempty"`
	RecordedInvoices    []string               `json:"recorded_invoices,omitempty"`
	StartChecked        bool                   `json:"start_checked,omitempty"`
	LastEventAt         time.Time              `json:"last_event_at,omitzero"` // newest platform update event applied
	LastSourceUpdate    time.Time              `json:"last_source_update,omitzero"`
	SourceFingerprint   activities.Fingerprint `json:"source_fingerprint"`
	// SourceVersion is the version of the platform record last applied (published as the
	// SourceVersion search attribute, which the pollers compare against).
	SourceVersion      string                        `json:"source_version,omitempty"`
	ClientID           string                        `json:"client_id,omitempty"`
	SourceContractorID string                        `json:"source_contractor_id,omitempty"`
	Contractor         vendors.Contractor            `json:"contractor,omitzero"`          // as the platform gave it (personal data: QueryDetail only)
	SourceRefs         map[string]string             `json:"source_refs,omitempty"`        // keys beside the id the platform needs (JobDiva)
	ContractorDetails  *engagement.ContractorDetails `json:"contractor_details,omitempty"` // an operator's additions
	End                *EndRequest                   `json:"end,omitempty"`
	KeyGeneration      int                           `json:"key_generation"`
	// WorkEnd is the engagement's own end (0: open-ended); CoverageEnd is the covered part,
	// extended at the horizon (WorkerSettings.Horizon).
	WorkEnd    int64 `json:"work_end,omitempty"`
	Extensions int   `json:"extensions,omitempty"`
	// Notifications: how many were queued (their ids derive from it), those not yet sent, and
	// the session the application-pending notice went out for.
	NotificationSeq        int            `json:"notification_seq,omitempty"`
	Outbox                 []notify.Event `json:"outbox,omitempty"`
	PendingNotifiedSession string         `json:"pending_notified_session,omitempty"`
}

// maxTransitions bounds the audit trail carried in state (the oldest are dropped).
const maxTransitions = 200

func (s *EngagementState) record(at time.Time, to engagement.CoverageStatus, cause string) {
	s.Transitions = append(s.Transitions, engagement.Transition{At: at.UTC(), From: s.CoverageStatus, To: to, Cause: cause})
	if len(s.Transitions) > maxTransitions {
		s.Transitions = slices.Delete(s.Transitions, 0, len(s.Transitions)-maxTransitions)
	}
	s.CoverageStatus = to
}

// covered reports whether the engagement is insured or carries an approved certificate.
func (s *EngagementState) covered() bool {
	return s.CoverageStatus == engagement.StatusInsured || s.CertificateStatus == engagement.CertificateApproved
}

// What keepCovered acts on, in lifecycle order.

// parkedByEvent: an event (an ineligible application), not a step, parked the engagement.
func (s *EngagementState) parkedByEvent() bool { return s.Parked != nil }

// platformChanged: the platform's record changed (or was never read).
func (s *EngagementState) platformChanged() bool { return s.SyncDue }

// sessionToRenew: the open application session is to be replaced.
func (s *EngagementState) sessionToRenew() bool { return s.Binding == BindNewSession }

// needsBinding: coverage needs an assignment or a quote and session, and the contractor's
// session lease is not held by another engagement.
func (s *EngagementState) needsBinding() bool {
	return s.Binding != BindNothing && s.Lease != LeaseWaiting
}

// certificateWaiting: a platform certificate waits to go to 1099Policy for review.
func (s *EngagementState) certificateWaiting() bool { return len(s.PendingCOIs) > 0 }

// invoiceWaiting: a platform invoice waits to be recorded in 1099Policy.
func (s *EngagementState) invoiceWaiting() bool { return len(s.PendingInvoices) > 0 }

// coveredByCertificate reports an engagement insured by nothing but its approved certificate
// (no policy, no assignment): losing the certificate loses the coverage.
func (s *EngagementState) coveredByCertificate() bool {
	return s.CertificateStatus == engagement.CertificateApproved && s.CoverageStatus == engagement.StatusInsured &&
		s.Policy.PolicyID == "" && s.Policy.AssignmentID == ""
}

// sessionOpen reports an application session waiting for the contractor.
func (s *EngagementState) sessionOpen() bool {
	return s.Policy.SessionID != "" && s.Policy.PolicyID == "" && !s.covered()
}

// summary is the one-line description the Temporal UI shows.
func (s *EngagementState) summary() string {
	window := "window unknown"
	if s.CoverageStart > 0 {
		window = fmt.Sprintf("%s → %s", time.Unix(s.CoverageStart, 0).UTC().Format("2006-01-02"),
			time.Unix(s.CoverageEnd, 0).UTC().Format("2006-01-02"))
	}
	line := fmt.Sprintf("**%s %s** · %s · certificate %s · %s", s.Vendor, s.EngagementID, s.CoverageStatus, s.CertificateStatus, window)
	if s.AttentionReason != "" {
		line += "\n\nNeeds attention: " + s.AttentionReason
	}
	if s.sessionOpen() && s.Policy.SessionURL != "" {
		line += "\n\nApplication session: " + s.Policy.SessionURL
	}
	return line
}

// seenSet is the bounded set of event ids already recorded, oldest evicted first.
type seenSet struct {
	order []string
	index map[string]bool
	limit int
}

const seenLimit = 1000

func newSeenSet(ids []string) *seenSet {
	s := &seenSet{index: map[string]bool{}, limit: seenLimit}
	for _, id := range ids {
		s.add(id)
	}
	return s
}

// add reports false when id was seen already.
func (s *seenSet) add(id string) bool {
	if s.index[id] {
		return false
	}
	s.order = append(s.order, id)
	s.index[id] = true
	if len(s.order) > s.limit {
		delete(s.index, s.order[0])
		s.order = s.order[1:]
	}
	return true
}
