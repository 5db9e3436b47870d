// Package policyclient is a typed client for the 1099Policy API (https://api.1099policy.com/api/v1).
package policyclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/redact"
)

// Header names of the 1099Policy API.
const (
	HeaderEnvironment   = "Ten99Policy-Environment"
	HeaderIdempotentKey = "Ten99Policy-Idempotent-Key"
	HeaderSignature     = "Ten99Policy-Signature"
)

// Config configures a Client.
type Config struct {
	BaseURL     string // host without /api/v1, e.g. https://api.1099policy.com
	APIKey      string
	Environment string // sandbox or production
	HTTPClient  *http.Client
}

// Client calls 1099Policy. It is safe for concurrent use.
type Client struct {
	base string
	key  string
	env  string
	http *http.Client
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	env := cfg.Environment
	if env == "" {
		env = "sandbox"
	}
	return &Client{base: strings.TrimRight(cfg.BaseURL, "/") + "/api/v1", key: cfg.APIKey, env: env, http: hc}
}

// request is one API call.
type request struct {
	method      string
	path        string
	query       url.Values
	body        any       // JSON-encoded when not nil
	raw         io.Reader // sent as is with contentType when set
	contentType string
	key         string // idempotency key, required on POST
}

func (c *Client) do(ctx context.Context, r request, out any) error {
	if r.method == http.MethodPost && r.key == "" {
		return fmt.Errorf("1099policy POST %s: idempotency key is required", r.path)
	}
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader = r.raw
	contentType := r.contentType
	if r.body != nil {
		buf, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("1099policy %s %s: encode body: %w", r.method, r.path, err)
		}
		body, contentType = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return fmt.Errorf("1099policy %s %s: %w", r.method, r.path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set(HeaderEnvironment, c.env)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.key != "" {
		req.Header.Set(HeaderIdempotentKey, r.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Method: r.method, Path: r.path, Err: redact.Cause(err), Retryable: ctx.Err() == nil}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return &Error{Method: r.method, Path: r.path, Err: redact.Cause(err), Retryable: true}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errorFromResponse(r.method, r.path, resp.StatusCode, resp.Header, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("1099policy %s %s: decode answer: %w", r.method, r.path, err)
	}
	return nil
}

func get[T any](ctx context.Context, c *Client, path string, q url.Values) (T, error) {
	var out T
	err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, &out)
	return out, err
}

func send[T any](ctx context.Context, c *Client, method, path, key string, body any) (T, error) {
	var out T
	err := c.do(ctx, request{method: method, path: path, body: body, key: key}, &out)
	return out, err
}

func listQuery(p ListParams) url.Values {
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.StartingAfter != "" {
		q.Set("starting_after", p.StartingAfter)
	}
	if p.EndingBefore != "" {
		q.Set("ending_before", p.EndingBefore)
	}
	return q
}

func esc(id string) string { return url.PathEscape(id) }

// FindContractorsByEmail lists contractors whose email matches exactly (pass it lower-cased).
func (c *Client) FindContractorsByEmail(ctx context.Context, email string) ([]Contractor, error) {
	return get[[]Contractor](ctx, c, "/contractors", url.Values{"email": {email}})
}

// CreateContractor creates a contractor; a second one with the same email fails with duplicate_email.
func (c *Client) CreateContractor(ctx context.Context, key string, p Contractor) (Contractor, error) {
	return send[Contractor](ctx, c, http.MethodPost, "/contractors", key, p)
}

// UpdateContractor changes the fields set in p (PUT is partial).
func (c *Client) UpdateContractor(ctx context.Context, id string, p Contractor) (Contractor, error) {
	return send[Contractor](ctx, c, http.MethodPut, "/contractors/"+esc(id), "", p)
}

// ListContractorPolicies lists a contractor's policies, newest first.
func (c *Client) ListContractorPolicies(ctx context.Context, contractorID string) ([]Policy, error) {
	return get[[]Policy](ctx, c, "/contractors/"+esc(contractorID)+"/policies", nil)
}

// CreateJob creates a job.
func (c *Client) CreateJob(ctx context.Context, key string, p Job) (Job, error) {
	return send[Job](ctx, c, http.MethodPost, "/jobs", key, p)
}

// UpdateJob changes a job.
func (c *Client) UpdateJob(ctx context.Context, id string, p Job) (Job, error) {
	return send[Job](ctx, c, http.MethodPut, "/jobs/"+esc(id), "", p)
}

// ListJobs pages through the account's jobs.
func (c *Client) ListJobs(ctx context.Context, p ListParams) ([]Job, error) {
	return get[[]Job](ctx, c, "/jobs", listQuery(p))
}

// ListCategoryCodes lists the category codes approved for the account.
func (c *Client) ListCategoryCodes(ctx context.Context) ([]CategoryCode, error) {
	return get[[]CategoryCode](ctx, c, "/category_codes", nil)
}

// CreateQuote prices coverage; a returning contractor gets contractor_has_matching_policy.
func (c *Client) CreateQuote(ctx context.Context, key string, p Quote) (Quote, error) {
	return send[Quote](ctx, c, http.MethodPost, "/quotes", key, p)
}

// UpdateQuote changes a quote before it is bound.
func (c *Client) UpdateQuote(ctx context.Context, id string, p Quote) (Quote, error) {
	return send[Quote](ctx, c, http.MethodPut, "/quotes/"+esc(id), "", p)
}

// GetQuote reads one quote.
func (c *Client) GetQuote(ctx context.Context, id string) (Quote, error) {
	return get[Quote](ctx, c, "/quotes/"+esc(id), nil)
}

// ListQuotes pages through the account's quotes.
func (c *Client) ListQuotes(ctx context.Context, p ListParams) ([]Quote, error) {
	return get[[]Quote](ctx, c, "/quotes", listQuery(p))
}

// CreateSession creates an insurance application session for a quote.
func (c *Client) CreateSession(ctx context.Context, key string, p SessionParams) (Session, error) {
	return send[Session](ctx, c, http.MethodPost, "/apply/sessions", key, p)
}

// ExpireSession ends a session so its url no longer works.
func (c *Client) ExpireSession(ctx context.Context, key, id string) (Session, error) {
	return send[Session](ctx, c, http.MethodPost, "/apply/sessions/"+esc(id)+"/expire", key, struct{}{})
}

// CreateAssignment covers a job under the contractor's existing policy.
func (c *Client) CreateAssignment(ctx context.Context, key string, p Assignment) (Assignment, error) {
	return send[Assignment](ctx, c, http.MethodPost, "/assignments", key, p)
}

// UpdateAssignment changes an assignment's dates (until its invoice is paid).
func (c *Client) UpdateAssignment(ctx context.Context, id string, p Assignment) (Assignment, error) {
	return send[Assignment](ctx, c, http.MethodPut, "/assignments/"+esc(id), "", p)
}

// ListAssignments pages through the account's assignments.
func (c *Client) ListAssignments(ctx context.Context, p ListParams) ([]Assignment, error) {
	return get[[]Assignment](ctx, c, "/assignments", listQuery(p))
}

// CancelAssignment cancels a job's assignment; allowed only before its start date.
func (c *Client) CancelAssignment(ctx context.Context, key string, p AssignmentCancel) (Assignment, error) {
	return send[Assignment](ctx, c, http.MethodPost, "/assignments/cancel", key, p)
}

// ExtendAssignment moves the job's assignment end date later (POST /assignments/extend).
func (c *Client) ExtendAssignment(ctx context.Context, key string, p AssignmentExtend) (Assignment, error) {
	return send[Assignment](ctx, c, http.MethodPost, "/assignments/extend", key, p)
}

// CertificateUpload is a BYO certificate of insurance to upload.
type CertificateUpload struct {
	Contractor     string
	FileName       string
	File           io.Reader // PDF bytes
	CustomMetadata Metadata
}

// UploadCertificate sends a certificate as multipart/form-data; its review is asynchronous.
// The docs disagree on the answer: the certificate (the upload guide), or only its PDF links
// (the operation page's example). Without an id in the answer, the certificate is the newest
// one of the contractor with this file name.
func (c *Client) UploadCertificate(ctx context.Context, key string, u CertificateUpload) (Certificate, error) {
	if u.FileName == "" {
		u.FileName = defaultCertificateName
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeCertificateForm(mw, u))
	}()
	var out Certificate
	err := c.do(ctx, request{method: http.MethodPost, path: "/files/certificates", raw: pr,
		contentType: mw.FormDataContentType(), key: key}, &out)
	pr.CloseWithError(io.ErrClosedPipe) // unblock the writer if the request ended early
	if err != nil || out.ID != "" {
		return out, err
	}
	list, err := c.ListCertificates(ctx, ListParams{Limit: 100})
	if err != nil {
		return out, err
	}
	for _, cert := range list {
		if cert.Contractor.ID == u.Contractor && cert.FileName == u.FileName {
			return cert, nil
		}
	}
	return out, &Error{StatusCode: http.StatusCreated, Method: http.MethodPost, Path: "/files/certificates",
		Message: "the upload answer names no certificate and the list shows none for this contractor and file"}
}

