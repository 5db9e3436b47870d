// Package workmarket is the WorkMarket adapter, on WorkMarket's live API
// (shared/reference/vendors.md): assignments under /api/v1/ with an access_token query
// parameter from a token/secret exchange, and {"meta","response"} envelopes. WorkMarket
// signs no webhook: the customer's template sends a long random secret in
// X-WorkMarket-Secret (README "WorkMarket").
package workmarket

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coverage-orchestrator/coverage/redact"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Vendor is the platform's name in workflow IDs and routes.
const Vendor = "workmarket"

// HeaderSecret carries the shared secret.
const HeaderSecret = "X-WorkMarket-Secret"

// API paths.
const (
	PathAuthorize     = "/api/v1/authorization/request"
	PathAssignment    = "/api/v1/assignments/get"
	PathListUpdated   = "/api/v1/assignments/list_updated"
	PathAttachments   = "/api/v1/assignments/attachments/list"
	PathAttachment    = "/api/v1/assignments/attachments/get"
	DefaultCOIPattern = `(?i)\b(coi|certificate of insurance|insurance)\b`
	listLimit         = 25 // list_updated refuses more (assumed, vendors.md 12)
	pricingInternal   = "INTERNAL / LANE 1"
	maxListLookback   = 60 * 24 * time.Hour // list_updated looks back at most 2 months
	listOverlap       = 5 * time.Minute
	invoicePrefix     = "wm-"
	eventFileUUID     = "file_uuid"
	pdfMagic          = "%PDF"
	unexpanded        = "${" // a template variable WorkMarket does not know arrives as literal text
)

// Assumptions (vendors.md "Known unknowns" 9-13), each in one place: the error envelope is
// decoded below (envelope); the category key is the assignment's industry and the work region
// the worker's state (Map); the pricing.type strings are in Wage; total_cost is USD; a phone
// number is phone_numbers[].phone (Resource: the extract lacks ApiPhoneNumberDTO). An
// operator notices a wrong one as a NEEDS_ATTENTION reason naming the field, a job with the
// default category, or a contractor created without a phone (README "WorkMarket").

// Status groups (vendors.md "WorkMarket", status row).
var (
	statusInForce = []string{"active", "inprogress"}
	statusEnds    = []string{"complete", "paymentpending", "paid"}
	statusCancels = []string{"cancelled", "cancelledpaypending", "cancelledwithpay", "void", "deleted"}
)

const statusAbandoned, statusPaid = "abandoned", "paid"

// Config configures the adapter.
type Config struct {
	APIURL        string
	Token         string // WORKMARKET_API_TOKEN
	Secret        string // WORKMARKET_API_SECRET
	WebhookSecret string
	COIPattern    string // WORKMARKET_COI_PATTERN; DefaultCOIPattern when empty
	HTTP          *http.Client
	Now           func() time.Time
}

// Adapter implements vendors.Adapter for WorkMarket.
type Adapter struct {
	cfg    Config
	api    *vendors.HTTPClient
	coi    *regexp.Regexp
	mu     sync.Mutex
	access string
}

// New returns the adapter; an invalid COI pattern falls back to the default (the
// configuration refuses one at start-up).
func New(cfg Config) *Adapter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	coi, err := regexp.Compile(vendors.FirstNonEmpty(cfg.COIPattern, DefaultCOIPattern))
	if err != nil {
		coi = regexp.MustCompile(DefaultCOIPattern)
	}
	a := &Adapter{cfg: cfg, coi: coi}
	a.api = &vendors.HTTPClient{Base: cfg.APIURL, HTTP: cfg.HTTP, TokenParam: "access_token", Token: a.token,
		Reauth: func(context.Context) error { a.mu.Lock(); a.access = ""; a.mu.Unlock(); return nil }}
	return a
}

