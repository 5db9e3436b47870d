// Package jobdiva is the JobDiva adapter: contractor placements only (Direct Placement and
// W-2 are ignored). Webhooks are signed X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, body)>;
// JobDiva counts only an exact 200 as delivered and resends stale copies, so events carry
// dateUpdated for ordering.
package jobdiva

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Vendor is the platform's name in workflow IDs and routes.
const Vendor = "jobdiva"

// HeaderSignature carries the signature.
const HeaderSignature = "X-Hub-Signature"

// Config configures the adapter.
type Config struct {
	APIURL        string
	ClientID      string
	Username      string
	Password      string
	WebhookSecret string
	HTTP          *http.Client
}

// Adapter implements vendors.Adapter for JobDiva.
type Adapter struct {
	cfg   Config
	api   *vendors.HTTPClient
	mu    sync.Mutex
	token string
}

// New returns the adapter.
func New(cfg Config) *Adapter {
	a := &Adapter{cfg: cfg}
	a.api = &vendors.HTTPClient{Base: cfg.APIURL, HTTP: cfg.HTTP, Token: a.currentToken, Reauth: a.authenticate}
	return a
}

// Vendor implements vendors.Adapter.
func (a *Adapter) Vendor() string { return Vendor }

func (a *Adapter) currentToken(ctx context.Context) (string, error) {
	a.mu.Lock()
	tok := a.token
	a.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	if err := a.authenticate(ctx); err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.token, nil
}

// authenticate fetches a token: GET /apiv2/authenticate answers it as plain text.
func (a *Adapter) authenticate(ctx context.Context) error {
	auth := &vendors.HTTPClient{Base: a.cfg.APIURL, HTTP: a.cfg.HTTP}
	q := url.Values{"clientid": {a.cfg.ClientID}, "username": {a.cfg.Username}, "password": {a.cfg.Password}}
	data, _, err := auth.Do(ctx, http.MethodGet, "/apiv2/authenticate", q, nil)
	if err != nil {
		return err
	}
	tok := strings.Trim(strings.TrimSpace(string(data)), `"`)
	if tok == "" {
		return &vendors.APIError{Status: 200, What: "jobdiva authenticate", Body: "empty token"}
	}
	a.mu.Lock()
	a.token = tok
	a.mu.Unlock()
	return nil
}

// Sign returns the signature header value for body.
func Sign(secret string, body []byte) string {
	return "sha1=" + hex.EncodeToString(vendors.SignHMAC(sha1.New, secret, body))
}

// VerifyWebhook checks sha1=<hex HMAC-SHA1(secret, body)>.
func (a *Adapter) VerifyWebhook(h http.Header, body []byte) error {
	v := h.Get(HeaderSignature)
	if v == "" {
		return &vendors.SignatureError{Reason: "missing " + HeaderSignature}
	}
	sig, ok := strings.CutPrefix(v, "sha1=")
	if !ok {
		return &vendors.SignatureError{Reason: HeaderSignature + " must start with sha1="}
	}
	return vendors.VerifyHMAC(sha1.New, a.cfg.WebhookSecret, sig, body)
}

// ParseTime reads JobDiva's MM/dd/yyyy HH:mm:ss (no zone: UTC).
func ParseTime(s string) (time.Time, error) {
	return time.ParseInLocation(vendors.LayoutJobDiva, strings.TrimSpace(s), time.UTC)
}

type record struct {
	PlacementID    string `json:"placementId"`
	CandidateID    string `json:"candidateId"`
	JobID          string `json:"jobId"`
	AttachmentID   string `json:"attachmentId"`
	AttachmentType string `json:"attachmentType"`
	TimesheetID    string `json:"timesheetId"`
	Status         string `json:"status"`
	DateUpdated    string `json:"dateUpdated"`
}

