// Package remote is the Remote adapter: contractors only (employee and EOR records are
// ignored). Webhooks are signed X-Remote-Signature = hex HMAC-SHA256(secret, body + ":" + ms).
package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Vendor is the platform's name in workflow IDs and routes.
const Vendor = "remote"

// Header names.
const (
	HeaderSignature = "X-Remote-Signature"
	HeaderTimestamp = "X-Remote-Timestamp"
)

// MaxFutureSkew is how far in the future a signature timestamp may be. Old timestamps are
// accepted: Remote keeps the first timestamp on retries, and dedupe covers replays.
const MaxFutureSkew = 5 * time.Minute

// Config configures the adapter.
type Config struct {
	APIURL        string
	Token         string
	WebhookSecret string
	HTTP          *http.Client
	Now           func() time.Time
}

// Adapter implements vendors.Adapter for Remote.
type Adapter struct {
	cfg Config
	api *vendors.HTTPClient
}

// New returns the adapter.
func New(cfg Config) *Adapter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Adapter{cfg: cfg, api: &vendors.HTTPClient{Base: cfg.APIURL, HTTP: cfg.HTTP,
		Token:      func(context.Context) (string, error) { return cfg.Token, nil },
		RetryAfter: rateLimitReset}}
}

// rateLimitReset reads x-ratelimit-reset (Unix ms of the reset, or ms to wait when small),
// falling back to Retry-After.
func rateLimitReset(h http.Header, now time.Time) time.Duration {
	if v := h.Get("x-ratelimit-reset"); v != "" {
		if ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && ms > 0 {
			if ms > 1e11 {
				return max(time.UnixMilli(ms).Sub(now), 0)
			}
			return time.Duration(ms) * time.Millisecond
		}
	}
	return vendors.RetryAfterSeconds(h, now)
}

// Vendor implements vendors.Adapter.
func (a *Adapter) Vendor() string { return Vendor }

// Sign returns the signature headers for body at t (the simulator and tests use it).
func Sign(secret string, body []byte, t time.Time) (signature, timestamp string) {
	ts := strconv.FormatInt(t.UnixMilli(), 10)
	return hex.EncodeToString(vendors.SignHMAC(sha256.New, secret, body, []byte(":"+ts))), ts
}

// VerifyWebhook checks the signature over body + ":" + timestamp.
func (a *Adapter) VerifyWebhook(h http.Header, body []byte) error {
	sig, ts := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" {
		return &vendors.SignatureError{Reason: "missing " + HeaderSignature}
	}
	if ts == "" {
		return &vendors.SignatureError{Reason: "missing " + HeaderTimestamp}
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &vendors.SignatureError{Reason: HeaderTimestamp + " is not Unix milliseconds"}
	}
	if time.UnixMilli(ms).Sub(a.cfg.Now()) > MaxFutureSkew {
		return &vendors.SignatureError{Reason: "timestamp is more than 5 minutes in the future"}
	}
	return vendors.VerifyHMAC(sha256.New, a.cfg.WebhookSecret, sig, body, []byte(":"+ts))
}

type webhook struct {
	EventType         string `json:"event_type"`
	CompanyID         string `json:"company_id"`
	ContractID        string `json:"contract_id"`
	ContractorID      string `json:"contractor_id"`
	InvoiceScheduleID string `json:"invoice_schedule_id"`
	DocumentID        string `json:"document_id"`
	DocumentType      string `json:"document_type"`
	InvoiceID         string `json:"invoice_id"`
	EmploymentType    string `json:"employment_type"`
}

var kinds = map[string]vendors.EventKind{
	"contract.finalized":              vendors.KindStart,
	"contract.signed":                 vendors.KindStart,
	"contractor.start_date.confirmed": vendors.KindStart,
	"invoice_schedule.created":        vendors.KindStart, // start if new, else re-fetch
	"invoice_schedule.updated":        vendors.KindStart,
	"contract.updated":                vendors.KindUpdate,
	"contract.terminated":             vendors.KindEnd,
	"contract.ended":                  vendors.KindEnd,
	"contract.cancelled":              vendors.KindCancel,
	"document.uploaded":               vendors.KindCOI,
	"contractor_invoice.paid_out":     vendors.KindInvoice,
}

