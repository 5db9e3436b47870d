// Package jobdiva is the JobDiva adapter, on JobDiva's live API (shared/reference/vendors.md):
// an engagement is a start (contract positions only; W-2 and direct placements are ignored),
// found through the BI reports UpdatedHires and NewUpdatedTerminations (at most 14 days a
// call) and read through searchStart, whose keys contain spaces. JobDiva sends no placement
// webhook: its candidate, billing, salary and timesheet webhooks are signed
// X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, body)>, and the answer must be exactly 200 with
// body true.
package jobdiva

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coverage-orchestrator/coverage/redact"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// Vendor is the platform's name in workflow IDs and routes.
const Vendor = "jobdiva"

// HeaderSignature carries the signature.
const HeaderSignature = "X-Hub-Signature"

// Refs a start needs beside its id: searchStart looks starts up by candidate and job.
const (
	RefCandidate = "candidate_id"
	RefJob       = "job_id"
)

// API paths and report names.
const (
	PathAuthenticate   = "/apiv2/authenticate"
	PathSearchStart    = "/apiv2/jobdiva/searchStart"
	PathBI             = "/api/bi/"
	ReportHires        = "UpdatedHires"
	ReportTerminations = "NewUpdatedTerminations"
	ReportCandidate    = "CandidateDetail"
	ReportJob          = "JobDetail"
	ReportTimesheet    = "TimesheetDetail"
	MaxReportWindow    = 14 * 24 * time.Hour
	reportOverlap      = 5 * time.Minute
	BackfillLookback   = 90 * 24 * time.Hour
	LayoutReport       = vendors.LayoutJobDiva // MM/dd/yyyy HH:mm:ss, UTC (assumed)
)

// Assumptions (vendors.md "Known unknowns" 17-20), in one place: the BI column names below,
// the UTC report dates, the searchStart key names and pay units in Start, and the in-scope
// position types. An operator notices a wrong one as a poll that finds no starts, or a
// NEEDS_ATTENTION reason naming the field (README "JobDiva").
const (
	colStartID     = "STARTID"
	colCandidateID = "CANDIDATEID"
	colJobID       = "JOBID"
	colUpdated     = "DATEUPDATED"
	colTermination = "TERMINATIONDATE"
	colTimesheetID = "TIMESHEETID"
)

var positionTypesInScope = []string{"contract", "contract to hire", "1099"}

