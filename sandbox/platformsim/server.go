// Package platformsim simulates the four platforms' APIs (Remote, WorkMarket, Upwork,
// JobDiva) with the exact JSON of shared/reference/vendors.md, from records the test or demo
// puts in, and sends correctly signed webhooks for any event to the ingress. Each platform
// lives under its own prefix, so its API URL is <sandbox>/<platform>.
package platformsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// Platforms served.
var Platforms = config.Vendors // the service's one list

// Config configures the simulator.
type Config struct {
	Tokens       map[string]string // bearer token each platform accepts (JobDiva issues its own)
	JobDivaLogin [3]string         // client id, username, password
	RemoteClient [3]string         // a Remote partner app: client id, client secret, refresh token
	// UpworkClient is the Upwork app: client id, client secret, first refresh token.
	UpworkClient [3]string
	// WorkMarketSecret is the API secret exchanged with Tokens["workmarket"] for an access token.
	WorkMarketSecret string
	WebhookSecrets   map[string]string // per platform
	WebhookURLs      map[string]string // where each platform's webhooks go (the ingress routes)
	Now              func() time.Time
}

// Server is the simulator; it is an http.Handler.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	mu       sync.Mutex
	records  map[string]json.RawMessage // platform/kind/id
	updated  map[string]time.Time
	files    map[string][]byte // platform/id
	faults   map[string]*fault
	tokens   map[string]bool // JobDiva tokens issued and valid
	tokenSeq int
	gqlErrs  int
	log      []Request
	// remoteFeed is Remote's webhook-events feed: every delivery SendWebhook made.
	remoteFeed []RemoteDelivery
	// upworkRefresh holds the refresh tokens the Upwork grant handed out (all stay valid).
	upworkRefresh map[string]bool
	upworkGrants  int
	client        *http.Client
}

type fault struct {
	status, retryAfter, left int
	drop                     bool // close the connection without an answer
}

// Request is one API call the simulator received.
type Request struct {
	Method, Path, Query string
	Status              int
}

// New returns a simulator.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, client: &http.Client{Timeout: 30 * time.Second}}
	s.Reset()
	s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Reset forgets every record, file, fault, token and logged request.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records, s.updated, s.files = map[string]json.RawMessage{}, map[string]time.Time{}, map[string][]byte{}
	s.faults, s.tokens, s.gqlErrs, s.log, s.remoteFeed = map[string]*fault{}, map[string]bool{}, 0, nil, nil
	s.upworkRefresh, s.upworkGrants = map[string]bool{}, 0
}

// Put stores a record (any JSON-encodable value) as the platform will serve it.
func (s *Server) Put(platform, kind, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := platform + "/" + kind + "/" + id
	s.records[key] = b
	s.updated[key] = s.cfg.Now().UTC()
	return nil
}

// PutFile stores a document's bytes.
func (s *Server) PutFile(platform, id string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[platform+"/"+id] = data
}

// AddFault makes the next count API calls of a platform answer status with Retry-After
// (Remote's also with x-ratelimit-reset in ms).
func (s *Server) AddFault(platform string, status, retryAfterSeconds, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[platform] = &fault{status: status, retryAfter: retryAfterSeconds, left: count}
}

// DropConnections makes the next count API calls of a platform lose their connection: the
// simulator closes it without answering (a network fault).
func (s *Server) DropConnections(platform string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[platform] = &fault{drop: true, left: count}
}

// ExpireJobDivaTokens invalidates every issued JobDiva token (the next call gets 401).
func (s *Server) ExpireJobDivaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]bool{}
}

// FailGraphQL makes the next n Upwork GraphQL calls answer 200 with errors[].
func (s *Server) FailGraphQL(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gqlErrs = n
}

// Requests returns the API calls received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

func (s *Server) get(platform, kind, id string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[platform+"/"+kind+"/"+id]
	return r, ok
}

// list returns the records of a kind changed at or after since (whole seconds, as the
// platforms report them), oldest change first.
func (s *Server) list(platform, kind string, since time.Time) []listed {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := platform + "/" + kind + "/"
	var out []listed
	for k, v := range s.records {
		at := s.updated[k].Truncate(time.Second)
		if strings.HasPrefix(k, prefix) && !at.Before(since) {
			out = append(out, listed{id: strings.TrimPrefix(k, prefix), raw: v, at: at})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].at.Equal(out[j].at) {
			return out[i].id < out[j].id
		}
		return out[i].at.Before(out[j].at)
	})
	return out
}

type listed struct {
	id  string
	raw json.RawMessage
	at  time.Time
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if raw, ok := v.(json.RawMessage); ok {
		w.Write(raw)
		return
	}
	json.NewEncoder(w).Encode(v)
}

