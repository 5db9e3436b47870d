package platformsim

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// Example is one engagement to seed on a platform, in the shape of the reference's examples.
type Example struct {
	ID           string // contract, work order or placement id
	ContractorID string // contractor, worker, freelancer or candidate id
	Email        string // "" : the platform has no email (a proxy is used)
	FirstName    string
	LastName     string
	Start, End   time.Time // days (UTC)
	Rate         string    // as the platform sends it, e.g. "75.00"
	Hourly       bool
	ClientID     string
	Category     string
	Status       string // platform status; a sensible active one when empty
	JobID        string // JobDiva job id
	Type         string // Remote employment type ("contractor" when empty; "employee" is out of scope)
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Seed stores the example's records on its platform.
func (s *Server) Seed(platform string, e Example) error {
	first, last := orDefault(e.FirstName, "Jordan"), orDefault(e.LastName, "Cruz")
	switch platform {
	case remote.Vendor:
		return s.Put(platform, "employments", e.ID, remoteEmployment(e, first, last))
	case workmarket.Vendor:
		return s.Put(platform, "assignments", e.ID, workmarketAssignment(e, first, last))
	case upwork.Vendor:
		f := map[string]any{"id": e.ContractorID, "displayName": first + " " + last, "email": ptr(e.Email),
			"location": map[string]string{"country": "US", "region": "CA", "locality": "San Francisco"}}
		if err := s.Put(platform, "freelancers", e.ContractorID, f); err != nil {
			return err
		}
		var hourly, fixed any
		if e.Hourly {
			hourly = map[string]string{"amount": e.Rate}
		} else {
			fixed = map[string]string{"amount": e.Rate}
		}
		return s.Put(platform, "contracts", e.ID, map[string]any{"id": e.ID, "title": "Frontend Developer", "description": "Dashboard UI",
			"clientId": orDefault(e.ClientID, "acct_5"), "hourlyRate": hourly, "fixedBudget": fixed,
			"category":  map[string]string{"name": orDefault(e.Category, "Web Development")},
			"startDate": e.Start.Format("2006-01-02"), "endDate": e.End.Format("2006-01-02"), "status": orDefault(e.Status, "ACTIVE"),
			"freelancerId": e.ContractorID, "attachments": []map[string]string{{"id": "a_" + e.ID, "fileName": "coi.pdf", "url": "/files/a_" + e.ID, "contentType": "application/pdf"}}})
	case jobdiva.Vendor:
		jobID := orDefault(e.JobID, "job_"+e.ID)
		c := jobdiva.Candidate{CandidateID: e.ContractorID, FirstName: first, LastName: last, Email: ptr(e.Email), Country: "US", State: "CA", Phone: "415-555-0100"}
		if err := s.Put(platform, "candidates", e.ContractorID, c); err != nil {
			return err
		}
		if err := s.Put(platform, "jobs", jobID, jobdiva.Job{JobID: jobID, Title: "Contract Data Analyst", Description: "Reporting migration",
			ClientID: orDefault(e.ClientID, "acct_3"), Category: orDefault(e.Category, "data_analytics"), State: "CA"}); err != nil {
			return err
		}
		unit := "F"
		if e.Hourly {
			unit = "H"
		}
		return s.Put(platform, "placements", e.ID, map[string]any{"placementId": e.ID, "candidateId": e.ContractorID, "jobId": jobID,
			"startDate": e.Start.Format(vendors.LayoutJobDiva), "endDate": e.End.Format(vendors.LayoutJobDiva), "payRate": e.Rate,
			"payRateUnit": unit, "positionType": "Contract", "employmentCategory": "1099", "workState": "CA",
			"status": orDefault(e.Status, "Active"), "dateUpdated": s.cfg.Now().UTC().Format(vendors.LayoutJobDiva)})
	}
	return fmt.Errorf("unknown platform %q", platform)
}

// decimal is a rate as a JSON number ("1,250.50" -> 1250.50), for platforms that send numbers.
func decimal(rate string) any {
	cents, err := vendors.Cents(rate)
	if err != nil {
		return nil
	}
	return json.Number(fmt.Sprintf("%d.%02d", cents/100, cents%100))
}

// SourceContractorID is the contractor id the platform sends for an example: Remote has no
// contractor id apart from the employment's.
func SourceContractorID(platform string, e Example) string {
	if platform == remote.Vendor {
		return e.ID
	}
	return e.ContractorID
}

// Webhook kinds the examples can produce.
const (
	HookStart   = "start"
	HookUpdate  = "update"
	HookEnd     = "end"
	HookCancel  = "cancel"
	HookCOI     = "coi"
	HookInvoice = "invoice"
	// HookContractor is a contractor-only change (JobDiva's candidate Update).
	HookContractor = "contractor"
)

// WebhookBody is the platform's webhook body for an event of the example. ref is the
// document or invoice id for COI and invoice events; eventID makes the body unique.
func WebhookBody(platform, kind string, e Example, eventID, ref string, at time.Time) ([]byte, error) {
	var body any
	occurred := at.UTC().Format(time.RFC3339)
	switch platform {
	case remote.Vendor:
		m, err := remoteHook(kind, e, ref)
		if err != nil {
			return nil, err
		}
		body = m
	case workmarket.Vendor:
		m, err := workmarketHook(kind, e, ref, at)
		if err != nil {
			return nil, err
		}
		body = m
	case upwork.Vendor:
		names := map[string]string{HookStart: "offer.accepted", HookUpdate: "contract.updated", HookEnd: "contract.ended",
			HookCancel: "contract.ended", HookCOI: "contract.attachment_added"}
		m := map[string]any{"event": names[kind], "event_id": eventID, "contract_id": e.ID, "freelancer_id": e.ContractorID, "occurred_at": occurred}
		if kind == HookCOI {
			m["attachment_id"] = ref
		}
		body = m
	case jobdiva.Vendor:
		date := at.UTC().Format(vendors.LayoutJobDiva)
		switch kind {
		case HookStart, HookUpdate:
			op := map[string]string{HookStart: "Insert", HookUpdate: "Update"}[kind]
			body = map[string]any{"type": "placement", "operation": op, "id": e.ID, "data": []map[string]string{{"placementId": e.ID, "candidateId": e.ContractorID, "jobId": orDefault(e.JobID, "job_"+e.ID), "dateUpdated": date}}}
		case HookEnd:
			body = map[string]any{"type": "placement", "operation": "Update", "id": e.ID, "data": []map[string]string{{"placementId": e.ID, "candidateId": e.ContractorID, "status": "Terminated", "dateUpdated": date}}}
		case HookCancel:
			body = map[string]any{"type": "placement", "operation": "Delete", "id": e.ID, "data": []map[string]string{{"placementId": e.ID, "candidateId": e.ContractorID, "dateUpdated": date}}}
		case HookCOI:
			body = map[string]any{"type": "attachment", "operation": "Insert", "id": ref, "data": []map[string]string{{"attachmentId": ref, "candidateId": e.ContractorID, "placementId": e.ID, "attachmentType": "COI", "fileName": "coi.pdf", "dateUpdated": date}}}
		case HookInvoice:
			body = map[string]any{"type": "timesheet", "operation": "Insert", "id": ref, "data": []map[string]string{{"timesheetId": ref, "placementId": e.ID, "dateUpdated": date}}}
		case HookContractor:
			body = map[string]any{"type": "candidate", "operation": "Update", "id": e.ContractorID, "data": []map[string]string{{"candidateId": e.ContractorID, "dateUpdated": date}}}
		}
	default:
		return nil, fmt.Errorf("unknown platform %q", platform)
	}
	return json.Marshal(body)
}

// SeedDocument stores a COI document (a PDF) the platform's COI event can point at; the
// file name decides the 1099Policy sandbox's review ("flag", "deny", "slow").
func (s *Server) SeedDocument(platform string, e Example, docID, fileName string, pdf []byte) error {
	switch platform {
	case remote.Vendor:
		return fmt.Errorf("Remote has no certificate documents: use the operator intake route")
	case workmarket.Vendor:
		return s.seedWorkmarketAttachment(e, docID, fileName, pdf)
	case upwork.Vendor:
		s.PutFile(platform, docID, pdf)
		raw, ok := s.get(platform, "contracts", e.ID)
		if !ok {
			return fmt.Errorf("seed the contract first")
		}
		var c map[string]any
		_ = json.Unmarshal(raw, &c)
		c["attachments"] = []map[string]string{{"id": docID, "fileName": fileName, "url": "/files/" + docID, "contentType": "application/pdf"}}
		return s.Put(platform, "contracts", e.ID, c)
	case jobdiva.Vendor:
		s.PutFile(platform, docID, pdf)
		return nil
	}
	return fmt.Errorf("unknown platform %q", platform)
}

// SeedInvoice stores an invoice or timesheet of the example.
func (s *Server) SeedInvoice(platform string, e Example, invoiceID, amount string) error {
	switch platform {
	case remote.Vendor:
		cents, err := vendors.Cents(amount)
		if err != nil {
			return err
		}
		return s.Put(platform, "contractor-invoices", invoiceID, remoteInvoice(e, invoiceID, cents))
	case jobdiva.Vendor:
		return s.Put(platform, "timesheets", invoiceID, map[string]string{"timesheetId": invoiceID, "placementId": e.ID, "grossPay": amount,
			"weekStart": e.Start.Format(vendors.LayoutJobDiva), "weekEnd": e.Start.AddDate(0, 0, 6).Format(vendors.LayoutJobDiva)})
	case workmarket.Vendor:
		return s.payWorkmarketAssignment(e, invoiceID, amount)
	}
	return fmt.Errorf("%s invoices are not part of the integration", platform)
}
