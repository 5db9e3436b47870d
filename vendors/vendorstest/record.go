package vendorstest

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Exchange is one request a recorder passed on, with the answer.
type Exchange struct {
	Method, Path string   // Path without the platform's prefix
	Params       []string // query and form parameter names, sorted
	Body         []byte
	Status       int
	Header       http.Header
	Answer       []byte
}

// Recorder serves a simulator and keeps every exchange, for contract tests that check what an
// adapter really sent and what it got back.
type Recorder struct {
	URL string // the server's base URL
	mu  sync.Mutex
	log []Exchange
}

// Record starts a server in front of h; prefix is trimmed from recorded paths.
func Record(t testing.TB, h http.Handler, prefix string) *Recorder {
	t.Helper()
	rec := &Recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		names := map[string]bool{}
		for k := range r.URL.Query() {
			names[k] = true
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			form, _ := url.ParseQuery(string(body))
			for k := range form {
				names[k] = true
			}
		}
		out := httptest.NewRecorder()
		h.ServeHTTP(out, r)
		maps.Copy(w.Header(), out.Header())
		w.WriteHeader(out.Code)
		w.Write(out.Body.Bytes())
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.log = append(rec.log, Exchange{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, prefix), Params: slices.Sorted(maps.Keys(names)),
			Body: body, Status: out.Code, Header: out.Header(), Answer: bytes.Clone(out.Body.Bytes())})
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// Exchanges returns what was recorded so far.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}
