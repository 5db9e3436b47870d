package activities

import (
	"context"

	pc "github.com/coverage-orchestrator/coverage/policyclient"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Invoices and timesheets: read from the platform, recorded in 1099Policy.

// FetchInvoiceInput names a platform invoice or timesheet.
type FetchInvoiceInput struct {
	Vendor       string
	EngagementID string
	InvoiceID    string
}

// FetchInvoice reads an invoice or timesheet from the platform.
func (a *Activities) FetchInvoice(ctx context.Context, in FetchInvoiceInput) (vendors.Invoice, error) {
	ad, err := a.Vendors.Get(in.Vendor)
	if err != nil {
		return vendors.Invoice{}, classify(err)
	}
	inv, err := ad.FetchInvoice(ctx, in.EngagementID, in.InvoiceID)
	return inv, classify(err)
}

// InvoiceInput records an invoice in 1099Policy.
type InvoiceInput struct {
	WorkflowID   string
	Key          string
	ContractorID string
	JobID        string
	Invoice      vendors.Invoice
}

// InvoiceOutput is the 1099Policy invoice id.
type InvoiceOutput struct{ InvoiceID string }

// CreateInvoice records the invoice (the key makes it once per platform invoice id).
func (a *Activities) CreateInvoice(ctx context.Context, in InvoiceInput) (InvoiceOutput, error) {
	inv, err := a.Policy.CreateInvoice(ctx, in.Key, pc.Invoice{Contractor: in.ContractorID, Job: in.JobID,
		GrossPay: in.Invoice.GrossPay, PaycycleStartdate: pc.Time(in.Invoice.PeriodStart), PaycycleEnddate: pc.Time(in.Invoice.PeriodEnd),
		CustomMetadata: pc.Metadata{EngagementKeyField: in.WorkflowID, "source_invoice_id": in.Invoice.ID}})
	if err != nil {
		return InvoiceOutput{}, classify(err)
	}
	return InvoiceOutput{InvoiceID: inv.ID}, nil
}
