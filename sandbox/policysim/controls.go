package policysim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// Fault makes API requests under PathPrefix fail with Status (500, 429…) for the next Count
// requests or until Duration has passed, whichever is set (both: whichever ends first).
type Fault struct {
	PathPrefix string        `json:"path_prefix"` // e.g. /api/v1/quotes; empty: every API path
	Status     int           `json:"status"`
	RetryAfter int           `json:"retry_after_seconds,omitempty"`
	Count      int           `json:"count,omitempty"`
	Duration   time.Duration `json:"duration,omitempty"` // nanoseconds in JSON; see DurationText
	// DurationText is Duration as Go text ("30s"), easier with curl.
	DurationText string `json:"duration_text,omitempty"`
	// Stored makes the API itself answer the fault and store it under the request's
	// idempotency key, replayed for that key like any answer (as 1099Policy does with a 5xx).
	// With Executed the request's work was done first (the object exists; only the answer
	// failed); without it nothing was created. A 4xx other than 401, 408 and 429 is the API's
	// own refusal and always answered this way: a retry under the same key gets it back.
	Stored   bool `json:"stored,omitempty"`
	Executed bool `json:"executed,omitempty"`
	// Drop closes the connection without an answer (a network fault; Status is not used).
	Drop bool `json:"drop,omitempty"`
	// Message replaces the answer's message (an API that quotes the request in its refusal).
	Message string `json:"message,omitempty"`
}

type fault struct {
	Fault
	until time.Time
	left  int
}

// AddFault installs a fault.
func (s *Server) AddFault(f Fault) {
	if f.DurationText != "" {
		if d, err := time.ParseDuration(f.DurationText); err == nil {
			f.Duration = d
		}
	}
	ft := &fault{Fault: f, left: f.Count}
	if f.Duration > 0 {
		ft.until = s.cfg.Now().Add(f.Duration)
	}
	s.mu.Lock()
	s.flt = append(s.flt, ft)
	s.mu.Unlock()
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.flt = nil
	s.mu.Unlock()
}

func (s *Server) takeFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	kept := s.flt[:0]
	var hit *Fault
	for _, f := range s.flt {
		expired := (f.Duration > 0 && !now.Before(f.until)) || (f.Count > 0 && f.left <= 0)
		if expired {
			continue
		}
		kept = append(kept, f)
		if hit == nil && strings.HasPrefix(path, f.PathPrefix) {
			if f.Count > 0 {
				f.left--
			}
			cp := f.Fault
			hit = &cp
		}
	}
	s.flt = kept
	return hit
}