// token exchanges the API token and secret for an access token (kept until a 401).
func (a *Adapter) token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.access != "" {
		return a.access, nil
	}
	form := url.Values{"token": {a.cfg.Token}, "secret": {a.cfg.Secret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(a.cfg.APIURL, "/")+PathAuthorize, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := vendors.HTTPOr(a.cfg.HTTP).Do(req)
	if err != nil {
		return "", &vendors.RetryableError{Err: redact.Request(req, err)}
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	switch {
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return "", &vendors.RetryableError{Err: &vendors.APIError{Status: res.StatusCode, What: PathAuthorize}}
	case res.StatusCode != http.StatusOK:
		// the body may echo the credentials: only the status is kept
		return "", &vendors.APIError{Status: res.StatusCode, What: PathAuthorize, Body: "refused; check WORKMARKET_API_TOKEN and WORKMARKET_API_SECRET"}
	}
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	if err := unwrap(PathAuthorize, data, &resp); err != nil {
		return "", err
	}
	if resp.AccessToken == "" {
		return "", &vendors.APIError{Status: 200, What: PathAuthorize, Body: "answer has no access_token"}
	}
	redact.RegisterToken(resp.AccessToken)
	a.access = resp.AccessToken
	return a.access, nil
}

// envelope is every WorkMarket answer.
type envelope struct {
	Meta struct {
		StatusCode int `json:"status_code"`
		Errors     []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"meta"`
	Response json.RawMessage `json:"response"`
}

// unwrap decodes an envelope's response into out; a meta status other than 200 is the error
// it names.
func unwrap(what string, data []byte, out any) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return &vendors.APIError{Status: 200, What: what, Body: "undecodable answer: " + err.Error()}
	}
	if code := env.Meta.StatusCode; code != 0 && code != http.StatusOK {
		msg := ""
		for _, e := range env.Meta.Errors {
			msg += e.Code + " " + e.Message + "; "
		}
		if code == http.StatusNotFound {
			return &vendors.NotFoundError{What: what}
		}
		if code == http.StatusTooManyRequests || code >= 500 {
			return &vendors.RetryableError{Err: &vendors.APIError{Status: code, What: what, Body: msg}}
		}
		return &vendors.APIError{Status: code, What: what, Body: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Response, out); err != nil {
		return &vendors.APIError{Status: 200, What: what, Body: "undecodable response: " + err.Error()}
	}
	return nil
}

func (a *Adapter) get(ctx context.Context, path string, q url.Values, out any) error {
	data, _, err := a.api.Do(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	return unwrap(path, data, out)
}

// Vendor implements vendors.Adapter.
func (a *Adapter) Vendor() string { return Vendor }

// VerifyWebhook compares the shared secret in constant time.
func (a *Adapter) VerifyWebhook(h http.Header, _ []byte) error {
	return vendors.CompareSecret(a.cfg.WebhookSecret, h.Get(HeaderSecret))
}

// Webhook is the body of the README's template; every value arrives as a string.
type Webhook struct {
	Event        string `json:"event"`
	AssignmentID string `json:"assignment_id"`
	Status       string `json:"status"`
	ResourceID   string `json:"resource_id"`
	Now          string `json:"now"`
	FileUUID     string `json:"file_uuid"`
}

// Event names (one webhook per event in WorkMarket's UI, each with its fixed "event").
const (
	EventAccepted        = "assignment.accepted"
	EventRescheduled     = "assignment.rescheduled"
	EventCompleted       = "assignment.completed"
	EventApproved        = "assignment.approved"
	EventPaid            = "assignment.paid"
	EventCancelled       = "assignment.cancelled"
	EventVoided          = "assignment.voided"
	EventAttachmentAdded = "assignment.attachment_added"
)

// Events lists them in the README's order.
var Events = []string{EventAccepted, EventRescheduled, EventCompleted, EventApproved, EventPaid, EventCancelled, EventVoided, EventAttachmentAdded}

var kinds = map[string]vendors.EventKind{
	EventAccepted:        vendors.KindStart,
	EventRescheduled:     vendors.KindUpdate,
	EventCompleted:       vendors.KindEnd,
	EventApproved:        vendors.KindEnd,
	EventPaid:            vendors.KindEnd,
	EventCancelled:       vendors.KindCancel,
	EventVoided:          vendors.KindCancel,
	EventAttachmentAdded: vendors.KindCOI,
}

// ParseWebhook turns the templated body into events. Every event re-fetches the assignment
// (its status decides); assignment.paid is also the invoice, and an attachment without its
// uuid makes the sync list the attachments.
func (a *Adapter) ParseWebhook(_ http.Header, body []byte) ([]vendors.Event, error) {
	var w Webhook
	if err := vendors.DecodeWebhook(body, &w); err != nil {
		return nil, err
	}
	if w.Event == "" {
		return nil, vendors.Missing("event")
	}
	// The body's now dedupes (the same delivery twice) but orders nothing: anyone with the
	// shared secret writes it (vendors.md Common rules).
	ev := vendors.Event{Vendor: Vendor, Name: w.Event, EngagementID: w.AssignmentID, ContractorID: w.ResourceID,
		EventID: vendors.HashEventID(Vendor, w.Event, w.AssignmentID, w.Now)}
	if strings.HasPrefix(w.FileUUID, unexpanded) {
		w.FileUUID = ""
	}
	if w.Event == EventAttachmentAdded && w.FileUUID == "" && w.AssignmentID != "" {
		ev.Kind = vendors.KindUpdate // the sync lists the attachments
		return []vendors.Event{ev}, nil
	}
	ev, err := vendors.Classify(ev, kinds, "assignment_id", eventFileUUID, w.FileUUID)
	if err != nil {
		return nil, err
	}
	ev = vendors.HintOnly(ev)
	if w.Event == EventPaid {
		inv := ev
		inv.Kind, inv.InvoiceID, inv.EventID = vendors.KindInvoice, InvoiceID(w.AssignmentID), ev.EventID+":invoice"
		return []vendors.Event{inv, ev}, nil // the invoice first: it is recorded before the end
	}
	return []vendors.Event{ev}, nil
}

// InvoiceID is the one invoice of an assignment (WorkMarket pays an assignment once).
func InvoiceID(assignmentID string) string { return invoicePrefix + assignmentID }

// Assignment is GET /api/v1/assignments/get (the envelope's response).
type Assignment struct {
	ID                    string      `json:"id"`
	Title                 string      `json:"title"`
	Description           string      `json:"description"`
	Industry              string      `json:"industry"`
	Status                string      `json:"status"`
	Client                json.Number `json:"client"`
	AssignmentWindowStart *int64      `json:"assignment_window_start"`
	AssignmentWindowEnd   *int64      `json:"assignment_window_end"`
	ScheduledTime         *int64      `json:"scheduled_time"`
	ActiveResource        *Resource   `json:"active_resource"`
	Pricing               Pricing     `json:"pricing"`
	InvoiceNumber         *string     `json:"invoice_number"`
	Payment               struct {
		TotalCost vendors.Amount `json:"total_cost"`
	} `json:"payment"`
	LastModifiedOn int64 `json:"last_modified_on"`
}

// Resource is the assigned worker.
type Resource struct {
	ID           string `json:"id"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Email        string `json:"email"`
	PhoneNumbers []struct {
		Phone string `json:"phone"`
	} `json:"phone_numbers"`
	Address *struct {
		Address1 string `json:"address_1"`
		City     string `json:"city"`
		State    string `json:"state"`
		Zip      string `json:"zip"`
		Country  string `json:"country"`
	} `json:"address"`
}

// Pricing is the assignment's pricing (ApiPricingDTO); which fields are set depends on Type.
type Pricing struct {
	Type                string         `json:"type"`
	FlatPrice           vendors.Amount `json:"flat_price"`
	PerHourPrice        vendors.Amount `json:"per_hour_price"`
	InitialPerHourPrice vendors.Amount `json:"initial_per_hour_price"`
	PerUnitPrice        vendors.Amount `json:"per_unit_price"`
	MaxNumberOfUnits    vendors.Amount `json:"max_number_of_units"`
}

// Wage is the job's wage in cents and its type (vendors.md "WorkMarket", wage row). Any other
// type (BLENDED PER UNIT included: the pricing object has no per-unit blended fields) or a
// missing price parks the engagement naming the type.
func Wage(p Pricing) (int64, string, error) {
	var cents int64
	var wageType string
	var err error
	switch strings.ToUpper(strings.TrimSpace(p.Type)) {
	case "FLAT FEE":
		cents, err = p.FlatPrice.Cents()
		wageType = "flatfee"
	case "PER HOUR":
		cents, err = p.PerHourPrice.Cents()
		wageType = "hourly"
	case "BLENDED PER HOUR":
		cents, err = p.InitialPerHourPrice.Cents()
		wageType = "hourly"
	case "PER UNIT":
		cents, err = p.PerUnitPrice.Multiply(p.MaxNumberOfUnits)
		wageType = "flatfee"
	default:
		return 0, "", fmt.Errorf("pricing.type %q carries no rate the product can use", p.Type)
	}
	if err != nil {
		return 0, "", fmt.Errorf("pricing.type %q: %w", p.Type, err)
	}
	return cents, wageType, nil
}

// FetchEngagement reads the assignment and the certificates among its attachments.
func (a *Adapter) FetchEngagement(ctx context.Context, id string) (vendors.Engagement, error) {
	asg, err := a.assignment(ctx, id)
	if err != nil {
		return vendors.Engagement{}, err
	}
	e, err := Map(asg, a.cfg.Now())
	if err != nil || e.OutOfScope != "" {
		return e, err
	}
	certs, err := a.certificates(ctx, id)
	if err != nil {
		return vendors.Engagement{}, err
	}
	for _, c := range certs {
		e.Documents = append(e.Documents, c.UUID)
	}
	return e, nil
}

func (a *Adapter) assignment(ctx context.Context, id string) (Assignment, error) {
	var asg Assignment
	err := a.get(ctx, PathAssignment, url.Values{"id": {id}}, &asg)
	return asg, err
}

// Map turns an assignment into the normalised engagement; now decides an abandoned one.
func Map(asg Assignment, now time.Time) (vendors.Engagement, error) {
	e := vendors.Engagement{Vendor: Vendor, EngagementID: asg.ID, Status: asg.Status, Version: Version(asg.ID, asg.Status, asg.LastModifiedOn)}
	what := func(f string) string { return "assignment " + asg.ID + " " + f }
	status := strings.ToLower(asg.Status)
	switch {
	case strings.EqualFold(asg.Pricing.Type, pricingInternal):
		e.OutOfScope = "internal work (pricing " + pricingInternal + ")"
		return e, nil
	case !inList(status, statusInForce) && !inList(status, statusEnds) && !inList(status, statusCancels) && status != statusAbandoned:
		e.OutOfScope = "status " + asg.Status + ": not an engagement yet"
		return e, nil
	case asg.ActiveResource == nil:
		e.OutOfScope = "no worker assigned"
		return e, nil
	}
	wage, wageType, err := Wage(asg.Pricing)
	if err != nil {
		return e, &vendors.APIError{What: what("pricing"), Body: err.Error()}
	}
	switch {
	case asg.AssignmentWindowStart != nil && asg.AssignmentWindowEnd != nil:
		e.Start, e.End = *asg.AssignmentWindowStart, *asg.AssignmentWindowEnd
	case asg.ScheduledTime != nil:
		e.Start = *asg.ScheduledTime
		e.End = (e.Start/86400 + 1) * 86400 // the next 00:00 UTC after it
	default:
		return e, &vendors.APIError{What: what("assignment_window_start"), Body: "missing: neither a window nor a scheduled time"}
	}
	r := asg.ActiveResource
	c := vendors.Contractor{SourceID: r.ID, FirstName: r.FirstName, LastName: r.LastName, Email: strings.ToLower(strings.TrimSpace(r.Email))}
	if len(r.PhoneNumbers) > 0 {
		c.Phone = r.PhoneNumbers[0].Phone
	}
	if ad := r.Address; ad != nil {
		c.Line1, c.City, c.Region, c.PostalCode, c.Country = ad.Address1, ad.City, ad.State, ad.Zip, vendors.Country(ad.Country)
	}
	e.Contractor = c
	e.Job = vendors.Job{Name: asg.Title, Description: asg.Description, ClientID: asg.Client.String(), Category: asg.Industry,
		Wage: wage, WageType: wageType, Region: c.Region, Country: c.Country}
	ids := map[string]string{"work_order_id": asg.ID}
	e.Metadata = vendors.Metadata{Contractor: map[string]string{"workmarket_worker_id": r.ID}, Job: ids, Quote: ids, Session: ids,
		Assignment: ids, Certificate: ids}
	if asg.LastModifiedOn > 0 {
		e.UpdatedAt = time.Unix(asg.LastModifiedOn, 0).UTC()
	}
	e.Terminal = terminal(status, e.Start, now)
	return e, nil
}

func terminal(status string, start int64, now time.Time) vendors.EventKind {
	switch {
	case inList(status, statusEnds):
		return vendors.KindEnd
	case inList(status, statusCancels):
		return vendors.KindCancel
	case status == statusAbandoned && now.Unix() < start:
		return vendors.KindCancel
	case status == statusAbandoned:
		return vendors.KindEnd
	}
	return ""
}

func inList(v string, list []string) bool {
	for _, s := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Attachment is ApiAttachmentDTO: an entry of attachments/list (without the file) and the
// answer of attachments/get (with the file base64-encoded in Attachment).
type Attachment struct {
	UUID        string `json:"uuid"`
	Filename    string `json:"filename"`
	Description string `json:"description"`
	Size        int64  `json:"size"`
	Attachment  string `json:"attachment"`
}

// certificates lists the attachments whose file name or description match the COI pattern.
func (a *Adapter) certificates(ctx context.Context, assignmentID string) ([]Attachment, error) {
	var all []Attachment
	if err := a.get(ctx, PathAttachments, url.Values{"id": {assignmentID}}, &all); err != nil {
		return nil, err
	}
	var out []Attachment
	for _, at := range all {
		if a.coi.MatchString(at.Filename) || a.coi.MatchString(at.Description) {
			out = append(out, at)
		}
	}
	return out, nil
}

// FetchDocument downloads a certificate attachment (attachments/get reads only the uuid) and
// decodes its base64 file; one that does not match the pattern is not a certificate, and a
// file that is not a PDF is refused naming it.
func (a *Adapter) FetchDocument(ctx context.Context, assignmentID, uuid string) (vendors.Document, error) {
	certs, err := a.certificates(ctx, assignmentID)
	if err != nil {
		return vendors.Document{}, err
	}
	if !slices.ContainsFunc(certs, func(c Attachment) bool { return c.UUID == uuid }) {
		return vendors.Document{}, &vendors.NotFoundError{What: "attachment " + uuid + " of assignment " + assignmentID + " is not a certificate of insurance"}
	}
	var at Attachment
	if err := a.get(ctx, PathAttachment, url.Values{"uuid": {uuid}}, &at); err != nil {
		return vendors.Document{}, err
	}
	what := "attachment " + uuid + " of assignment " + assignmentID
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(at.Attachment), ""))
	switch {
	case err != nil:
		return vendors.Document{}, &vendors.APIError{Status: 200, What: what, Body: "attachment is not base64: " + err.Error()}
	case !bytes.HasPrefix(data, []byte(pdfMagic)):
		return vendors.Document{}, &vendors.APIError{Status: 200, What: what, Body: "file " + at.Filename + " is not a PDF"}
	}
	return vendors.Document{FileName: at.Filename, ContentType: "application/pdf", Data: data}, nil
}

// FetchInvoice is the paid assignment's actual pay: payment.total_cost (USD, assumed) for
// the assignment's window, once.
func (a *Adapter) FetchInvoice(ctx context.Context, assignmentID, _ string) (vendors.Invoice, error) {
	asg, err := a.assignment(ctx, assignmentID)
	if err != nil {
		return vendors.Invoice{}, err
	}
	if !strings.EqualFold(asg.Status, statusPaid) {
		return vendors.Invoice{}, &vendors.NotFoundError{What: "assignment " + assignmentID + " is not paid yet (status " + asg.Status + ")"}
	}
	e, err := Map(asg, a.cfg.Now())
	if err != nil {
		return vendors.Invoice{}, err
	}
	cents, err := asg.Payment.TotalCost.Cents()
	if err != nil {
		return vendors.Invoice{}, &vendors.APIError{What: "assignment " + assignmentID + " payment.total_cost", Body: err.Error()}
	}
	id := InvoiceID(assignmentID)
	if asg.InvoiceNumber != nil && *asg.InvoiceNumber != "" {
		id = *asg.InvoiceNumber
	}
	return vendors.Invoice{ID: id, GrossPay: cents, PeriodStart: e.Start, PeriodEnd: e.End}, nil
}

// Version is an assignment's version: its status and last_modified_on, which list_updated and
// assignments/get both give.
func Version(id, status string, lastModifiedOn int64) string {
	return vendors.RecordVersion(Vendor, id, strings.ToLower(status), strconv.FormatInt(lastModifiedOn, 10))
}

// Updated is one row of list_updated.
type Updated struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	LastModifiedOn int64  `json:"last_modified_on"`
}

// ListUpdated pages through list_updated since a time (25 a page).
func (a *Adapter) ListUpdated(ctx context.Context, since time.Time) ([]Updated, error) {
	var out []Updated
	for start := 0; ; start += listLimit {
		var resp struct {
			TotalResults int       `json:"total_results"`
			Data         []Updated `json:"data"`
		}
		q := url.Values{"modified_since": {strconv.FormatInt(since.Unix(), 10)}, "start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(listLimit)}}
		if err := a.get(ctx, PathListUpdated, q, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Data...)
		if start+listLimit >= resp.TotalResults || len(resp.Data) == 0 {
			return out, nil
		}
	}
}

// ListChanges lists the assignments modified since the watermark (minus 5 minutes, at most 2
// months back). Only rows in force start engagements; ended and cancelled ones reach only
// engagements that already run; a paid one also brings its invoice.
func (a *Adapter) ListChanges(ctx context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	from := since.Add(-listOverlap)
	if oldest := a.cfg.Now().Add(-maxListLookback); from.Before(oldest) {
		from = oldest
	}
	rows, err := a.ListUpdated(ctx, from)
	if err != nil {
		return nil, since, err
	}
	var out []vendors.Event
	mark := since
	for _, r := range rows {
		at := time.Unix(r.LastModifiedOn, 0).UTC()
		if at.After(mark) {
			mark = at
		}
		status := strings.ToLower(r.Status)
		version := Version(r.ID, r.Status, r.LastModifiedOn)
		ev := vendors.Event{Vendor: Vendor, Name: "poll:" + r.Status, EngagementID: r.ID, OccurredAt: at,
			EventID: vendors.HashEventID(Vendor, "poll", r.ID, version), Version: version}
		switch {
		case inList(status, statusInForce):
			ev.Kind = vendors.KindStart
		case inList(status, statusEnds), status == statusAbandoned:
			ev.Kind, ev.NoStart = vendors.KindUpdate, true // the sync's status decides end or cancel
			if status == statusPaid {
				inv := ev
				// Not versioned: an invoice is delivered (and recorded once) whatever the record's version.
				inv.Kind, inv.InvoiceID, inv.EventID, inv.Version = vendors.KindInvoice, InvoiceID(r.ID), ev.EventID+":invoice", ""
				out = append(out, inv)
			}
		case inList(status, statusCancels):
			ev.Kind, ev.NoStart = vendors.KindCancel, true
		default:
			continue // draft, sent, declined: not an engagement yet
		}
		out = append(out, ev)
	}
	return out, mark, nil
}

// ListOpen lists the assignments in force modified over the last two months (backfill).
func (a *Adapter) ListOpen(ctx context.Context) ([]vendors.Listed, error) {
	rows, err := a.ListUpdated(ctx, a.cfg.Now().Add(-maxListLookback))
	var out []vendors.Listed
	for _, r := range rows {
		if inList(strings.ToLower(r.Status), statusInForce) {
			out = append(out, vendors.Listed{ID: r.ID})
		}
	}
	return out, err
}