// api wraps a platform endpoint with the request log, faults and the auth check.
func (s *Server) api(platform string, auth bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		defer func() {
			s.mu.Lock()
			s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
			s.mu.Unlock()
		}()
		s.mu.Lock()
		f := s.faults[platform]
		var hit *fault
		if f != nil && f.left > 0 {
			f.left--
			cp := *f
			hit = &cp
		}
		s.mu.Unlock()
		if hit != nil && hit.drop {
			dropConnection(w)
			rec.status = 0
			return
		}
		if hit != nil {
			if platform == remote.Vendor { // Remote also sends its reset time (Unix ms)
				rec.Header().Set("x-ratelimit-reset", fmt.Sprint(s.cfg.Now().Add(time.Duration(hit.retryAfter)*time.Second).UnixMilli()))
			}
			rec.Header().Set("Retry-After", fmt.Sprint(hit.retryAfter))
			writeJSON(rec, hit.status, map[string]string{"message": http.StatusText(hit.status)})
			return
		}
		if auth && !s.authorized(platform, r) {
			writeJSON(rec, http.StatusUnauthorized, map[string]string{"error": "invalid or expired token"})
			return
		}
		h(rec, r)
	}
}

func (s *Server) authorized(platform string, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	issued := s.tokens[tok] // JobDiva's, Remote's partner grants
	s.mu.Unlock()
	if platform == jobdiva.Vendor {
		return issued
	}
	return issued || tok == s.cfg.Tokens[platform]
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

// SendWebhook signs body as the platform does and POSTs it to the platform's webhook URL;
// it returns the ingress's status and body.
func (s *Server) SendWebhook(ctx context.Context, platform string, body []byte) (int, []byte, error) {
	return s.SendWebhookAt(ctx, platform, body, s.cfg.Now())
}

// SendWebhookAt is SendWebhook signed at a given time: a platform's retry of one delivery
// (Remote keeps the first timestamp) is the same body signed at the same time.
func (s *Server) SendWebhookAt(ctx context.Context, platform string, body []byte, at time.Time) (int, []byte, error) {
	url := s.cfg.WebhookURLs[platform]
	if url == "" {
		return 0, nil, fmt.Errorf("no webhook URL configured for %s", platform)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range SignatureHeaders(platform, s.cfg.WebhookSecrets[platform], body, at) {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if platform == remote.Vendor {
		var ev struct {
			EventType string `json:"event_type"`
		}
		_ = json.Unmarshal(body, &ev)
		s.RecordRemoteDelivery(ev.EventType, resp.StatusCode >= 200 && resp.StatusCode < 300)
	}
	return resp.StatusCode, out, nil
}

// SignatureHeaders are the headers with which a platform signs body, computed here as
// vendors.md describes each signature, not with the adapters' own code: a verifier that drifts
// from the reference then refuses the simulator's deliveries.
func SignatureHeaders(platform, secret string, body []byte, now time.Time) map[string]string {
	switch platform {
	case remote.Vendor: // lower-case hex HMAC-SHA256(signing key, raw_body + ":" + timestamp), timestamp in Unix ms
		ts := strconv.FormatInt(now.UnixMilli(), 10)
		return map[string]string{remote.HeaderSignature: hexHMAC(sha256.New, secret, body, []byte(":"+ts)), remote.HeaderTimestamp: ts}
	case workmarket.Vendor: // the shared secret itself
		return map[string]string{workmarket.HeaderSecret: secret}
	case upwork.Vendor: // sha256=<hex HMAC-SHA256(secret, raw_body)>
		return map[string]string{upwork.HeaderSignature: "sha256=" + hexHMAC(sha256.New, secret, body)}
	case jobdiva.Vendor: // sha1=<lower-case hex HMAC-SHA1(secret, raw_body)>
		return map[string]string{jobdiva.HeaderSignature: "sha1=" + hexHMAC(sha1.New, secret, body)}
	}
	return nil
}

func hexHMAC(h func() hash.Hash, secret string, parts ...[]byte) string {
	m := hmac.New(h, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// Export hands every stored record to fn (the demo copies a locally built example into a
// running simulator through its control API).
func (s *Server) Export(fn func(platform, kind, id string, raw json.RawMessage) error) error {
	s.mu.Lock()
	keys := make([]string, 0, len(s.records))
	for k := range s.records {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		parts := strings.SplitN(k, "/", 3)
		raw, _ := s.get(parts[0], parts[1], parts[2])
		if err := fn(parts[0], parts[1], parts[2], raw); err != nil {
			return err
		}
	}
	return nil
}
