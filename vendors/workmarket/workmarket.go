// Package workmarket is the WorkMarket adapter. WorkMarket signs nothing: the customer's
// webhook template sends a long random secret in X-WorkMarket-Secret (see README).
package workmarket

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Vendor is the platform's name in workflow IDs and routes.
const Vendor = "workmarket"

// HeaderSecret carries the shared secret.
const HeaderSecret = "X-WorkMarket-Secret"

// Config configures the adapter.
type Config struct {
	APIURL        string
	Token         string
	WebhookSecret string
	HTTP          *http.Client
}

// Adapter implements vendors.Adapter for WorkMarket.
type Adapter struct {
	cfg Config
	api *vendors.HTTPClient
}

// New returns the adapter.
func New(cfg Config) *Adapter {
	return &Adapter{cfg: cfg, api: &vendors.HTTPClient{Base: cfg.APIURL, HTTP: cfg.HTTP,
		Token: func(context.Context) (string, error) { return cfg.Token, nil }}}
}

// Vendor implements vendors.Adapter.
func (a *Adapter) Vendor() string { return Vendor }

// VerifyWebhook compares the shared secret in constant time.
func (a *Adapter) VerifyWebhook(h http.Header, _ []byte) error {
	return vendors.CompareSecret(a.cfg.WebhookSecret, h.Get(HeaderSecret))
}

type webhook struct {
	Event        string `json:"event"`
	EventID      string `json:"event_id"`
	WorkOrderID  string `json:"work_order_id"`
	WorkerID     string `json:"worker_id"`
	Status       string `json:"status"`
	OccurredAt   string `json:"occurred_at"`
	AttachmentID string `json:"attachment_id"`
}

var kinds = map[string]vendors.EventKind{
	"work_order.assigned":         vendors.KindStart,
	"work_order.in_progress":      vendors.KindStart, // start if new; confirms the actual start
	"work_order.rescheduled":      vendors.KindUpdate,
	"work_order.completed":        vendors.KindEnd,
	"work_order.approved":         vendors.KindEnd,
	"work_order.paid":             vendors.KindEnd,
	"work_order.cancelled":        vendors.KindCancel,
	"work_order.voided":           vendors.KindCancel,
	"work_order.attachment_added": vendors.KindCOI,
}

// ParseWebhook turns the templated body into events; work_order.paid is also an invoice.
func (a *Adapter) ParseWebhook(_ http.Header, body []byte) ([]vendors.Event, error) {
	var w webhook
	if err := vendors.DecodeWebhook(body, &w); err != nil {
		return nil, err
	}
	if w.Event == "" {
		return nil, vendors.Missing("event")
	}
	ev := vendors.Event{Vendor: Vendor, Name: w.Event, EngagementID: w.WorkOrderID, ContractorID: w.WorkerID, EventID: w.EventID}
	occurred, err := vendors.ParseEventTime("occurred_at", w.OccurredAt)
	if err != nil {
		return nil, err
	}
	ev.OccurredAt = occurred
	if ev.EventID == "" {
		ev.EventID = vendors.HashEventID(Vendor, w.Event, w.WorkOrderID, w.AttachmentID, w.OccurredAt, string(body))
	}
	ev, err = vendors.Classify(ev, kinds, "work_order_id", "attachment_id", w.AttachmentID)
	if err != nil {
		return nil, err
	}
	if w.Event == "work_order.paid" {
		inv := ev
		inv.Kind, inv.InvoiceID, inv.EventID = vendors.KindInvoice, PaymentInvoiceID(w.WorkOrderID), ev.EventID+":invoice"
		return []vendors.Event{inv, ev}, nil
	}
	return []vendors.Event{ev}, nil
}

// PaymentInvoiceID names the invoice of a paid work order (its payment.total_cost).
func PaymentInvoiceID(workOrderID string) string { return "payment:" + workOrderID }

// Worker is GET /v1/workers/{id}.
type Worker struct {
	WorkerID  string  `json:"worker_id"`
	FirstName string  `json:"first_name"`
	LastName  string  `json:"last_name"`
	Email     *string `json:"email"`
	Country   string  `json:"country"`
	Region    string  `json:"region"`
}

