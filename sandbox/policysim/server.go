// Package policysim is a local 1099Policy: the API endpoints the orchestrator uses, with
// in-memory state, the real validation rules and error codes, idempotency replay, signed
// webhooks, the contractor's side (completing applications, certificate review), and test
// controls (fault injection, request log, reset). See README.md "Sandboxes" for its rules.
package policysim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// Config configures the sandbox.
type Config struct {
	APIKey        string // required Bearer key
	WebhookURL    string // where events are POSTed; none sent when empty
	WebhookSecret string // signs the events
	PublicURL     string // base of session urls; defaults to the listener's host
	// AutoCompleteAfter completes every new application session after this delay (0: only by
	// POST /sandbox/sessions/{id}/complete). Contractors whose email ends with ManualEmailSuffix
	// are never completed automatically.
	AutoCompleteAfter time.Duration
	// CertificateReviewAfter is how long certificate review takes (default 2 s).
	CertificateReviewAfter time.Duration
	// AssignmentActiveAfter is the delay before assignment.active (default 500 ms).
	AssignmentActiveAfter time.Duration
	// AcceptMissingContactDetails relaxes contractor create for a test: by default a contractor
	// without phone or a full address (line1, locality, region, postalcode) is refused, as the
	// API reference marks them required.
	AcceptMissingContactDetails bool
	// CertificateURLAnswers answers a certificate upload as the operation page's example does,
	// {gl_coi_pdf_url, wc_coi_pdf_url}, instead of the certificate object the upload guide shows
	// (the document's x-disagree): the client then finds its certificate by listing.
	CertificateURLAnswers bool
	// DuplicateWebhooks delivers every event twice, to exercise dedupe.
	DuplicateWebhooks bool
	// WithheldWebhooks are event types recorded (and listed at GET /api/v1/events) but never
	// sent as webhooks: a lost webhook, for the events poller to find.
	WithheldWebhooks []string
	// Latency delays every API answer (after the work is done, as a slow network would), so
	// tests can stop a worker while its calls are in flight.
	Latency       time.Duration
	CategoryCodes []pc.CategoryCode // approved codes; a default set when empty
	Now           func() time.Time
}

// ManualEmailSuffix marks contractors whose sessions are never auto-completed.
const ManualEmailSuffix = "@manual.example"

// Server is the sandbox. Create with New; it is an http.Handler.
type Server struct {
	cfg  Config
	mux  *http.ServeMux
	mu   sync.Mutex
	st   *state
	log  []LoggedRequest
	flt  []*fault
	idem map[string]storedResponse
	hook *webhookSender
	seq  int
}

type storedResponse struct {
	status int
	body   []byte
	at     time.Time
}

// New returns a sandbox server.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CertificateReviewAfter == 0 {
		cfg.CertificateReviewAfter = 2 * time.Second
	}
	if cfg.AssignmentActiveAfter == 0 {
		cfg.AssignmentActiveAfter = 500 * time.Millisecond
	}
	if len(cfg.CategoryCodes) == 0 {
		cfg.CategoryCodes = DefaultCategoryCodes
	}
	s := &Server{cfg: cfg, st: newState(), idem: map[string]storedResponse{}}
	s.hook = newWebhookSender(cfg.WebhookURL, cfg.WebhookSecret, cfg.DuplicateWebhooks, cfg.Now)
	s.routes()
	return s
}

// DefaultCategoryCodes are approved unless Config.CategoryCodes says otherwise.
var DefaultCategoryCodes = []pc.CategoryCode{
	{CategoryCode: "jc_MARKETING", Name: "Marketing and design"},
	{CategoryCode: "jc_LOW_VOLTAGE", Name: "Low voltage cabling"},
	{CategoryCode: "jc_SOFTWARE", Name: "Software engineering"},
	{CategoryCode: "jc_DATA", Name: "Data analytics"},
	{CategoryCode: "jc_default", Name: "General consulting"},
}

// Close stops webhook delivery and pending timers.
func (s *Server) Close() { s.hook.close() }

