package workflows

import (
	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Signal and query names of the engagement workflow, beside their payload types.
const (
	// SignalPlatformEvent carries a vendors.Event (start, update, end, cancel, COI, invoice).
	SignalPlatformEvent = "platform-event"
	// SignalPolicyEvent carries a PolicyEvent.
	SignalPolicyEvent = "policy-event"
	// SignalSessionLease carries a SessionLease from the contractor coordinator.
	SignalSessionLease = "session-lease"
	// QueryStatus returns the engagement's Status.
	QueryStatus = "status"
)

// PlatformEvent is a normalised platform event.
type PlatformEvent = vendors.Event

// PolicyEvent is a 1099Policy event, reduced to what the workflow needs.
type PolicyEvent = activities.PolicyEvent

// Operator actions.
const (
	ActionRetry              = "retry"
	ActionResendSession      = "resend-session"
	ActionApproveCertificate = "approve-certificate"
	ActionRejectCertificate  = "reject-certificate"
	ActionEnd                = "end" // coverage ends: the work ended off-platform
)

// OperatorActions lists every action, for validation at the ingress.
var OperatorActions = []string{ActionRetry, ActionResendSession, ActionApproveCertificate, ActionRejectCertificate, ActionEnd}

// OperatorAction is an operator's decision.
type OperatorAction struct {
	Action    string `json:"action"`
	RequestID string `json:"request_id,omitempty"` // dedupes a resent request
	Note      string `json:"note,omitempty"`
}

// SessionLease grants an engagement the right to open an application session for its contractor.
type SessionLease struct {
	ContractorWorkflowID string `json:"contractor_workflow_id"`
	// Queued says another engagement held the lease first: the contractor may hold a policy now.
	Queued bool `json:"queued"`
}

// EngagementInput starts (or continues) an engagement workflow.
type EngagementInput struct {
	Vendor       string   `json:"vendor"`
	EngagementID string   `json:"engagement_id"`
	Carried      *Carried `json:"carried,omitempty"` // set by continue-as-new only
	// StartedWithSearchAttributes says the starter already set Vendor, EngagementID and the
	// PENDING/NONE statuses (DeliverPlatformEvent does).
	StartedWithSearchAttributes bool `json:"started_with_search_attributes,omitempty"`
}

// Carried is what continue-as-new hands to the next run.
type Carried struct {
	State EngagementState `json:"state"`
	Seen  []string        `json:"seen"`
	Inbox []Message       `json:"inbox,omitempty"`
}

// Message is one recorded signal waiting for the main path.
type Message struct {
	Platform    *PlatformEvent       `json:"platform,omitempty"`
	Policy      *PolicyEvent         `json:"policy,omitempty"`
	Operator    *OperatorAction      `json:"operator,omitempty"`
	Details     *ContractorDetails   `json:"details,omitempty"`
	Certificate *CertificateUploaded `json:"certificate,omitempty"`
	// Update says the message came as an Update whose handler waits for it.
	Update bool          `json:"update,omitempty"`
	Lease  *SessionLease `json:"lease,omitempty"`
}

// Coordinator (per-contractor) protocol.
const (
	// SignalAcquireSession asks for the contractor's session lease; carries a LeaseRequest.
	SignalAcquireSession = "acquire-session"
	// SignalReleaseSession gives the lease back or leaves the queue; carries a LeaseRequest.
	SignalReleaseSession = "release-session"
)

// LeaseRequest names the engagement asking for or releasing the lease.
type LeaseRequest struct {
	EngagementWorkflowID string `json:"engagement_workflow_id"`
}

// ContractorInput starts (or continues) the coordinator.
type ContractorInput struct {
	ContractorID string   `json:"contractor_id"`
	Holder       string   `json:"holder,omitempty"`
	Queue        []string `json:"queue,omitempty"`
}