// WorkOrder is GET /v1/workorders/{id}.
type WorkOrder struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	ClientID    string `json:"client_id"`
	Category    string `json:"category"`
	Pricing     struct {
		Type             string         `json:"type"`
		FlatPrice        vendors.Amount `json:"flat_price"`
		PerHourPrice     vendors.Amount `json:"per_hour_price"`
		MaxNumberOfHours vendors.Amount `json:"max_number_of_hours"`
		PerUnitPrice     vendors.Amount `json:"per_unit_price"`
		MaxNumberOfUnits vendors.Amount `json:"max_number_of_units"`
	} `json:"pricing"`
	ScheduledStart int64 `json:"scheduled_start"`
	ScheduledEnd   int64 `json:"scheduled_end"`
	Location       struct {
		State   string `json:"state"`
		Country string `json:"country"`
	} `json:"location"`
	Status   string `json:"status"`
	WorkerID string `json:"worker_id"`
	Payment  struct {
		TotalCost vendors.Amount `json:"total_cost"`
		PaidOn    any            `json:"paid_on"`
	} `json:"payment"`
	LastModifiedOn int64 `json:"last_modified_on,omitempty"`
}

// FetchEngagement reads the work order and its worker and maps them.
func (a *Adapter) FetchEngagement(ctx context.Context, id string) (vendors.Engagement, error) {
	wo, err := a.workOrder(ctx, id)
	if err != nil {
		return vendors.Engagement{}, err
	}
	var w Worker
	if err := a.api.GetJSON(ctx, "/v1/workers/"+url.PathEscape(wo.WorkerID), nil, &w); err != nil {
		return vendors.Engagement{}, err
	}
	return Map(wo, w)
}

func (a *Adapter) workOrder(ctx context.Context, id string) (WorkOrder, error) {
	var wo WorkOrder
	err := a.api.GetJSON(ctx, "/v1/workorders/"+url.PathEscape(id), nil, &wo)
	return wo, err
}

// Wage maps WorkMarket pricing: FLAT -> flatfee flat_price; PER_HOUR and BLENDED_PER_HOUR ->
// hourly per_hour_price; PER_UNIT -> flatfee per_unit_price x max_number_of_units. INTERNAL
// (and anything unknown) is not a contractor engagement: ok is false.
func Wage(wo WorkOrder) (cents int64, wageType string, ok bool, err error) {
	p := wo.Pricing
	switch strings.ToUpper(p.Type) {
	case "FLAT":
		cents, err = p.FlatPrice.Cents()
		return cents, "flatfee", true, err
	case "PER_HOUR", "BLENDED_PER_HOUR":
		cents, err = p.PerHourPrice.Cents()
		return cents, "hourly", true, err
	case "PER_UNIT":
		cents, err = p.PerUnitPrice.Multiply(p.MaxNumberOfUnits)
		return cents, "flatfee", true, err
	}
	return 0, "", false, nil
}

// Map turns a work order and its worker into the normalised engagement.
func Map(wo WorkOrder, w Worker) (vendors.Engagement, error) {
	e := vendors.Engagement{Vendor: Vendor, EngagementID: wo.ID, Status: wo.Status}
	wage, wageType, ok, err := Wage(wo)
	if !ok {
		e.OutOfScope = "pricing type " + wo.Pricing.Type + " is not a contractor engagement"
		return e, nil
	}
	if err != nil {
		return e, &vendors.APIError{What: "work order " + wo.ID + " pricing", Body: err.Error()}
	}
	if wo.ScheduledStart == 0 || wo.ScheduledEnd == 0 {
		return e, &vendors.APIError{What: "work order " + wo.ID, Body: "scheduled_start and scheduled_end are required"}
	}
	email := ""
	if w.Email != nil {
		email = *w.Email
	}
	e.Start, e.End = wo.ScheduledStart, wo.ScheduledEnd
	e.Contractor = vendors.Contractor{SourceID: w.WorkerID, FirstName: w.FirstName, LastName: w.LastName, Email: strings.ToLower(email),
		Country: w.Country, Region: w.Region}
	e.Job = vendors.Job{Name: wo.Title, Description: wo.Description, ClientID: wo.ClientID, Category: wo.Category,
		Wage: wage, WageType: wageType, Region: vendors.FirstNonEmpty(wo.Location.State, w.Region)}
	ids := map[string]string{"work_order_id": wo.ID}
	e.Metadata = vendors.Metadata{Contractor: map[string]string{"workmarket_worker_id": w.WorkerID},
		Job: ids, Quote: ids, Session: ids, Assignment: ids, Certificate: ids}
	e.Terminal = vendors.TerminalFromStatus(wo.Status, terminalEnds, terminalCancels)
	if wo.LastModifiedOn > 0 {
		e.UpdatedAt = time.Unix(wo.LastModifiedOn, 0).UTC()
	}
	return e, nil
}

