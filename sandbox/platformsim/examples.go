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
	Email        string // "" : the platform has no email (a proxy is used); Upwork never has one
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
	// Terminated is JobDiva's TERMINATIONDATE of a start seeded with Status "terminated"
	// (the seeding time when zero).
	Terminated time.Time
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
		return s.Put(platform, UpworkContracts, e.ID, upworkContract(e, first, last))
	case jobdiva.Vendor:
		return s.seedJobdiva(e, first, last)
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
		m, err := upworkRelay(kind, e, eventID, at)
		if err != nil {
			return nil, err
		}
		body = m
	case jobdiva.Vendor:
		m, err := jobdivaHook(kind, e, ref, at)
		if err != nil {
			return nil, err
		}
		body = m
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
		return fmt.Errorf("Upwork has no certificate documents: use the operator intake route")
	case jobdiva.Vendor:
		return fmt.Errorf("JobDiva documents are not used: use the operator intake route")
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
		return s.Put(platform, jobdiva.ReportTimesheet, invoiceID, jobdivaTimesheet(e, invoiceID, amount))
	case workmarket.Vendor:
		return s.payWorkmarketAssignment(e, invoiceID, amount)
	}
	return fmt.Errorf("%s invoices are not part of the integration", platform)
}
