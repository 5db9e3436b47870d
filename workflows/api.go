package workflows

import (
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// EngagementInput starts (or continues) an engagement workflow: what a client starts it with,
// and what continue-as-new carries.
type EngagementInput struct {
	engagement.Start
	Carried *Carried `json:"carried,omitempty"` // set by continue-as-new only
	// ContinueAsNewAfterUpdate continues as new once a platform update was applied, before the
	// server suggests it: tests exercise continue-as-new with it without thousands of events.
	// The next run is started without it.
	ContinueAsNewAfterUpdate bool `json:"continue_as_new_after_update,omitempty"`
}

// Carried is what continue-as-new hands to the next run.
type Carried struct {
	State EngagementState `json:"state"`
	Seen  []string        `json:"seen"`
	Inbox []Message       `json:"inbox,omitempty"`
}

// Message is one recorded signal waiting for the main path.
type Message struct {
	Platform    *vendors.Event                  `json:"platform,omitempty"`
	Policy      *engagement.PolicyEvent         `json:"policy,omitempty"`
	Operator    *engagement.OperatorAction      `json:"operator,omitempty"`
	Details     *engagement.ContractorDetails   `json:"details,omitempty"`
	Certificate *engagement.CertificateUploaded `json:"certificate,omitempty"`
	// Update says the message came as an Update whose handler waits for it.
	Update bool                     `json:"update,omitempty"`
	Lease  *engagement.SessionLease `json:"lease,omitempty"`
}