var (
	terminalEnds    = []string{"complete", "completed", "approved", "paid"}
	terminalCancels = []string{"cancelled", "canceled", "voided", "void"}
)

// FetchDocument reads an attachment; one that is not a COI is reported as not found.
func (a *Adapter) FetchDocument(ctx context.Context, workOrderID, attachmentID string) (vendors.Document, error) {
	var att struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Type       string `json:"type"`
		ContentURL string `json:"content_url"`
	}
	path := "/v1/workorders/" + url.PathEscape(workOrderID) + "/attachments/" + url.PathEscape(attachmentID)
	if err := a.api.GetJSON(ctx, path, nil, &att); err != nil {
		return vendors.Document{}, err
	}
	if !strings.EqualFold(att.Type, "coi") {
		return vendors.Document{}, &vendors.NotFoundError{What: "attachment " + attachmentID + " is not a certificate of insurance"}
	}
	data, ct, err := a.api.GetFile(ctx, att.ContentURL)
	if err != nil {
		return vendors.Document{}, err
	}
	return vendors.Document{FileName: att.Name, ContentType: ct, Data: data}, nil
}

// FetchInvoice reads a paid work order's final pay (payment.total_cost) for its scheduled days.
func (a *Adapter) FetchInvoice(ctx context.Context, workOrderID, invoiceID string) (vendors.Invoice, error) {
	wo, err := a.workOrder(ctx, workOrderID)
	if err != nil {
		return vendors.Invoice{}, err
	}
	cents, err := wo.Payment.TotalCost.Cents()
	if err != nil {
		return vendors.Invoice{}, &vendors.APIError{What: "work order " + wo.ID + " payment.total_cost", Body: err.Error()}
	}
	return vendors.Invoice{ID: invoiceID, GrossPay: cents, PeriodStart: wo.ScheduledStart, PeriodEnd: wo.ScheduledEnd}, nil
}

// ListChanges pages through work orders modified since the watermark.
func (a *Adapter) ListChanges(ctx context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	var out []vendors.Event
	mark := since
	for start := 0; ; {
		var resp struct {
			Data []struct {
				ID             string `json:"id"`
				WorkerID       string `json:"worker_id"`
				Status         string `json:"status"`
				LastModifiedOn int64  `json:"last_modified_on"`
			} `json:"data"`
			Total int `json:"total"`
		}
		q := url.Values{"modified_since": {strconv.FormatInt(since.Unix(), 10)}, "start": {strconv.Itoa(start)}, "limit": {"100"}}
		if err := a.api.GetJSON(ctx, "/v1/workorders", q, &resp); err != nil {
			return nil, since, err
		}
		for _, wo := range resp.Data {
			at := time.Unix(wo.LastModifiedOn, 0).UTC()
			if at.After(mark) {
				mark = at
			}
			out = append(out, vendors.Event{Vendor: Vendor, Kind: vendors.KindFromStatus(wo.Status, terminalEnds, terminalCancels),
				Name: "poll:" + wo.Status, EngagementID: wo.ID, ContractorID: wo.WorkerID, OccurredAt: at,
				EventID: vendors.HashEventID(Vendor, "poll", wo.ID, wo.Status, strconv.FormatInt(wo.LastModifiedOn, 10))})
		}
		start += len(resp.Data)
		if len(resp.Data) == 0 || start >= resp.Total {
			return out, mark, nil
		}
	}
}
