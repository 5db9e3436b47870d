// Package remote is the Remote adapter, on Remote's live API (shared/reference/vendors.md):
// an engagement is an employment of type "contractor" (employees and EOR are ignored).
// Webhooks are flat bodies signed X-Remote-Signature = hex HMAC-SHA256(key, body + ":" + ms).
package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// TokenPath is the partner apps' OAuth2 token endpoint on the API host.
const TokenPath = "/auth/oauth2/token"

// Assumptions (vendors.md "Known unknowns" 2-8): each is one line here, so the first real
// response corrects one line. An operator notices a wrong one as a NEEDS_ATTENTION reason
// naming the field, a contractor created without phone or address, or a poll that finds
// nothing (README "Remote").
const (
	// listTypeFilter is the employments listing's filter value (7).
	listTypeFilter = "contractor"
	// statusCancel cancels; every status not listed in statusEnds is in force (4).
	statusCancel = "deleted"
	// invoiceIDField is where contractor_invoice.paid_out names the invoice (5).
	invoiceIDField = "contractor_invoice_id"
)

// statusEnds end the engagement now.
var statusEnds = []string{"archived", "offboarding"}

// addressDetails and personalDetails hold the assumed keys (2).
type addressDetails struct {
	Address    string `json:"address"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
}

type personalDetails struct {
	PhoneNumber string `json:"phone_number"`
}

// inScope lists the employment types that are contractor engagements.
var inScope = []string{"contractor"}

// Config configures the adapter: a company token, or a partner app's refresh-token grant.
type Config struct {
	APIURL        string
	Token         string // REMOTE_API_TOKEN
	ClientID      string // REMOTE_CLIENT_ID
	ClientSecret  string // REMOTE_CLIENT_SECRET
	RefreshToken  string // REMOTE_REFRESH_TOKEN
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
	api := &vendors.HTTPClient{Base: cfg.APIURL, HTTP: cfg.HTTP, RetryAfter: rateLimitReset,
		Token: func(context.Context) (string, error) { return cfg.Token, nil }}
	if cfg.Token == "" && cfg.RefreshToken != "" {
		grant := &vendors.RefreshToken{TokenURL: strings.TrimRight(cfg.APIURL, "/") + TokenPath, ClientID: cfg.ClientID,
			ClientSecret: cfg.ClientSecret, BasicAuth: true, HTTP: cfg.HTTP, Refresh: cfg.RefreshToken}
		api.Token, api.Reauth = grant.Token, grant.Invalidate
	}
	return &Adapter{cfg: cfg, api: api}
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

// Event names: Remote's live events, then the guide's names, kept as aliases.
var kinds = map[string]vendors.EventKind{
	"employment.onboarding.completed":                      vendors.KindStart,
	"employment.user_status.activated":                     vendors.KindStart,
	"contract_document.status.changed":                     vendors.KindStart,
	"employment.start_date.changed":                        vendors.KindStart,
	"employment.updated":                                   vendors.KindStart,
	"employment.details.updated":                           vendors.KindStart,
	"employment_contract.active_contract_updated":          vendors.KindStart,
	"contract_amendment.done":                              vendors.KindStart,
	"contract.termination_date_reached":                    vendors.KindUpdate, // the employment's dates and status end it
	"employment.contractor_of_record_termination.executed": vendors.KindUpdate,
	"offboarding.submitted_to_payroll":                     vendors.KindUpdate,
	"offboarding.completed":                                vendors.KindEnd,
	"employment.onboarding.cancelled":                      vendors.KindCancel,
	"contractor_invoice.paid_out":                          vendors.KindInvoice,
	// aliases: the guide's names
	"contract.finalized":       vendors.KindStart,
	"contract.signed":          vendors.KindStart,
	"invoice_schedule.created": vendors.KindStart,
	"invoice_schedule.updated": vendors.KindStart,
	"contract.terminated":      vendors.KindEnd,
	"contract.cancelled":       vendors.KindCancel,
}

// endEvents end an employment by its dates and status; they never start coverage.
var endEvents = map[string]bool{"contract.termination_date_reached": true, "employment.contractor_of_record_termination.executed": true,
	"offboarding.submitted_to_payroll": true}

// Webhook is Remote's flat event body.
type Webhook struct {
	EventType           string `json:"event_type"`
	CompanyID           string `json:"company_id"`
	EmploymentID        string `json:"employment_id"`
	ContractorInvoiceID string `json:"contractor_invoice_id"`
}

// ParseWebhook turns a verified body into one event.
func (a *Adapter) ParseWebhook(h http.Header, body []byte) ([]vendors.Event, error) {
	var w Webhook
	if err := vendors.DecodeWebhook(body, &w); err != nil {
		return nil, err
	}
	if w.EventType == "" {
		return nil, vendors.Missing("event_type")
	}
	ev := vendors.Event{Vendor: Vendor, Name: w.EventType, EngagementID: w.EmploymentID}
	if ms, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64); err == nil {
		ev.OccurredAt = time.UnixMilli(ms).UTC()
	}
	// Remote sends no event id: the dedupe key is the event with its ids and timestamp.
	ev.EventID = vendors.HashEventID(Vendor, w.EventType, w.EmploymentID, w.ContractorInvoiceID, h.Get(HeaderTimestamp))
	ev, err := vendors.Classify(ev, kinds, "employment_id", "", "")
	if err != nil {
		return nil, err
	}
	// An end or cancel for an employment this service does not cover yet starts nothing, so it
	// closes no workflow id (assumed, 4; vendors.md Common rules).
	ev.NoStart = ev.Kind == vendors.KindEnd || ev.Kind == vendors.KindCancel || endEvents[w.EventType]
	if ev.Kind == vendors.KindInvoice {
		if w.ContractorInvoiceID == "" {
			return nil, vendors.Missing(invoiceIDField)
		}
		ev.InvoiceID = w.ContractorInvoiceID
	}
	return []vendors.Event{ev}, nil
}

// Employment is GET /v1/employments/{id} (the object inside data.employment).
type Employment struct {
	ID                   string           `json:"id"`
	Type                 string           `json:"type"`
	Status               string           `json:"status"`
	CompanyID            string           `json:"company_id"`
	FullName             string           `json:"full_name"`
	PersonalEmail        *string          `json:"personal_email"`
	WorkEmail            *string          `json:"work_email"`
	LoginEmail           *string          `json:"login_email"`
	JobTitle             string           `json:"job_title"`
	Country              *Country         `json:"country"`
	AddressDetails       *addressDetails  `json:"address_details"`
	PersonalDetails      *personalDetails `json:"personal_details"`
	ProvisionalStartDate string           `json:"provisional_start_date"`
	ExpirationDate       *string          `json:"expiration_date"`
	TerminationDate      *string          `json:"termination_date"`
	ContractorRate       *Rate            `json:"contractor_rate"`
	UpdatedAt            string           `json:"updated_at"`
}

// Version is what an engagement acts on (status, dates, rate, updated_at), as
// platforms-live.md says to diff an employment; the same for the poll and the fetch.
func (m Employment) Version() string {
	rate, _ := json.Marshal(m.ContractorRate)
	return vendors.RecordVersion(Vendor, m.ID, m.Status, m.UpdatedAt, string(rate), m.ProvisionalStartDate,
		str(m.ExpirationDate), str(m.TerminationDate))
}

// Country is an employment's country.
type Country struct {
	Alpha2 string `json:"alpha_2_code"`
	Code   string `json:"code"`
	Name   string `json:"name"`
}

// Rate is contractor_rate: a decimal amount in major units and how often it is paid.
type Rate struct {
	Amount struct {
		Amount   vendors.Amount `json:"amount"`
		Currency struct {
			Code string `json:"code"`
		} `json:"currency"`
	} `json:"amount"`
	PayFrequency string `json:"pay_frequency"`
	Type         string `json:"type"`
}

type employmentEnvelope struct {
	Data struct {
		Employment Employment `json:"employment"`
	} `json:"data"`
}

// FetchEngagement reads the employment and maps it.
func (a *Adapter) FetchEngagement(ctx context.Context, id string) (vendors.Engagement, error) {
	var env employmentEnvelope
	if err := a.api.GetJSON(ctx, "/v1/employments/"+url.PathEscape(id), nil, &env); err != nil {
		return vendors.Engagement{}, err
	}
	return Map(env.Data.Employment)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Map turns an employment into the normalised engagement (vendors.md "Remote").
func Map(m Employment) (vendors.Engagement, error) {
	e := vendors.Engagement{Vendor: Vendor, EngagementID: m.ID, Status: m.Status, Version: m.Version()}
	if !inScopeType(m.Type) {
		e.OutOfScope = "employment type " + m.Type + " (only contractors are covered)"
		return e, nil
	}
	what := func(field string) string { return "employment " + m.ID + " " + field }
	if m.ContractorRate == nil || !m.ContractorRate.Amount.Amount.Set() {
		return e, &vendors.APIError{What: what("contractor_rate"), Body: "missing: no rate to insure"}
	}
	wage, err := m.ContractorRate.Amount.Amount.Cents()
	if err != nil {
		return e, &vendors.APIError{What: what("contractor_rate.amount.amount"), Body: err.Error()}
	}
	wageType := "flatfee"
	if strings.EqualFold(m.ContractorRate.Type, "hourly") {
		wageType = "hourly"
	}
	if e.Start, err = vendors.WindowStart(m.ProvisionalStartDate); err != nil {
		return e, &vendors.APIError{What: what("provisional_start_date"), Body: err.Error()}
	}
	if end := vendors.FirstNonEmpty(str(m.ExpirationDate), str(m.TerminationDate)); end != "" {
		if e.End, err = vendors.WindowEnd(end); err != nil {
			return e, &vendors.APIError{What: what("expiration_date"), Body: err.Error()}
		}
	}
	if e.UpdatedAt, err = vendors.ParseEventTime("updated_at", m.UpdatedAt); err != nil {
		e.UpdatedAt = time.Time{}
	}
	first, last := vendors.SplitName(m.FullName)
	c := vendors.Contractor{SourceID: m.ID, FirstName: first, LastName: last,
		Email: strings.ToLower(vendors.FirstNonEmpty(str(m.PersonalEmail), str(m.WorkEmail), str(m.LoginEmail)))}
	if m.Country != nil {
		c.Country = vendors.Country(vendors.FirstNonEmpty(m.Country.Alpha2, m.Country.Code, m.Country.Name))
	}
	if ad := m.AddressDetails; ad != nil {
		c.Line1, c.City, c.Region, c.PostalCode = ad.Address, ad.City, ad.State, ad.PostalCode
	}
	if pd := m.PersonalDetails; pd != nil {
		c.Phone = pd.PhoneNumber
	}
	e.Contractor = c
	e.Job = vendors.Job{Name: m.JobTitle, Description: m.JobTitle, ClientID: m.CompanyID, Category: m.JobTitle, Wage: wage,
		WageType: wageType, Region: c.Region, Country: c.Country}
	ids := map[string]string{"contract_id": m.ID}
	e.Metadata = vendors.Metadata{Contractor: map[string]string{"remote_contractor_id": m.ID},
		Job: map[string]string{"contract_id": m.ID, "contractor_id": m.ID}, Quote: ids, Session: ids, Assignment: ids, Certificate: ids}
	e.Terminal = vendors.TerminalFromStatus(m.Status, statusEnds, []string{statusCancel})
	return e, nil
}

func inScopeType(t string) bool {
	for _, s := range inScope {
		if strings.EqualFold(t, s) {
			return true
		}
	}
	return false
}

// FetchDocument: Remote has no certificate-of-insurance object; Remote certificates come
// through the operator intake route.
func (a *Adapter) FetchDocument(_ context.Context, _, id string) (vendors.Document, error) {
	return vendors.Document{}, &vendors.NotFoundError{What: "Remote has no documents to fetch (document " + id + ")"}
}

// ContractorInvoice is GET /v1/contractor-invoices/{id}: amount in integer cents.
type ContractorInvoice struct {
	ID           string `json:"id"`
	EmploymentID string `json:"employment_id"`
	Amount       int64  `json:"amount"`
	Currency     string `json:"currency"`
	Date         string `json:"date"`
	Status       string `json:"status"`
}

// FetchInvoice reads a contractor invoice: the amount is already cents, used as it is; the
// pay period is the invoice's date (assumed, 6: Remote has no period).
func (a *Adapter) FetchInvoice(ctx context.Context, _, id string) (vendors.Invoice, error) {
	var env struct {
		Data struct {
			Invoice ContractorInvoice `json:"contractor_invoice"`
		} `json:"data"`
	}
	if err := a.api.GetJSON(ctx, "/v1/contractor-invoices/"+url.PathEscape(id), nil, &env); err != nil {
		return vendors.Invoice{}, err
	}
	inv := env.Data.Invoice
	day, err := vendors.WindowStart(inv.Date)
	if err != nil {
		return vendors.Invoice{}, &vendors.APIError{What: "contractor invoice " + id + " date", Body: err.Error()}
	}
	if inv.Amount <= 0 {
		return vendors.Invoice{}, &vendors.APIError{What: "contractor invoice " + id + " amount", Body: "missing or not positive"}
	}
	return vendors.Invoice{ID: inv.ID, GrossPay: inv.Amount, PeriodStart: day, PeriodEnd: day}, nil
}

type page struct {
	CurrentPage int `json:"current_page"`
	TotalPages  int `json:"total_pages"`
	TotalCount  int `json:"total_count"`
}

// ListChanges lists the open contractor employments (Remote has no modified-since filter),
// reads each one, and returns those updated since the watermark. The webhook-events feed is
// the hint: when it shows a delivery that did not succeed since the last run, every open
// employment is handed over (a rescan), so a missed webhook still arrives within one poll;
// each carries its Version, so only the engagements that applied another one are signalled.
func (a *Adapter) ListChanges(ctx context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	rescan, err := a.failedDeliveriesSince(ctx, since)
	if err != nil {
		return nil, since, err
	}
	rows, err := a.listContractors(ctx)
	if err != nil {
		return nil, since, err
	}
	var out []vendors.Event
	mark := since
	for _, row := range rows {
		if kind := vendors.TerminalFromStatus(row.Status, statusEnds, []string{statusCancel}); kind != "" {
			// Closed in the listing: it reaches an engagement that still runs, and starts none.
			out = append(out, vendors.Event{Vendor: Vendor, Kind: kind, Name: "poll:" + row.Status, EngagementID: row.ID, NoStart: true,
				EventID: vendors.HashEventID(Vendor, "poll", row.ID, row.Status)})
			continue
		}
		var env employmentEnvelope
		if err := a.api.GetJSON(ctx, "/v1/employments/"+url.PathEscape(row.ID), nil, &env); err != nil {
			return nil, since, err
		}
		m := env.Data.Employment
		at, _ := time.Parse(time.RFC3339, m.UpdatedAt)
		if at.After(mark) {
			mark = at
		}
		if !rescan && !at.After(since) {
			continue
		}
		version := m.Version()
		out = append(out, vendors.Event{Vendor: Vendor, Kind: vendors.KindFromStatus(m.Status, statusEnds, []string{statusCancel}),
			Name: "poll:" + m.Status, EngagementID: m.ID, OccurredAt: at.UTC(),
			EventID: vendors.HashEventID(Vendor, "poll", m.ID, version), Version: version})
	}
	return out, mark, nil
}

type listedEmployment struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

// ListOpen lists the open contractor employments (backfill).
func (a *Adapter) ListOpen(ctx context.Context) ([]vendors.Listed, error) {
	rows, err := a.listContractors(ctx)
	var out []vendors.Listed
	for _, m := range rows {
		if vendors.TerminalFromStatus(m.Status, statusEnds, []string{statusCancel}) == "" {
			out = append(out, vendors.Listed{ID: m.ID})
		}
	}
	return out, err
}

// listContractors pages through the employments listing, keeping contractors only.
func (a *Adapter) listContractors(ctx context.Context) ([]listedEmployment, error) {
	var out []listedEmployment
	for n := 1; ; n++ {
		var resp struct {
			Data struct {
				Employments []listedEmployment `json:"employments"`
				page
			} `json:"data"`
		}
		q := url.Values{"employment_type": {listTypeFilter}, "page": {strconv.Itoa(n)}, "page_size": {"50"}}
		if err := a.api.GetJSON(ctx, "/v1/employments", q, &resp); err != nil {
			return nil, err
		}
		for _, m := range resp.Data.Employments {
			if inScopeType(m.Type) {
				out = append(out, m)
			}
		}
		if resp.Data.CurrentPage >= resp.Data.TotalPages || len(resp.Data.Employments) == 0 {
			return out, nil
		}
	}
}

// failedDeliveriesSince reads GET /v1/webhook-events after the watermark (assumed shape, 8)
// and reports whether any delivery did not succeed.
func (a *Adapter) failedDeliveriesSince(ctx context.Context, since time.Time) (bool, error) {
	for n := 1; ; n++ {
		var resp struct {
			Data struct {
				Events []struct {
					EventType             string `json:"event_type"`
					SuccessfullyDelivered bool   `json:"successfully_delivered"`
				} `json:"webhook_events"`
				page
			} `json:"data"`
		}
		q := url.Values{"after": {since.UTC().Format(time.RFC3339)}, "page": {strconv.Itoa(n)}}
		if err := a.api.GetJSON(ctx, "/v1/webhook-events", q, &resp); err != nil {
			return false, err
		}
		for _, ev := range resp.Data.Events {
			if !ev.SuccessfullyDelivered {
				return true, nil
			}
		}
		if resp.Data.CurrentPage >= resp.Data.TotalPages || len(resp.Data.Events) == 0 {
			return false, nil
		}
	}
}