func (s *Server) routes() {
	m := http.NewServeMux()
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request, body []byte)) {
		m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serveAPI(w, r, h) })
	}
	api("GET /api/v1/contractors", s.listContractors)
	api("POST /api/v1/contractors", s.createContractor)
	api("GET /api/v1/contractors/{id}", getHandler(s, "contractor", contractors))
	api("PUT /api/v1/contractors/{id}", updateHandler(s, "contractor", contractors, s.mergeContractor))
	api("GET /api/v1/contractors/{id}/policies", s.contractorPolicies)
	api("GET /api/v1/jobs", listHandler(s, jobs))
	api("POST /api/v1/jobs", s.createJob)
	api("GET /api/v1/jobs/{id}", getHandler(s, "job", jobs))
	api("PUT /api/v1/jobs/{id}", updateHandler(s, "job", jobs, s.mergeJob))
	api("GET /api/v1/category_codes", s.listCategoryCodes)
	api("GET /api/v1/quotes", listHandler(s, quotes))
	api("POST /api/v1/quotes", s.createQuote)
	api("GET /api/v1/quotes/{id}", getHandler(s, "quote", quotes))
	api("PUT /api/v1/quotes/{id}", updateHandler(s, "quote", quotes, s.mergeQuote))
	api("POST /api/v1/apply/sessions", s.createSession)
	api("GET /api/v1/apply/sessions/{id}", getHandler(s, "apply session", sessions))
	api("POST /api/v1/apply/sessions/{id}/expire", s.expireSession)
	api("GET /api/v1/assignments", listHandler(s, assignments))
	api("POST /api/v1/assignments", s.createAssignment)
	api("POST /api/v1/assignments/cancel", s.cancelAssignment)
	api("POST /api/v1/assignments/extend", s.extendAssignment)
	api("GET /api/v1/assignments/{id}", getHandler(s, "assignment", assignments))
	api("PUT /api/v1/assignments/{id}", updateHandler(s, "assignment", assignments, s.mergeAssignment))
	api("GET /api/v1/files/certificates", s.listCertificates)
	api("POST /api/v1/files/certificates", s.uploadCertificate)
	api("GET /api/v1/files/certificates/{id}", s.getCertificate)
	api("GET /api/v1/invoices", listHandler(s, invoices))
	api("POST /api/v1/invoices", s.createInvoice)
	api("GET /api/v1/policies/{id}", s.getPolicy)
	api("GET /api/v1/events", listHandler(s, events))
	api("GET /api/v1/events/{id}", s.getEvent)

	// The contractor's side and test controls: no API key, never faulted or logged.
	m.HandleFunc("GET /apply/{id}", s.applyPage)
	m.HandleFunc("POST /sandbox/sessions/{id}/complete", s.completeSessionHandler)
	m.HandleFunc("POST /sandbox/policies", s.seedPolicyHandler)
	m.HandleFunc("POST /sandbox/policies/{id}/cancel", s.cancelPolicyHandler)
	m.HandleFunc("POST /sandbox/certificates/{id}/review", s.reviewCertificateHandler)
	m.HandleFunc("POST /sandbox/faults", s.addFaultHandler)
	m.HandleFunc("DELETE /sandbox/faults", s.clearFaultsHandler)
	m.HandleFunc("GET /sandbox/requests", s.requestLogHandler)
	m.HandleFunc("GET /sandbox/events", s.eventsHandler)
	m.HandleFunc("POST /sandbox/reset", s.resetHandler)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	s.mux = m
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// apiError is a 1099Policy error answer.
type apiError struct {
	status  int
	code    string
	message any // string or map[string]string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s %v", e.status, e.code, e.message) }

func badRequest(code string, message any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: message}
}

func notFound(kind, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "resource_missing", message: fmt.Sprintf("No such %s: %s", kind, id)}
}