// ParseWebhook turns a JobDiva notification into events, one per data record.
func (a *Adapter) ParseWebhook(_ http.Header, body []byte) ([]vendors.Event, error) {
	var w struct {
		Type      string   `json:"type"`
		Operation string   `json:"operation"`
		ID        string   `json:"id"`
		Data      []record `json:"data"`
	}
	if err := vendors.DecodeWebhook(body, &w); err != nil {
		return nil, err
	}
	if w.Type == "" {
		return nil, vendors.Missing("type")
	}
	if w.Operation == "" {
		return nil, vendors.Missing("operation")
	}
	if len(w.Data) == 0 {
		return nil, vendors.Missing("data")
	}
	var out []vendors.Event
	for i, r := range w.Data {
		ev, err := parseRecord(strings.ToLower(w.Type), strings.ToLower(w.Operation), w.ID, r)
		if err != nil {
			if pe, ok := err.(*vendors.ParseError); ok && len(w.Data) > 1 {
				pe.Field = "data[" + strconv.Itoa(i) + "]." + pe.Field
			}
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func parseRecord(typ, op, id string, r record) (vendors.Event, error) {
	ev := vendors.Event{Vendor: Vendor, Name: typ + "." + op, ContractorID: r.CandidateID,
		EventID: vendors.HashEventID(Vendor, typ, op, id, r.PlacementID, r.AttachmentID, r.TimesheetID, r.Status, r.DateUpdated)}
	if r.DateUpdated != "" {
		t, err := ParseTime(r.DateUpdated)
		if err != nil {
			return ev, &vendors.ParseError{Field: "dateUpdated", Reason: "want MM/dd/yyyy HH:mm:ss"}
		}
		ev.OccurredAt = t
	}
	ignore := func(reason string) (vendors.Event, error) {
		ev.Kind, ev.Reason = vendors.KindIgnore, reason
		return ev, nil
	}
	switch typ {
	case "placement":
		if r.PlacementID == "" {
			return ev, vendors.Missing("placementId")
		}
		ev.EngagementID = r.PlacementID
		switch {
		case op == "delete":
			ev.Kind = vendors.KindCancel
		case vendors.TerminalFromStatus(r.Status, terminalEnds, terminalCancels) != "":
			ev.Kind = vendors.TerminalFromStatus(r.Status, terminalEnds, terminalCancels)
		case op == "insert":
			ev.Kind = vendors.KindStart
		case op == "update":
			ev.Kind = vendors.KindUpdate
		default:
			return ignore("placement operation " + op + " needs no action")
		}
	case "attachment":
		if op != "insert" {
			return ignore("attachment " + op + " needs no action")
		}
		if !strings.EqualFold(r.AttachmentType, "COI") {
			return ignore("attachment is not a certificate of insurance")
		}
		if r.PlacementID == "" {
			return ev, vendors.Missing("placementId")
		}
		if r.AttachmentID == "" {
			return ev, vendors.Missing("attachmentId")
		}
		ev.Kind, ev.EngagementID, ev.DocumentID = vendors.KindCOI, r.PlacementID, r.AttachmentID
	case "timesheet":
		if op != "insert" {
			return ignore("timesheet " + op + " needs no action")
		}
		if r.PlacementID == "" {
			return ev, vendors.Missing("placementId")
		}
		if r.TimesheetID == "" {
			return ev, vendors.Missing("timesheetId")
		}
		ev.Kind, ev.EngagementID, ev.InvoiceID = vendors.KindInvoice, r.PlacementID, r.TimesheetID
	case "candidate":
		if op != "update" {
			return ignore("candidate " + op + " needs no action")
		}
		if r.CandidateID == "" {
			return ev, vendors.Missing("candidateId")
		}
		// It names no placement: the ingress finds the candidate's open engagements.
		ev.Kind = vendors.KindContractorUpdate
	default:
		return ignore("record type " + typ + " needs no action")
	}
	return ev, nil
}

var (
	terminalEnds    = []string{"terminated", "ended", "completed"}
	terminalCancels = []string{"cancelled", "canceled"}
)

// Candidate is GET /apiv2/candidates/{id}.
type Candidate struct {
	CandidateID string  `json:"candidateId"`
	FirstName   string  `json:"firstName"`
	LastName    string  `json:"lastName"`
	Email       *string `json:"email"`
	Country     string  `json:"country"`
	State       string  `json:"state"`
	Phone       string  `json:"phone"`
}

// Job is GET /apiv2/jobs/{id}.
type Job struct {
	JobID       string `json:"jobId"`
	Title       string `json:"title"`
	Description string `json:"description"`
	ClientID    string `json:"clientId"`
	Category    string `json:"category"`
	State       string `json:"state"`
}

// Placement is GET /apiv2/placements/{id}.
type Placement struct {
	PlacementID        string         `json:"placementId"`
	CandidateID        string         `json:"candidateId"`
	JobID              string         `json:"jobId"`
	StartDate          string         `json:"startDate"`
	EndDate            string         `json:"endDate"`
	PayRate            vendors.Amount `json:"payRate"`
	PayRateUnit        string         `json:"payRateUnit"`
	PositionType       string         `json:"positionType"`
	EmploymentCategory string         `json:"employmentCategory"`
	WorkState          string         `json:"workState"`
	Status             string         `json:"status"`
	DateUpdated        string         `json:"dateUpdated"`
}

// FetchEngagement reads the placement, its candidate and its job, and maps them.
func (a *Adapter) FetchEngagement(ctx context.Context, id string) (vendors.Engagement, error) {
	var p Placement
	if err := a.api.GetJSON(ctx, "/apiv2/placements/"+url.PathEscape(id), nil, &p); err != nil {
		return vendors.Engagement{}, err
	}
	if reason := outOfScope(p); reason != "" {
		return vendors.Engagement{Vendor: Vendor, EngagementID: p.PlacementID, Status: p.Status, OutOfScope: reason}, nil
	}
	var c Candidate
	if err := a.api.GetJSON(ctx, "/apiv2/candidates/"+url.PathEscape(p.CandidateID), nil, &c); err != nil {
		return vendors.Engagement{}, err
	}
	var j Job
	if err := a.api.GetJSON(ctx, "/apiv2/jobs/"+url.PathEscape(p.JobID), nil, &j); err != nil {
		return vendors.Engagement{}, err
	}
	return Map(p, c, j)
}

func outOfScope(p Placement) string {
	switch {
	case strings.EqualFold(strings.TrimSpace(p.PositionType), "Direct Placement"):
		return "Direct Placement is not a contractor engagement"
	case strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(p.EmploymentCategory), "-", ""), "W2"):
		return "W-2 placement is not a contractor engagement"
	}
	return ""
}

var jobDivaLayouts = []string{vendors.LayoutJobDiva, vendors.LayoutDate}

// Map turns a placement, its candidate and its job into the normalised engagement.
func Map(p Placement, c Candidate, j Job) (vendors.Engagement, error) {
	e := vendors.Engagement{Vendor: Vendor, EngagementID: p.PlacementID, Status: p.Status}
	if reason := outOfScope(p); reason != "" {
		e.OutOfScope = reason
		return e, nil
	}
	wage, err := p.PayRate.Cents()
	if err != nil {
		return e, &vendors.APIError{What: "placement " + p.PlacementID + " payRate", Body: err.Error()}
	}
	wageType := "flatfee" // D, W, M, Y, F
	if strings.EqualFold(strings.TrimSpace(p.PayRateUnit), "H") {
		wageType = "hourly"
	}
	if e.Start, err = vendors.WindowStart(p.StartDate, jobDivaLayouts...); err != nil {
		return e, &vendors.APIError{What: "placement " + p.PlacementID + " startDate", Body: err.Error()}
	}
	if e.End, err = vendors.WindowEnd(p.EndDate, jobDivaLayouts...); err != nil {
		return e, &vendors.APIError{What: "placement " + p.PlacementID + " endDate", Body: err.Error()}
	}
	if t, err := ParseTime(p.DateUpdated); err == nil {
		e.UpdatedAt = t
	}
	email := ""
	if c.Email != nil {
		email = *c.Email
	}
	e.Contractor = vendors.Contractor{SourceID: c.CandidateID, FirstName: c.FirstName, LastName: c.LastName, Email: strings.ToLower(email),
		Phone: c.Phone, Country: c.Country, Region: c.State}
	e.Job = vendors.Job{Name: j.Title, Description: j.Description, ClientID: j.ClientID, Category: j.Category, Wage: wage,
		WageType: wageType, Region: vendors.FirstNonEmpty(p.WorkState, j.State, c.State)}
	placement := map[string]string{"jobdiva_placement_id": p.PlacementID}
	e.Metadata = vendors.Metadata{
		Contractor:  map[string]string{"jobdiva_candidate_id": c.CandidateID},
		Job:         map[string]string{"jobdiva_job_id": j.JobID, "jobdiva_candidate_id": c.CandidateID},
		Quote:       map[string]string{"jobdiva_placement_id": p.PlacementID, "jobdiva_job_id": j.JobID, "jobdiva_candidate_id": c.CandidateID},
		Session:     placement,
		Assignment:  placement,
		Certificate: map[string]string{"jobdiva_candidate_id": c.CandidateID, "jobdiva_placement_id": p.PlacementID},
	}
	e.Terminal = vendors.TerminalFromStatus(p.Status, terminalEnds, terminalCancels)
	return e, nil
}

// FetchDocument downloads an attachment's PDF bytes.
func (a *Adapter) FetchDocument(ctx context.Context, _, id string) (vendors.Document, error) {
	data, ct, err := a.api.GetFile(ctx, "/apiv2/attachments/"+url.PathEscape(id))
	if err != nil {
		return vendors.Document{}, err
	}
	return vendors.Document{FileName: id + ".pdf", ContentType: ct, Data: data}, nil
}

// FetchInvoice reads a timesheet: gross pay for its week, days as given.
func (a *Adapter) FetchInvoice(ctx context.Context, _, id string) (vendors.Invoice, error) {
	var ts struct {
		TimesheetID string         `json:"timesheetId"`
		GrossPay    vendors.Amount `json:"grossPay"`
		WeekStart   string         `json:"weekStart"`
		WeekEnd     string         `json:"weekEnd"`
	}
	if err := a.api.GetJSON(ctx, "/apiv2/timesheets/"+url.PathEscape(id), nil, &ts); err != nil {
		return vendors.Invoice{}, err
	}
	return vendors.MapInvoice(vendors.FirstNonEmpty(ts.TimesheetID, id), ts.GrossPay, ts.WeekStart, ts.WeekEnd, jobDivaLayouts...)
}

// ListChanges pages through placements updated since the watermark.
func (a *Adapter) ListChanges(ctx context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	var out []vendors.Event
	mark := since
	for offset := 0; ; {
		var resp struct {
			Data  []Placement `json:"data"`
			Total int         `json:"total"`
		}
		body := map[string]any{"updatedSince": since.UTC().Format(vendors.LayoutJobDiva), "offset": offset, "limit": 100}
		if err := a.api.PostJSON(ctx, "/apiv2/placements/search", body, &resp); err != nil {
			return nil, since, err
		}
		for _, p := range resp.Data {
			at, _ := ParseTime(p.DateUpdated)
			if at.After(mark) {
				mark = at
			}
			kind := vendors.KindFromStatus(p.Status, terminalEnds, terminalCancels)
			ev := vendors.Event{Vendor: Vendor, Kind: kind, Name: "poll:" + p.Status, EngagementID: p.PlacementID,
				ContractorID: p.CandidateID, OccurredAt: at,
				EventID: vendors.HashEventID(Vendor, "poll", p.PlacementID, p.Status, p.DateUpdated)}
			if reason := outOfScope(p); reason != "" {
				ev.Kind, ev.Reason = vendors.KindIgnore, reason
			}
			out = append(out, ev)
		}
		offset += len(resp.Data)
		if len(resp.Data) == 0 || offset >= resp.Total {
			return out, mark, nil
		}
	}
}