// ParseWebhook turns a verified body into one event.
func (a *Adapter) ParseWebhook(h http.Header, body []byte) ([]vendors.Event, error) {
	var w webhook
	if err := vendors.DecodeWebhook(body, &w); err != nil {
		return nil, err
	}
	if w.EventType == "" {
		return nil, vendors.Missing("event_type")
	}
	ev := vendors.Event{Vendor: Vendor, Name: w.EventType, EngagementID: w.ContractID, ContractorID: w.ContractorID}
	if ms, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64); err == nil {
		ev.OccurredAt = time.UnixMilli(ms).UTC()
	}
	// Remote sends no event id: the dedupe key is the event with its ids and timestamp.
	ev.EventID = vendors.HashEventID(Vendor, w.EventType, w.ContractID, w.InvoiceScheduleID, w.DocumentID, w.InvoiceID, h.Get(HeaderTimestamp))
	switch {
	case strings.HasPrefix(w.EventType, "employment.") || isEmployee(w.EmploymentType):
		return ignore(ev, "employee and EOR records are out of scope"), nil
	case kinds[w.EventType] == vendors.KindCOI && !strings.EqualFold(w.DocumentType, "coi"):
		return ignore(ev, "document is not a certificate of insurance"), nil
	}
	ev, err := vendors.Classify(ev, kinds, "contract_id", "document_id", w.DocumentID)
	if err != nil {
		return nil, err
	}
	if ev.Kind == vendors.KindInvoice {
		if w.InvoiceID == "" {
			return nil, vendors.Missing("invoice_id")
		}
		ev.InvoiceID = w.InvoiceID
	}
	return []vendors.Event{ev}, nil
}

func isEmployee(t string) bool {
	t = strings.ToLower(t)
	return t == "employee" || t == "eor" || t == "full_time" || t == "employment"
}

func ignore(ev vendors.Event, reason string) []vendors.Event {
	ev.Kind, ev.Reason = vendors.KindIgnore, reason
	return []vendors.Event{ev}
}

// Contractor is GET /v1/contractors/{id}.
type Contractor struct {
	ID             string  `json:"id"`
	FirstName      string  `json:"first_name"`
	LastName       string  `json:"last_name"`
	Email          *string `json:"email"`
	Country        string  `json:"country"`
	Region         string  `json:"region"`
	City           string  `json:"city"`
	EmploymentType string  `json:"employment_type"`
}

// Contract is GET /v1/contracts/{id}.
type Contract struct {
	ID           string `json:"id"`
	ContractorID string `json:"contractor_id"`
	Title        string `json:"title"`
	Description  string `json:"description"`
	ClientID     string `json:"client_id"`
	Role         string `json:"role"`
	Rate         struct {
		Amount   vendors.Amount `json:"amount"`
		Currency string         `json:"currency"`
		Type     string         `json:"type"`
	} `json:"rate"`
	StartDate         string `json:"start_date"`
	EndDate           string `json:"end_date"`
	InvoiceScheduleID string `json:"invoice_schedule_id"`
	Status            string `json:"status"`
	Region            string `json:"region"`
	UpdatedAt         string `json:"updated_at,omitempty"`
}

// FetchEngagement reads the contract and its contractor and maps them.
func (a *Adapter) FetchEngagement(ctx context.Context, id string) (vendors.Engagement, error) {
	var c Contract
	if err := a.api.GetJSON(ctx, "/v1/contracts/"+url.PathEscape(id), nil, &c); err != nil {
		return vendors.Engagement{}, err
	}
	var p Contractor
	if err := a.api.GetJSON(ctx, "/v1/contractors/"+url.PathEscape(c.ContractorID), nil, &p); err != nil {
		return vendors.Engagement{}, err
	}
	return Map(c, p)
}