// serveAPI runs the cross-cutting parts in the real API's order: log, faults (a failing
// gateway in front of the API, so never stored), auth, idempotency replay, the handler. A
// 4xx fault other than 401, 408 and 429 is the API's own refusal, not a gateway's: like a
// Stored fault it is kept under the request's idempotency key and replayed for that key, as
// the live API may do with any refusal but a validation one (1099policy-api.md).
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request, []byte)) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 20<<20))
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() { s.logRequest(r, body, rec.status) }()
	if s.cfg.Latency > 0 {
		rec.delay = s.cfg.Latency
	}

	f := s.takeFault(r.URL.Path)
	if f != nil && f.Drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		rec.status = 0
		return
	}
	key := r.Header.Get(pc.HeaderIdempotentKey)
	keyed := r.Method == http.MethodPost && key != ""
	if f != nil && !(keyed && (f.Stored || apiRefusal(f.Status))) {
		if f.RetryAfter > 0 {
			rec.Header().Set("Retry-After", fmt.Sprint(f.RetryAfter))
		}
		writeJSON(rec, f.Status, faultAnswer(f, "injected fault"))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.cfg.APIKey || s.cfg.APIKey == "" {
		writeJSON(rec, http.StatusUnauthorized, map[string]string{"message": "Invalid API key provided.", "error_code": "unauthorized"})
		return
	}
	if keyed {
		s.mu.Lock()
		stored, ok := s.idem[key]
		s.mu.Unlock()
		if ok && s.cfg.Now().Sub(stored.at) < 24*time.Hour {
			rec.Header().Set("Content-Type", "application/json")
			rec.WriteHeader(stored.status)
			rec.Write(stored.body)
			return
		}
		buf := &bufferingWriter{header: http.Header{}, status: http.StatusOK}
		if f == nil || f.Executed {
			h(buf, r, body)
		}
		if f != nil { // a stored fault or refusal: this answer is what the key replays from now on
			buf.header, buf.body = http.Header{}, bytes.Buffer{}
			buf.status = f.Status
			_ = json.NewEncoder(&buf.body).Encode(faultAnswer(f, "injected fault (stored)"))
		}
		s.mu.Lock()
		if prev, ok := s.idem[key]; ok && s.cfg.Now().Sub(prev.at) < 24*time.Hour {
			buf.status, buf.body = prev.status, *bytes.NewBuffer(prev.body) // a concurrent twin won
		} else if !refusedByValidation(buf.status, buf.body.Bytes()) {
			s.idem[key] = storedResponse{status: buf.status, body: buf.body.Bytes(), at: s.cfg.Now()}
		}
		s.mu.Unlock()
		for k, v := range buf.header {
			rec.Header()[k] = v
		}
		rec.WriteHeader(buf.status)
		rec.Write(buf.body.Bytes())
		return
	}
	h(rec, r, body)
}

// apiRefusal is a 4xx the API itself answers (stored under the key), not one a gateway or
// the authentication in front of it answers (never stored).
func apiRefusal(status int) bool {
	return status >= 400 && status < 500 &&
		status != http.StatusUnauthorized && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// faultAnswer is an injected fault's body: its Message, else message.
func faultAnswer(f *Fault, message string) map[string]string {
	if f.Message != "" {
		message = f.Message
	}
	return map[string]string{"message": message, "error_code": "sandbox_fault"}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, err *apiError) {
	writeJSON(w, err.status, map[string]any{"message": err.message, "error_code": err.code})
}

type recorder struct {
	http.ResponseWriter
	status int
	delay  time.Duration
}

func (r *recorder) WriteHeader(code int) {
	if r.delay > 0 {
		time.Sleep(r.delay) // the object exists already; only the answer is late
	}
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

type bufferingWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferingWriter) Header() http.Header         { return b.header }
func (b *bufferingWriter) WriteHeader(code int)        { b.status = code }
func (b *bufferingWriter) Write(p []byte) (int, error) { return b.body.Write(p) }

func decodeBody(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("invalid_request", "request body is empty")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("invalid_request", "request body is not valid JSON: "+err.Error())
	}
	return nil
}

func (s *Server) newID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s_%06d", prefix, s.seq)
}

func requireFields(fields map[string]string) *apiError {
	missing := map[string]string{}
	for k, v := range fields {
		if strings.TrimSpace(v) == "" {
			missing[k] = "This field is required."
		}
	}
	if len(missing) > 0 {
		return badRequest("parameter_missing", missing)
	}
	return nil
}

// refusedByValidation is a 400 invalid_request: the request never started executing, so it is
// not stored and the same key may be sent again once the input is fixed (as 1099Policy does).
func refusedByValidation(status int, body []byte) bool {
	var e struct {
		Code string `json:"error_code"`
	}
	return status == http.StatusBadRequest && json.Unmarshal(body, &e) == nil && e.Code == pc.CodeInvalidRequest
}