// LoggedRequest is one API request as the sandbox received it.
type LoggedRequest struct {
	At      time.Time         `json:"at"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query,omitempty"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Status  int               `json:"status"`
}

const maxLoggedBody = 64 << 10

func (s *Server) logRequest(r *http.Request, body []byte, status int) {
	h := map[string]string{}
	for k, v := range r.Header {
		if k == "Authorization" {
			h[k] = "Bearer [redacted]"
			continue
		}
		h[k] = strings.Join(v, ", ")
	}
	if len(body) > maxLoggedBody {
		body = body[:maxLoggedBody]
	}
	s.mu.Lock()
	s.log = append(s.log, LoggedRequest{At: s.cfg.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: h, Body: string(body), Status: status})
	s.mu.Unlock()
}

// Header returns a logged header by name, in any capitalisation.
func (l LoggedRequest) Header(name string) string { return l.Headers[http.CanonicalHeaderKey(name)] }

// Requests returns a copy of the request log.
func (s *Server) Requests() []LoggedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LoggedRequest(nil), s.log...)
}

// Reset forgets every object, event, idempotency record, fault and logged request.
func (s *Server) Reset() {
	s.mu.Lock()
	gen := s.st.gen + 1
	s.st = newState()
	s.st.gen = gen
	s.log, s.flt, s.idem = nil, nil, map[string]storedResponse{}
	s.mu.Unlock()
}

// after runs f once after d unless the state was reset meanwhile.
func (s *Server) after(d time.Duration, f func()) {
	gen := s.st.gen
	time.AfterFunc(d, func() {
		s.mu.Lock()
		same := s.st.gen == gen
		s.mu.Unlock()
		if same {
			f()
		}
	})
}

// emit records an event (readable at GET /api/v1/events/{id}) and queues its delivery.
// Callers hold s.mu.
func (s *Server) emit(typ string, object any) {
	id := s.newID("ev")
	env := map[string]any{"id": id, "type": typ, "created": s.cfg.Now().Unix(), "data": object}
	body, _ := json.Marshal(env)
	raw := json.RawMessage(body)
	s.st.events.put(id, &raw)
	if !slices.Contains(s.cfg.WithheldWebhooks, typ) {
		s.hook.enqueue(body)
	}
}

// Events returns every event emitted, oldest first.
func (s *Server) Events() []pc.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]pc.Event, 0, len(s.st.events.order))
	for _, id := range s.st.events.order {
		if ev, err := pc.ParseEvent(*s.st.events.byID[id]); err == nil {
			out = append(out, ev)
		}
	}
	return out
}

// CompleteSession completes an application session as the contractor would.
func (s *Server) CompleteSession(id string) error {
	if _, err := s.completeSession(id); err != nil {
		return err
	}
	return nil
}

// SeedPolicy gives a contractor an active policy, making them a returning contractor.
func (s *Server) SeedPolicy(p pc.Policy) (pc.Policy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.contractors.get(p.Contractor); !ok {
		return pc.Policy{}, notFound("contractor", p.Contractor)
	}
	p.ID = s.newID("pl")
	if p.Status == "" {
		p.Status = pc.PolicyActive
	}
	if len(p.CoverageType) == 0 {
		p.CoverageType = validCoverage
	}
	now := s.cfg.Now()
	if p.EffectiveDate == 0 {
		p.EffectiveDate = pc.Time(now.Unix())
	}
	if p.ExpirationDate == 0 {
		p.ExpirationDate = pc.Time(now.AddDate(1, 0, 0).Unix())
	}
	s.st.policies.put(p.ID, &p)
	return p, nil
}

// CancelPolicy cancels a policy and emits policy.cancelled.
func (s *Server) CancelPolicy(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.st.policies.get(id)
	if !ok {
		return notFound("policy", id)
	}
	p.Status = pc.PolicyCancelled
	s.emit("policy.cancelled", p)
	return nil
}

// ExpirePolicy moves a policy's expiration date to now; as in 1099Policy no event is sent.
func (s *Server) ExpirePolicy(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.st.policies.get(id)
	if !ok {
		return notFound("policy", id)
	}
	p.ExpirationDate = pc.Time(s.cfg.Now().Unix())
	s.refreshPolicyStatuses()
	return nil
}

// ReviewCertificate finishes a certificate's review with outcome (approved, flagged, denied, error).
func (s *Server) ReviewCertificate(id, outcome string) error {
	if err := s.reviewCertificate(id, outcome); err != nil {
		return err
	}
	return nil
}

func (s *Server) completeSessionHandler(w http.ResponseWriter, r *http.Request) {
	sess, err := s.completeSession(r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
}

// applyPage is what a contractor sees at a session url: one button that completes it.
func (s *Server) applyPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sess, ok := s.st.sessions.get(r.PathValue("id"))
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	id := html.EscapeString(sess.ID)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>1099Policy sandbox application</title>
<h1>Insurance application %s</h1><p>Step: %s</p>
<form method="post" action="/sandbox/sessions/%s/complete"><button>Complete application</button></form>`,
		id, html.EscapeString(sess.Step), id)
}

func (s *Server) seedPolicyHandler(w http.ResponseWriter, r *http.Request) {
	var p pc.Policy
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		writeErr(w, badRequest("invalid_request", err.Error()))
		return
	}
	out, err := s.SeedPolicy(p)
	if err != nil {
		writeErr(w, err.(*apiError))
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) cancelPolicyHandler(w http.ResponseWriter, r *http.Request) {
	if err := s.CancelPolicy(r.PathValue("id")); err != nil {
		writeErr(w, err.(*apiError))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) reviewCertificateHandler(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.Status == "" {
		writeErr(w, badRequest("invalid_request", `body must be {"status": "approved|flagged|denied|error"}`))
		return
	}
	if err := s.reviewCertificate(r.PathValue("id"), p.Status); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) addFaultHandler(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil || (f.Status < 400 && !f.Drop) {
		writeErr(w, badRequest("invalid_request", "body must be a fault with a status >= 400 or drop: true"))
		return
	}
	s.AddFault(f)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) clearFaultsHandler(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) requestLogHandler(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Requests())
}