// Config configures the adapter.
type Config struct {
	APIURL        string
	ClientID      string
	Username      string
	Password      string
	WebhookSecret string
	HTTP          *http.Client
	Now           func() time.Time
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
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
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

// authenticate fetches a token: GET /apiv2/authenticate answers it as plain text (24 h).
func (a *Adapter) authenticate(ctx context.Context) error {
	auth := &vendors.HTTPClient{Base: a.cfg.APIURL, HTTP: a.cfg.HTTP}
	q := url.Values{"clientid": {a.cfg.ClientID}, "username": {a.cfg.Username}, "password": {a.cfg.Password}}
	data, _, err := auth.Do(ctx, http.MethodGet, PathAuthenticate, q, nil)
	if err != nil {
		if ae, ok := err.(*vendors.APIError); ok {
			ae.Body = "refused; check JOBDIVA_CLIENT_ID, JOBDIVA_USERNAME and JOBDIVA_PASSWORD"
		}
		return err
	}
	tok := strings.Trim(strings.TrimSpace(string(data)), `"`)
	if tok == "" {
		return &vendors.APIError{Status: 200, What: "jobdiva authenticate", Body: "empty token"}
	}
	redact.RegisterToken(tok)
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

// ParseTime reads a report date, MM/dd/yyyy HH:mm:ss without zone (UTC).
func ParseTime(s string) (time.Time, error) {
	return time.ParseInLocation(LayoutReport, strings.TrimSpace(s), time.UTC)
}

// Webhook is JobDiva's notification: data holds BI-style rows (absent on Delete).
type Webhook struct {
	Type      string              `json:"type"`
	Operation string              `json:"operation"`
	ID        string              `json:"id"`
	Data      []map[string]string `json:"data"`
}

// Webhook types.
const (
	TypeCandidate = "candidate"
	TypeBilling   = "billing"
	TypeSalary    = "salary"
	TypeTimesheet = "timesheet"
)

// ParseWebhook turns a notification into events: a candidate change for the candidate's open
// engagements, a re-sync per start a billing or salary row names, an invoice per timesheet.
// Job, company, contact and expense notifications are acknowledged and ignored.
func (a *Adapter) ParseWebhook(_ http.Header, body []byte) ([]vendors.Event, error) {
	var w Webhook
	if err := vendors.DecodeWebhook(body, &w); err != nil {
		return nil, err
	}
	if w.Type == "" {
		return nil, vendors.Missing("type")
	}
	if w.Operation == "" {
		return nil, vendors.Missing("operation")
	}
	typ, op := strings.ToLower(w.Type), strings.ToLower(w.Operation)
	base := vendors.Event{Vendor: Vendor, Name: typ + "." + op, EventID: vendors.HashEventID(Vendor, string(body))}
	ignore := func(reason string) []vendors.Event {
		ev := base
		ev.Kind, ev.Reason = vendors.KindIgnore, reason
		return []vendors.Event{ev}
	}
	switch {
	case typ == TypeCandidate && (op == "insert" || op == "update"):
		if w.ID == "" {
			return nil, vendors.Missing("id")
		}
		ev := base
		ev.Kind, ev.ContractorID = vendors.KindContractorUpdate, w.ID
		// The body of every update of a candidate can be the same (data may be empty): keyed by
		// the body alone, a later update would be dropped as a duplicate. The second it arrived
		// (RFC 3339) is part of the key: a delivery repeated later (JobDiva retries 5 s apart)
		// is another event, which costs one more read and changes nothing in 1099Policy.
		ev.EventID = vendors.HashEventID(Vendor, string(body), a.cfg.Now().UTC().Format(time.RFC3339))
		return []vendors.Event{ev}, nil
	case (typ == TypeBilling || typ == TypeSalary) && op == "delete":
		return ignore(typ + " deletion is left to the poller"), nil
	case (typ == TypeBilling || typ == TypeSalary) && (op == "insert" || op == "update"):
		return rows(base, w.Data, func(ev vendors.Event, row map[string]string) (vendors.Event, error) {
			ev.Kind, ev.NoStart = vendors.KindUpdate, true
			if t, err := ParseTime(row[colUpdated]); err == nil {
				ev.OccurredAt = t
			}
			return ev, nil
		})
	case typ == TypeTimesheet && op == "insert":
		return rows(base, w.Data, func(ev vendors.Event, row map[string]string) (vendors.Event, error) {
			if ev.InvoiceID = row[colTimesheetID]; ev.InvoiceID == "" {
				return ev, vendors.Missing(colTimesheetID)
			}
			ev.Kind, ev.NoStart = vendors.KindInvoice, true
			return ev, nil
		})
	}
	return ignore(typ + " " + op + " needs no action"), nil
}

// rows makes one event per data row naming a start.
func rows(base vendors.Event, data []map[string]string, fill func(vendors.Event, map[string]string) (vendors.Event, error)) ([]vendors.Event, error) {
	if len(data) == 0 {
		return nil, vendors.Missing("data")
	}
	var out []vendors.Event
	for i, row := range data {
		ev := base
		ev.EventID = fmt.Sprintf("%s:%d", base.EventID, i)
		if ev.EngagementID = row[colStartID]; ev.EngagementID == "" {
			return nil, vendors.Missing(fmt.Sprintf("data[%d].%s", i, colStartID))
		}
		ev, err := fill(ev, row)
		if err != nil {
			if pe, ok := err.(*vendors.ParseError); ok {
				pe.Field = fmt.Sprintf("data[%d].%s", i, pe.Field)
			}
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// ID is a JobDiva id: a JSON number (as searchStart sends it) or a string.
type ID string

// UnmarshalJSON accepts a number or a string.
func (i *ID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*i = ID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("id %s: want a number or a string", b)
	}
	*i = ID(s)
	return nil
}

func (i ID) String() string { return string(i) }

// numberOrString is how an id goes into a request: a number when it is one.
func numberOrString(id string) any {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

// Start is one searchStart activity (keys with spaces).
type Start struct {
	ID                  ID             `json:"id"`
	JobID               ID             `json:"job id"`
	CandidateID         ID             `json:"candidate id"`
	StartDate           string         `json:"start date"`
	EndDate             *string        `json:"end date"`
	PositionType        string         `json:"position type"`
	AgreedPayRate       vendors.Amount `json:"agreed pay rate"`
	PayRateCurrencyUnit string         `json:"pay rate currency/unit"`
	IsInternal          bool           `json:"is internal"`
}

// Candidate is CandidateDetail's row.
type Candidate map[string]string

// Job is JobDetail's row.
type Job map[string]string

// RequiredRefs: a start is found by its candidate and job.
func (a *Adapter) RequiredRefs() []string { return []string{RefCandidate, RefJob} }

// WebhookAck is JobDiva's answer to every accepted delivery: it reads the body as a boolean
// and retries (five times, 5 s apart) on anything else.
func (a *Adapter) WebhookAck() []byte { return []byte("true") }

// FetchEngagement needs the start's candidate and job (FetchEngagementRefs).
func (a *Adapter) FetchEngagement(ctx context.Context, id string) (vendors.Engagement, error) {
	return a.FetchEngagementRefs(ctx, id, nil)
}

// FetchEngagementRefs reads the start through searchStart (by candidate and job), then the
// candidate and the job from the BI reports, and maps them.
func (a *Adapter) FetchEngagementRefs(ctx context.Context, id string, refs map[string]string) (vendors.Engagement, error) {
	candidate, job := refs[RefCandidate], refs[RefJob]
	if candidate == "" || job == "" {
		return vendors.Engagement{}, &vendors.APIError{What: "jobdiva start " + id,
			Body: "its candidate and job ids are not known: enroll it with POST /v1/engagements/jobdiva/" + id + ` and {"candidate_id","job_id"}`}
	}
	var starts []Start
	if err := a.api.PostJSON(ctx, PathSearchStart, map[string]any{"candidateid": numberOrString(candidate), "jobId": numberOrString(job)}, &starts); err != nil {
		return vendors.Engagement{}, err
	}
	for _, s := range starts {
		if s.ID.String() != id {
			continue
		}
		c, err := a.reportRow(ctx, ReportCandidate, url.Values{"candidateId": {candidate}})
		if err != nil {
			return vendors.Engagement{}, err
		}
		j, err := a.reportRow(ctx, ReportJob, url.Values{"jobId": {job}})
		if err != nil {
			return vendors.Engagement{}, err
		}
		return Map(s, Candidate(c), Job(j))
	}
	return vendors.Engagement{}, &vendors.NotFoundError{What: "jobdiva start " + id + " of candidate " + candidate + " and job " + job}
}

// Map turns a start, its candidate and its job into the normalised engagement.
func Map(s Start, c Candidate, j Job) (vendors.Engagement, error) {
	id := s.ID.String()
	e := vendors.Engagement{Vendor: Vendor, EngagementID: id, Status: s.PositionType}
	what := func(f string) string { return "jobdiva start " + id + " " + f }
	if !inScope(s.PositionType) || s.IsInternal {
		e.OutOfScope = "position type " + s.PositionType + " (W-2 and direct placements are not covered)"
		return e, nil
	}
	wage, err := s.AgreedPayRate.Cents()
	if err != nil {
		return e, &vendors.APIError{What: what("agreed pay rate"), Body: err.Error()}
	}
	wageType := "flatfee"
	if _, unit, _ := strings.Cut(s.PayRateCurrencyUnit, "/"); strings.EqualFold(unit, "Hour") {
		wageType = "hourly"
	}
	if e.Start, err = vendors.WindowStart(s.StartDate, time.RFC3339); err != nil {
		return e, &vendors.APIError{What: what("start date"), Body: err.Error()}
	}
	if end := strOf(s.EndDate); end != "" {
		if e.End, err = vendors.WindowStart(end, time.RFC3339); err != nil { // a date-time, used as given
			return e, &vendors.APIError{What: what("end date"), Body: err.Error()}
		}
	}
	con := vendors.Contractor{SourceID: vendors.FirstNonEmpty(c["CANDIDATEID"], s.CandidateID.String()), FirstName: c["FIRSTNAME"],
		LastName: c["LASTNAME"], Email: strings.ToLower(strings.TrimSpace(c["EMAIL"])), Phone: c["PHONE"], Line1: c["ADDRESS1"],
		City: c["CITY"], Region: c["STATE"], PostalCode: c["ZIPCODE"], Country: vendors.Country(c["COUNTRY"])}
	e.Contractor = con
	jobID := vendors.FirstNonEmpty(j["JOBID"], s.JobID.String())
	e.Job = vendors.Job{Name: j["TITLE"], Description: j["DESCRIPTION"], ClientID: j["COMPANYID"], Category: j["CATEGORY"],
		Wage: wage, WageType: wageType, Region: vendors.FirstNonEmpty(j["STATE"], con.Region), Country: con.Country}
	e.Metadata = vendors.Metadata{
		Contractor:  map[string]string{"jobdiva_candidate_id": con.SourceID},
		Job:         map[string]string{"jobdiva_job_id": jobID, "jobdiva_candidate_id": con.SourceID},
		Quote:       map[string]string{"jobdiva_placement_id": id, "jobdiva_job_id": jobID, "jobdiva_candidate_id": con.SourceID},
		Session:     map[string]string{"jobdiva_placement_id": id},
		Assignment:  map[string]string{"jobdiva_placement_id": id},
		Certificate: map[string]string{"jobdiva_candidate_id": con.SourceID, "jobdiva_placement_id": id},
	}
	return e, nil
}

func inScope(positionType string) bool {
	p := strings.ToLower(strings.TrimSpace(positionType))
	for _, s := range positionTypesInScope {
		if p == s {
			return true
		}
	}
	return false
}

func strOf(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// report reads a BI report (alternateFormat=true: object rows; the header-row format is
// accepted too). A window over 14 days answers only a message: an error here.
func (a *Adapter) report(ctx context.Context, metric string, q url.Values) ([]map[string]string, error) {
	q.Set("alternateFormat", "true")
	var resp struct {
		Message string            `json:"message"`
		Data    []json.RawMessage `json:"data"`
	}
	if err := a.api.GetJSON(ctx, PathBI+metric, q, &resp); err != nil {
		return nil, err
	}
	if resp.Data == nil && resp.Message != "" && !strings.EqualFold(resp.Message, "Success") {
		return nil, &vendors.APIError{Status: 200, What: "jobdiva " + metric, Body: resp.Message}
	}
	var out []map[string]string
	var header []string
	for _, raw := range resp.Data {
		var obj map[string]string
		if json.Unmarshal(raw, &obj) == nil {
			out = append(out, obj)
			continue
		}
		var cells []string
		if err := json.Unmarshal(raw, &cells); err != nil {
			return nil, &vendors.APIError{Status: 200, What: "jobdiva " + metric, Body: "a row is neither an object nor a list of strings"}
		}
		if header == nil {
			header = cells
			continue
		}
		row := map[string]string{}
		for i, h := range header {
			if i < len(cells) {
				row[h] = cells[i]
			}
		}
		out = append(out, row)
	}
	return out, nil
}

func (a *Adapter) reportRow(ctx context.Context, metric string, q url.Values) (map[string]string, error) {
	rows, err := a.report(ctx, metric, q)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, &vendors.NotFoundError{What: "jobdiva " + metric + " " + q.Encode()}
	}
	return rows[0], nil
}

// FetchDocument: JobDiva's attachment API is not used (its availability differs per
// tenant); certificates come through the operator intake route.
func (a *Adapter) FetchDocument(_ context.Context, _, id string) (vendors.Document, error) {
	return vendors.Document{}, &vendors.NotFoundError{What: "JobDiva documents are not fetched (document " + id + ")"}
}

// FetchInvoice reads TimesheetDetail: GROSSPAY for WEEKSTART .. WEEKEND.
func (a *Adapter) FetchInvoice(ctx context.Context, _, id string) (vendors.Invoice, error) {
	row, err := a.reportRow(ctx, ReportTimesheet, url.Values{"timesheetId": {id}})
	if err != nil {
		return vendors.Invoice{}, err
	}
	var amount vendors.Amount
	raw, _ := json.Marshal(row["GROSSPAY"])
	_ = amount.UnmarshalJSON(raw)
	return vendors.MapInvoice(vendors.FirstNonEmpty(row[colTimesheetID], id), amount, row["WEEKSTART"], row["WEEKEND"], LayoutReport)
}

// HireRow is one row of UpdatedHires or NewUpdatedTerminations.
type HireRow struct {
	StartID, CandidateID, JobID string
	Updated, Termination        time.Time
}

// Windows splits [from, to) into report windows of at most 14 days.
func Windows(from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	for start := from; start.Before(to); start = start.Add(MaxReportWindow) {
		out = append(out, [2]time.Time{start, minTime(start.Add(MaxReportWindow), to)})
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Hires reads a hires or terminations report over [from, to) in 14-day windows.
func (a *Adapter) Hires(ctx context.Context, metric string, from, to time.Time) ([]HireRow, error) {
	var out []HireRow
	for _, w := range Windows(from, to) {
		rows, err := a.report(ctx, metric, url.Values{"fromDate": {w[0].UTC().Format(LayoutReport)}, "toDate": {w[1].UTC().Format(LayoutReport)}})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			h := HireRow{StartID: r[colStartID], CandidateID: r[colCandidateID], JobID: r[colJobID]}
			if h.StartID == "" {
				continue
			}
			h.Updated, _ = ParseTime(r[colUpdated])
			h.Termination, _ = ParseTime(r[colTermination])
			out = append(out, h)
		}
	}
	return out, nil
}

// Version is a start's version as the BI reports give it (DATEUPDATED, and the termination
// date of a terminated one). The start's own record has no such date: an engagement remembers
// the version of the report row that it applied.
func (h HireRow) Version() string {
	var terminated string
	if !h.Termination.IsZero() {
		terminated = h.Termination.UTC().Format(time.RFC3339)
	}
	return vendors.RecordVersion(Vendor, h.StartID, h.Updated.UTC().Format(time.RFC3339), terminated)
}

// Refs are a start's lookup keys.
func (h HireRow) Refs() map[string]string {
	return map[string]string{RefCandidate: h.CandidateID, RefJob: h.JobID}
}

// ListChanges reads UpdatedHires and NewUpdatedTerminations from the watermark (minus five
// minutes) to now in 14-day windows, catching up in 14-day steps after downtime. Each start
// row syncs its start (starting it if new); each termination ends its start and starts none.
func (a *Adapter) ListChanges(ctx context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	to := a.cfg.Now().UTC()
	from := since.Add(-reportOverlap)
	hires, err := a.Hires(ctx, ReportHires, from, to)
	if err != nil {
		return nil, since, err
	}
	terms, err := a.Hires(ctx, ReportTerminations, from, to)
	if err != nil {
		return nil, since, err
	}
	var out []vendors.Event
	for _, h := range hires {
		version := h.Version()
		out = append(out, vendors.Event{Vendor: Vendor, Kind: vendors.KindStart, Name: "poll:" + ReportHires, EngagementID: h.StartID,
			ContractorID: h.CandidateID, OccurredAt: h.Updated, Refs: h.Refs(),
			EventID: vendors.HashEventID(Vendor, ReportHires, h.StartID, version), Version: version})
	}
	for _, h := range terms {
		at := h.Termination
		if at.IsZero() {
			at = h.Updated
		}
		version := h.Version()
		out = append(out, vendors.Event{Vendor: Vendor, Kind: vendors.KindEnd, Name: "poll:" + ReportTerminations, EngagementID: h.StartID,
			ContractorID: h.CandidateID, OccurredAt: at, Refs: h.Refs(), NoStart: true,
			EventID: vendors.HashEventID(Vendor, ReportTerminations, h.StartID, version), Version: version})
	}
	return out, to, nil
}

// ListOpen lists the starts of the last 90 days' UpdatedHires, with their candidate and job
// (backfill); terminated ones are left out.
func (a *Adapter) ListOpen(ctx context.Context) ([]vendors.Listed, error) {
	to := a.cfg.Now().UTC()
	hires, err := a.Hires(ctx, ReportHires, to.Add(-BackfillLookback), to)
	if err != nil {
		return nil, err
	}
	terms, err := a.Hires(ctx, ReportTerminations, to.Add(-BackfillLookback), to)
	if err != nil {
		return nil, err
	}
	ended := map[string]bool{}
	for _, t := range terms {
		ended[t.StartID] = true
	}
	seen := map[string]bool{}
	var out []vendors.Listed
	for _, h := range hires {
		if !ended[h.StartID] && !seen[h.StartID] {
			seen[h.StartID] = true
			out = append(out, vendors.Listed{ID: h.StartID, Refs: h.Refs()})
		}
	}
	return out, nil
}
