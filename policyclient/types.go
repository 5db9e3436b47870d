package policyclient

import (
	"encoding/json"
	"fmt"
)

// Address is a contractor's postal address, or a job's work location (region required there).
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	Locality   string `json:"locality,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalcode,omitempty"`
	Country    string `json:"country,omitempty"`
}

// UnmarshalJSON accepts the address as an object or as JSON inside a string.
func (a *Address) UnmarshalJSON(data []byte) error {
	type plain Address
	return decodeNested(data, (*plain)(a))
}

// Contractor is the insured person.
type Contractor struct {
	ID             string   `json:"id,omitempty"`
	FirstName      string   `json:"first_name,omitempty"`
	LastName       string   `json:"last_name,omitempty"`
	Email          string   `json:"email,omitempty"`
	Phone          string   `json:"phone,omitempty"`
	Address        *Address `json:"address,omitempty"`
	CustomMetadata Metadata `json:"custom_metadata,omitempty"`
	Created        Time     `json:"created,omitempty"`
}

// Job is the scope and pay of one engagement.
type Job struct {
	ID           string `json:"id,omitempty"`
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`
	Entity       string `json:"entity,omitempty"`
	CategoryCode string `json:"category_code,omitempty"`
	Wage         int64  `json:"wage,omitempty"`
	WageType     string `json:"wage_type,omitempty"`
	// Address is the work location: 1099Policy has no top-level region on jobs; a remote job
	// may leave it out.
	Address        *Address `json:"address,omitempty"`
	CustomMetadata Metadata `json:"custom_metadata,omitempty"`
}

// CategoryCode is one job category approved for the account.
type CategoryCode struct {
	CategoryCode string `json:"category_code"`
	Name         string `json:"name"`
}

// Quote prices coverage for a contractor and job over a window.
type Quote struct {
	ID             string        `json:"id,omitempty"`
	Contractor     string        `json:"contractor,omitempty"`
	Job            string        `json:"job,omitempty"`
	CoverageType   CoverageTypes `json:"coverage_type,omitempty"`
	EffectiveDate  Time          `json:"effective_date,omitempty"`
	EndDate        Time          `json:"end_date,omitempty"`
	Status         string        `json:"status,omitempty"`
	CustomMetadata Metadata      `json:"custom_metadata,omitempty"`
}

// CoverageTypes is a quote's coverage types. The docs disagree on the answer's shape: an
// array ["general"] or an object {"coverage_type": ["general"]}; both decode.
type CoverageTypes []string

// UnmarshalJSON accepts the array, the object holding one, or either as JSON inside a string.
func (c *CoverageTypes) UnmarshalJSON(data []byte) error {
	data, err := unwrapJSONString(data)
	if err != nil {
		return err
	}
	var list []string
	if err := json.Unmarshal(data, &list); err == nil {
		*c = list
		return nil
	}
	var obj struct {
		CoverageType []string `json:"coverage_type"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("coverage_type: want an array or an object holding one: %w", err)
	}
	*c = obj.CoverageType
	return nil
}

// AssignmentExtend moves a job's assignment end date later (coverage past a horizon).
type AssignmentExtend struct {
	JobID     string `json:"job_id"`
	EndDate   Time   `json:"end_date"`
	SendEmail bool   `json:"send_email"`
}

// SessionParams creates an insurance application session.
type SessionParams struct {
	Quote          string   `json:"quote"`
	SuccessURL     string   `json:"success_url,omitempty"`
	CancelURL      string   `json:"cancel_url,omitempty"`
	CustomMetadata Metadata `json:"custom_metadata,omitempty"`
}

// Session steps, in the order a contractor goes through them (the documented list).
const (
	StepVerifyInfo           = "verify_info"
	StepApplicationQuestions = "application_questions"
	StepEsignatureDocument   = "esignature_document"
	StepAddCardDetails       = "add_card_details"
	StepFinalReview          = "final_review"
	StepApplicationComplete  = "application_complete"
)

// SessionSteps lists them.
var SessionSteps = []string{StepVerifyInfo, StepApplicationQuestions, StepEsignatureDocument, StepAddCardDetails, StepFinalReview, StepApplicationComplete}