func (s *Server) eventsHandler(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make([]json.RawMessage, 0, len(s.st.events.order))
	for _, id := range s.st.events.order {
		out = append(out, *s.st.events.byID[id])
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) resetHandler(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// webhookSender delivers events at least once, in order per event, retrying with backoff.
type webhookSender struct {
	url, secret string
	twice       bool
	now         func() time.Time
	queue       chan []byte
	done        chan struct{}
	once        sync.Once
	client      *http.Client
}

func newWebhookSender(url, secret string, twice bool, now func() time.Time) *webhookSender {
	w := &webhookSender{url: url, secret: secret, twice: twice, now: now, queue: make(chan []byte, 100000),
		done: make(chan struct{}), client: &http.Client{Timeout: 10 * time.Second}}
	if url != "" {
		for range 4 {
			go w.run()
		}
	}
	return w
}

func (w *webhookSender) enqueue(body []byte) {
	if w.url == "" {
		return
	}
	copies := 1
	if w.twice {
		copies = 2
	}
	for range copies {
		select {
		case w.queue <- body:
		default: // queue full: drop rather than block the API; never happens at sandbox volumes
		}
	}
}

func (w *webhookSender) close() { w.once.Do(func() { close(w.done) }) }

func (w *webhookSender) run() {
	for {
		select {
		case <-w.done:
			return
		case body := <-w.queue:
			w.deliver(body)
		}
	}
}

func (w *webhookSender) deliver(body []byte) {
	backoff := 200 * time.Millisecond
	for attempt := 0; attempt < 20; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(pc.HeaderSignature, SignEvent(w.secret, w.now(), body))
		resp, err := w.client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 300 {
				return
			}
		}
		select {
		case <-w.done:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// ObjectCounts counts the objects of each kind per engagement key (custom_metadata
// engagement_key), and contractors per email: what tests check for duplicates.
type ObjectCounts struct {
	Jobs, Quotes, Sessions, Assignments, Certificates, Invoices map[string]int
	ContractorsByEmail                                          map[string]int
}

// Counts returns the object counts.
func (s *Server) Counts() ObjectCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := ObjectCounts{Jobs: map[string]int{}, Quotes: map[string]int{}, Sessions: map[string]int{}, Assignments: map[string]int{},
		Certificates: map[string]int{}, Invoices: map[string]int{}, ContractorsByEmail: map[string]int{}}
	key := func(m pc.Metadata) string { return m["engagement_key"] }
	for _, o := range s.st.jobs.byID {
		c.Jobs[key(o.CustomMetadata)]++
	}
	for _, o := range s.st.quotes.byID {
		c.Quotes[key(o.CustomMetadata)]++
	}
	for _, o := range s.st.sessions.byID {
		c.Sessions[key(o.CustomMetadata)]++
	}
	for _, o := range s.st.assignments.byID {
		c.Assignments[key(o.CustomMetadata)]++
	}
	for _, o := range s.st.certificates.byID {
		c.Certificates[key(o.CustomMetadata)]++
	}
	for _, o := range s.st.invoices.byID {
		c.Invoices[key(o.CustomMetadata)]++
	}
	for _, o := range s.st.contractors.byID {
		c.ContractorsByEmail[o.Email]++
	}
	return c
}

// AssignmentIDs maps each engagement key to its newest assignment's id.
func (s *Server) AssignmentIDs() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, id := range s.st.assignments.order {
		a := s.st.assignments.byID[id]
		out[a.CustomMetadata["engagement_key"]] = a.ID
	}
	return out
}

// CreateContractor adds a contractor directly (tests use it to make a returning contractor).
func (s *Server) CreateContractor(c pc.Contractor) pc.Contractor {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = s.newID("cn")
	s.st.contractors.put(c.ID, &c)
	return c
}

// SignEvent is the Ten99Policy-Signature header of an event body, computed here as
// 1099policy-api.md describes it (t=<unix s>,v1=<lower-case hex HMAC-SHA256(secret, "<t>.<raw
// body>")>), not with the product's verifier code: a verifier that drifts from the reference
// then refuses the sandbox's deliveries.
func SignEvent(secret string, at time.Time, body []byte) string {
	t := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t + "."))
	m.Write(body)
	return "t=" + t + ",v1=" + hex.EncodeToString(m.Sum(nil))
}
