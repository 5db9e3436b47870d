package engagement

import (
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// The engagement's status: the answer of its status query and of the operator API.

// CoverageStatus is the engagement's compliance state (search attribute CoverageStatus).
type CoverageStatus string

// Coverage statuses.
const (
	StatusPending               CoverageStatus = "PENDING"
	StatusAwaitingApplication   CoverageStatus = "AWAITING_APPLICATION"
	StatusApplicationInProgress CoverageStatus = "APPLICATION_IN_PROGRESS"
	StatusManualReview          CoverageStatus = "MANUAL_REVIEW"
	StatusInsured               CoverageStatus = "INSURED"
	StatusUnprotected           CoverageStatus = "UNPROTECTED"
	StatusNeedsAttention        CoverageStatus = "NEEDS_ATTENTION"
	StatusEnded                 CoverageStatus = "ENDED"
	StatusCanceled              CoverageStatus = "CANCELED"
)

// CoverageStatuses lists every coverage status in lifecycle order; OpenStatuses those of a
// running engagement.
var (
	CoverageStatuses = []CoverageStatus{StatusPending, StatusAwaitingApplication, StatusApplicationInProgress, StatusManualReview,
		StatusInsured, StatusUnprotected, StatusNeedsAttention, StatusEnded, StatusCanceled}
	OpenStatuses = CoverageStatuses[:7]
)

// CertificateStatus is the BYO-COI review state (search attribute CertificateStatus).
type CertificateStatus string

// Certificate statuses.
const (
	CertificateNone     CertificateStatus = "NONE"
	CertificatePending  CertificateStatus = "PENDING"
	CertificateApproved CertificateStatus = "APPROVED"
	CertificateFlagged  CertificateStatus = "FLAGGED"
	CertificateDenied   CertificateStatus = "DENIED"
)

// CertificateStatuses lists every certificate status.
var CertificateStatuses = []CertificateStatus{CertificateNone, CertificatePending, CertificateApproved, CertificateFlagged, CertificateDenied}

// PolicyRefs are the ids of every 1099Policy object of the engagement.
type PolicyRefs struct {
	ContractorID  string   `json:"contractor_id"`
	JobID         string   `json:"job_id"`
	QuoteID       string   `json:"quote_id"`
	SessionID     string   `json:"session_id"`
	SessionURL    string   `json:"session_url"`
	AssignmentID  string   `json:"assignment_id"`
	PolicyID      string   `json:"policy_id"`
	CertificateID string   `json:"certificate_id"`
	InvoiceIDs    []string `json:"invoice_ids,omitempty"`
}

// Transition is one entry of the engagement's audit trail. From equals To for a change that
// kept the status (dates moved, invoice recorded…).
type Transition struct {
	At    time.Time      `json:"at"`
	From  CoverageStatus `json:"from"`
	To    CoverageStatus `json:"to"`
	Cause string         `json:"cause"`
}

// Status is the whole engagement state: the answer of the status query and the body of
// GET /v1/engagements/{vendor}/{id}. It holds no personal data.
type Status struct {
	WorkflowID        string            `json:"workflow_id"`
	Vendor            string            `json:"vendor"`
	EngagementID      string            `json:"engagement_id"`
	CoverageStatus    CoverageStatus    `json:"coverage_status"`
	CertificateStatus CertificateStatus `json:"certificate_status"`
	AttentionReason   string            `json:"attention_reason"`
	Policy            PolicyRefs        `json:"policy"`
	CoverageStart     int64             `json:"coverage_start"`
	CoverageEnd       int64             `json:"coverage_end"`
	Wage              int64             `json:"wage"`
	WageType          string            `json:"wage_type"`
	CoverageTypes     []string          `json:"coverage_types,omitempty"`
	Transitions       []Transition      `json:"transitions"`
	// Metadata is the guide's custom_metadata keys per 1099Policy object (platform ids only):
	// the intake route gives an operator's certificate the same keys as every other object.
	Metadata vendors.Metadata `json:"metadata"`
}