// defaultCertificateName is the upload's file name when the caller has none.
const defaultCertificateName = "certificate.pdf"

func writeCertificateForm(mw *multipart.Writer, u CertificateUpload) error {
	if err := mw.WriteField("contractor", u.Contractor); err != nil {
		return err
	}
	keys := make([]string, 0, len(u.CustomMetadata))
	for k := range u.CustomMetadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := mw.WriteField("custom_metadata["+k+"]", u.CustomMetadata[k]); err != nil {
			return err
		}
	}
	part, err := mw.CreateFormFile("certificate", u.FileName)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, u.File); err != nil {
		return err
	}
	return mw.Close()
}

// GetCertificate reads a certificate; expand names related objects to embed (e.g. "contractor").
func (c *Client) GetCertificate(ctx context.Context, id string, expand ...string) (Certificate, error) {
	q := url.Values{}
	for _, e := range expand {
		q.Add("expand[]", e)
	}
	return get[Certificate](ctx, c, "/files/certificates/"+esc(id), q)
}

// ListCertificates pages through the account's certificates.
func (c *Client) ListCertificates(ctx context.Context, p ListParams) ([]Certificate, error) {
	return get[[]Certificate](ctx, c, "/files/certificates", listQuery(p))
}

// CreateInvoice records a contractor's actual pay for a pay cycle.
func (c *Client) CreateInvoice(ctx context.Context, key string, p Invoice) (Invoice, error) {
	return send[Invoice](ctx, c, http.MethodPost, "/invoices", key, p)
}

