package engagement

import (
	"time"
)

// Names and payloads of the workflows' signals, Updates and queries.

// Workflow type names: the worker registers each workflow under its name, and every client
// here starts workflows and filters visibility by these, never by a function reference.
const (
	WorkflowEngagement         = "EngagementWorkflow"
	WorkflowContractorSession  = "ContractorSessionWorkflow"
	WorkflowPolicyEventRouter  = "PolicyEventRouterWorkflow"
	WorkflowPollPlatform       = "PollPlatformWorkflow"
	WorkflowPolicyEventsPoller = "PolicyEventsPollerWorkflow"
	WorkflowBackfill           = "BackfillWorkflow"
	WorkflowNotificationSender = "NotificationSenderWorkflow"
)

// Start is what a client starts an engagement workflow with (the workflow's input adds what
// continue-as-new carries).
type Start struct {
	Vendor       string `json:"vendor"`
	EngagementID string `json:"engagement_id"`
	// StartedWithSearchAttributes says the starter already set Vendor, EngagementID and the
	// PENDING/NONE statuses (DeliverPlatformEvent does).
	StartedWithSearchAttributes bool `json:"started_with_search_attributes,omitempty"`
}

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

// Operator actions.
const (
	ActionRetry              = "retry"
	ActionResendSession      = "resend-session"
	ActionApproveCertificate = "approve-certificate"
	ActionRejectCertificate  = "reject-certificate"
	ActionEnd                = "end" // coverage ends: the work ended off-platform
)

// OperatorActions lists every action, in the order the console offers them.
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

// UpdateOperatorAction is the Update every operator action goes through.
const UpdateOperatorAction = "operator-action"

// ErrNotApplicable is the type of a validator's refusal.
const ErrNotApplicable = "NotApplicable"

// UpdateContractorDetails supplies contractor details the platform lacks (SPEC §4).
const UpdateContractorDetails = "contractor-details"

// UpdateCertificateUploaded hands the engagement a certificate an operator uploaded.
const UpdateCertificateUploaded = "certificate-uploaded"

// ContractorDetails are an operator's additions to the contractor (personal data: they travel
// only in encrypted payloads).
type ContractorDetails struct {
	Email   string          `json:"email,omitempty"`
	Phone   string          `json:"phone,omitempty"`
	Address *ContactAddress `json:"address,omitempty"`
	Note    string          `json:"note,omitempty"` // who supplied them and why (the audit trail)
}

// ContactAddress is a contractor's postal address.
type ContactAddress struct {
	Line1      string `json:"line1,omitempty"`
	Locality   string `json:"locality,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalcode,omitempty"`
	Country    string `json:"country,omitempty"`
}

// CertificateUploaded names a certificate uploaded to 1099Policy for this engagement.
type CertificateUploaded struct {
	CertificateID string `json:"certificate_id"`
	Note          string `json:"note,omitempty"` // who handed it in (the audit trail)
}

// SignalReplay asks a parked policy-event router to try again now (operator action).
const SignalReplay = "replay"

// QueryRoutingState answers where a router stands: RoutingInProgress, RoutingParked or
// RoutingDone.
const QueryRoutingState = "routing-state"

// Routing states.
const (
	RoutingInProgress = "routing"
	RoutingParked     = "parked"
	RoutingDone       = "done"
)

// Enrollment outcomes (the enrollment route's "status").
const (
	Running = "running" // the engagement was already covered by a running workflow
)

// BackfillInput names the platform and, for Upwork, the contract ids.
type BackfillInput struct {
	Vendor string   `json:"vendor"`
	IDs    []string `json:"ids,omitempty"`
}

// BackfillResult counts what the backfill did.
type BackfillResult struct {
	Listed   int `json:"listed"`
	Enrolled int `json:"enrolled"`
	Closed   int `json:"closed"`
	Skipped  int `json:"skipped"`
}

// PollInput names the platform a scheduled poll reads.
type PollInput struct {
	Vendor string `json:"vendor"`
	// FirstLookback is how far back the very first poll looks.
	FirstLookback time.Duration `json:"first_lookback"`
}

// PolicyPollInput configures the events poller.
type PolicyPollInput struct {
	PageSize int `json:"page_size"`
}
