package workflows

import (
	"fmt"

	"github.com/coverage-orchestrator/coverage/activities"
)

// Invoices (SPEC §2 step 5): actual pay reported by the platform is recorded in 1099Policy,
// once per platform invoice, in exact cents.

// recordInvoice records the oldest pending invoice.
func (e *engagementRun) recordInvoice() error {
	s := e.s
	id := s.PendingInvoices[0]
	inv, err := call(e, (*activities.Activities).FetchInvoice, activities.FetchInvoiceInput{Vendor: s.Vendor, EngagementID: s.EngagementID, InvoiceID: id})
	if err != nil {
		return failed("fetch invoice "+id, err)
	}
	out, err := call(e, (*activities.Activities).CreateInvoice, activities.InvoiceInput{WorkflowID: s.WorkflowID,
		Key: e.key("invoice-" + id), ContractorID: s.Policy.ContractorID, JobID: s.Policy.JobID, Invoice: inv})
	if err != nil {
		return failed("record invoice "+id, err)
	}
	s.PendingInvoices = s.PendingInvoices[1:]
	s.RecordedInvoices = append(s.RecordedInvoices, id)
	s.Policy.InvoiceIDs = append(s.Policy.InvoiceIDs, out.InvoiceID)
	e.transition("", fmt.Sprintf("invoice %s recorded (%d cents)", id, inv.GrossPay))
	return nil
}