// Session is an insurance application session a first-time contractor completes.
type Session struct {
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	Expired        bool     `json:"expired"`
	Step           string   `json:"step,omitempty"`
	Quote          string   `json:"quote,omitempty"`
	Contractor     string   `json:"contractor,omitempty"`
	CustomMetadata Metadata `json:"custom_metadata,omitempty"`
}

// Eligibility is an assignment's eligibility verdict.
type Eligibility struct {
	Result  bool   `json:"result"`
	Message string `json:"message,omitempty"`
}

// UnmarshalJSON accepts the verdict as an object or as JSON inside a string.
func (e *Eligibility) UnmarshalJSON(data []byte) error {
	type plain Eligibility
	return decodeNested(data, (*plain)(e))
}

// Assignment covers a returning contractor's job under the policy they hold.
type Assignment struct {
	ID             string       `json:"id,omitempty"`
	Contractor     string       `json:"contractor,omitempty"`
	Job            string       `json:"job,omitempty"`
	EffectiveDate  Time         `json:"effective_date,omitempty"`
	EndDate        Time         `json:"end_date,omitempty"`
	CoverageType   []string     `json:"coverage_type,omitempty"`
	Eligible       *Eligibility `json:"eligible,omitempty"`
	Status         string       `json:"status,omitempty"`
	CustomMetadata Metadata     `json:"custom_metadata,omitempty"`
}

// AssignmentCancel cancels the assignment of a job before its start date.
type AssignmentCancel struct {
	JobID  string `json:"job_id"`
	Reason string `json:"reason,omitempty"`
}

// Certificate statuses.
const (
	CertificatePending    = "pending"
	CertificateProcessing = "processing"
	CertificateApproved   = "approved"
	CertificateFlagged    = "flagged"
	CertificateDenied     = "denied"
	CertificateError      = "error"
)

// Certificate is an uploaded certificate of insurance under review.
type Certificate struct {
	ID             string        `json:"id"`
	Contractor     ContractorRef `json:"contractor"`
	Status         string        `json:"status"`
	FileName       string        `json:"filename,omitempty"`
	CustomMetadata Metadata      `json:"custom_metadata,omitempty"`
	Created        Time          `json:"created,omitempty"`
}

// ContractorRef is a contractor id, or the whole contractor when the call asked for expand[]=contractor.
type ContractorRef struct {
	ID       string
	Expanded *Contractor
}

// MarshalJSON writes the object when expanded, else the id.
func (r ContractorRef) MarshalJSON() ([]byte, error) {
	if r.Expanded != nil {
		return json.Marshal(r.Expanded)
	}
	return json.Marshal(r.ID)
}

// UnmarshalJSON accepts an id string or a contractor object.
func (r *ContractorRef) UnmarshalJSON(data []byte) error {
	var id string
	if json.Unmarshal(data, &id) == nil {
		*r = ContractorRef{ID: id}
		return nil
	}
	var c Contractor
	if err := json.Unmarshal(data, &c); err != nil {
		return err
	}
	*r = ContractorRef{ID: c.ID, Expanded: &c}
	return nil
}

// Invoice records a contractor's actual pay for a pay cycle.
type Invoice struct {
	ID                  string   `json:"id,omitempty"`
	Contractor          string   `json:"contractor"`
	Job                 string   `json:"job"`
	GrossPay            int64    `json:"gross_pay"`
	PaycycleStartdate   Time     `json:"paycycle_startdate"`
	PaycycleEnddate     Time     `json:"paycycle_enddate"`
	PurchaseOrderNumber string   `json:"purchase_order_number,omitempty"`
	CustomMetadata      Metadata `json:"custom_metadata,omitempty"`
}

// Policy statuses.
const (
	PolicyActive    = "active"
	PolicyCancelled = "cancelled"
	PolicyExpired   = "expired"
)

// Policy is a bound insurance policy.
type Policy struct {
	ID             string   `json:"id"`
	Quote          string   `json:"quote,omitempty"`
	Contractor     string   `json:"contractor,omitempty"`
	Status         string   `json:"status"`
	CoverageType   []string `json:"coverage_type,omitempty"`
	EffectiveDate  Time     `json:"effective_date,omitempty"`
	ExpirationDate Time     `json:"expiration_date,omitempty"`
	CustomMetadata Metadata `json:"custom_metadata,omitempty"`
}

// ListParams pages through a list; an empty page ends it.
type ListParams struct {
	Limit         int
	StartingAfter string
	EndingBefore  string
}