// GetPolicy reads one policy.
func (c *Client) GetPolicy(ctx context.Context, id string) (Policy, error) {
	return get[Policy](ctx, c, "/policies/"+esc(id), nil)
}

// EventPage is one page of the events list. An item that cannot be parsed is not dropped
// silently: its id is in Malformed. LastID is the cursor for the next page ("" when the page
// was empty, which ends the list).
type EventPage struct {
	Events    []Event
	Malformed []string
	LastID    string
}

// ListEvents reads one page of the account's events, newest first, each parsed like a webhook
// body (the same envelopes).
func (c *Client) ListEvents(ctx context.Context, p ListParams) (EventPage, error) {
	var raws []json.RawMessage
	if err := c.do(ctx, request{method: http.MethodGet, path: "/events", query: listQuery(p)}, &raws); err != nil {
		return EventPage{}, err
	}
	var page EventPage
	for _, raw := range raws {
		var head struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &head)
		page.LastID = head.ID
		ev, err := ParseEvent(raw)
		if err != nil || head.ID == "" {
			page.Malformed = append(page.Malformed, head.ID)
			continue
		}
		page.Events = append(page.Events, ev)
	}
	return page, nil
}

// GetEvent reads one webhook event as 1099Policy stored it.
func (c *Client) GetEvent(ctx context.Context, id string) (Event, error) {
	var raw json.RawMessage
	if err := c.do(ctx, request{method: http.MethodGet, path: "/events/" + esc(id)}, &raw); err != nil {
		return Event{}, err
	}
	return ParseEvent(raw)
}