// Map turns a contract and its contractor into the normalised engagement.
func Map(c Contract, p Contractor) (vendors.Engagement, error) {
	e := vendors.Engagement{Vendor: Vendor, EngagementID: c.ID, Status: c.Status}
	if p.EmploymentType != "" && !strings.EqualFold(p.EmploymentType, "contractor") {
		e.OutOfScope = "employment type " + p.EmploymentType + " (employees and EOR are not covered)"
		return e, nil
	}
	wage, err := c.Rate.Amount.Cents()
	if err != nil {
		return e, &vendors.APIError{What: "contract " + c.ID + " rate.amount", Body: err.Error()}
	}
	wageType := "flatfee"
	if strings.EqualFold(c.Rate.Type, "hourly") {
		wageType = "hourly"
	}
	if e.Start, err = vendors.WindowStart(c.StartDate); err != nil {
		return e, &vendors.APIError{What: "contract " + c.ID + " start_date", Body: err.Error()}
	}
	if e.End, err = vendors.WindowEnd(c.EndDate); err != nil {
		return e, &vendors.APIError{What: "contract " + c.ID + " end_date", Body: err.Error()}
	}
	email := ""
	if p.Email != nil {
		email = *p.Email
	}
	e.Contractor = vendors.Contractor{SourceID: p.ID, FirstName: p.FirstName, LastName: p.LastName, Email: strings.ToLower(email),
		Country: p.Country, Region: p.Region, City: p.City}
	e.Job = vendors.Job{Name: c.Title, Description: c.Description, ClientID: c.ClientID, Category: c.Role, Wage: wage,
		WageType: wageType, Region: vendors.FirstNonEmpty(c.Region, p.Region)}
	ids := map[string]string{"contract_id": c.ID}
	session := map[string]string{"contract_id": c.ID}
	job := map[string]string{"contract_id": c.ID, "contractor_id": p.ID}
	if c.InvoiceScheduleID != "" {
		job["invoice_schedule_id"] = c.InvoiceScheduleID
		session["invoice_schedule_id"] = c.InvoiceScheduleID
	}
	e.Metadata = vendors.Metadata{Contractor: map[string]string{"remote_contractor_id": p.ID}, Job: job,
		Quote: ids, Assignment: ids, Session: session, Certificate: ids}
	e.Terminal = vendors.TerminalFromStatus(c.Status, []string{"terminated", "ended"}, []string{"cancelled", "canceled"})
	return e, nil
}

// FetchDocument reads a COI document and its bytes.
func (a *Adapter) FetchDocument(ctx context.Context, _, id string) (vendors.Document, error) {
	var d struct {
		ID          string `json:"id"`
		Type        string `json:"type"`
		ContentType string `json:"content_type"`
		DownloadURL string `json:"download_url"`
	}
	if err := a.api.GetJSON(ctx, "/v1/documents/"+url.PathEscape(id), nil, &d); err != nil {
		return vendors.Document{}, err
	}
	if !strings.EqualFold(d.Type, "coi") {
		return vendors.Document{}, &vendors.NotFoundError{What: "document " + id + " is not a certificate of insurance"}
	}
	data, ct, err := a.api.GetFile(ctx, d.DownloadURL)
	if err != nil {
		return vendors.Document{}, err
	}
	return vendors.Document{FileName: d.ID + ".pdf", ContentType: vendors.FirstNonEmpty(d.ContentType, ct), Data: data}, nil
}

// FetchInvoice reads a contractor invoice.
func (a *Adapter) FetchInvoice(ctx context.Context, _, id string) (vendors.Invoice, error) {
	var inv struct {
		ID          string         `json:"id"`
		Amount      vendors.Amount `json:"amount"`
		PeriodStart string         `json:"period_start"`
		PeriodEnd   string         `json:"period_end"`
	}
	if err := a.api.GetJSON(ctx, "/v1/contractor-invoices/"+url.PathEscape(id), nil, &inv); err != nil {
		return vendors.Invoice{}, err
	}
	return vendors.MapInvoice(inv.ID, inv.Amount, inv.PeriodStart, inv.PeriodEnd)
}

// ListChanges pages through contracts updated since the watermark.
func (a *Adapter) ListChanges(ctx context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	var out []vendors.Event
	mark := since
	for page := 1; ; page++ {
		var resp struct {
			Data []struct {
				ID           string `json:"id"`
				ContractorID string `json:"contractor_id"`
				Status       string `json:"status"`
				UpdatedAt    string `json:"updated_at"`
			} `json:"data"`
			Page       int `json:"page"`
			TotalPages int `json:"total_pages"`
		}
		q := url.Values{"updated_since": {since.UTC().Format(time.RFC3339)}, "page": {strconv.Itoa(page)}}
		if err := a.api.GetJSON(ctx, "/v1/contracts", q, &resp); err != nil {
			return nil, since, err
		}
		for _, c := range resp.Data {
			at, _ := time.Parse(time.RFC3339, c.UpdatedAt)
			if at.After(mark) {
				mark = at
			}
			out = append(out, vendors.Event{Vendor: Vendor, Kind: vendors.KindFromStatus(c.Status, []string{"terminated", "ended"}, []string{"cancelled", "canceled"}),
				Name: "poll:" + c.Status, EngagementID: c.ID, ContractorID: c.ContractorID, OccurredAt: at,
				EventID: vendors.HashEventID(Vendor, "poll", c.ID, c.Status, c.UpdatedAt)})
		}
		if page >= resp.TotalPages || len(resp.Data) == 0 {
			return out, mark, nil
		}
	}
}
