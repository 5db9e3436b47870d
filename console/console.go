// Package console is the operations console: server-rendered pages (html/template, plain
// forms with post-redirect-get, no JavaScript) for the people who keep contractors covered.
// It reads and acts only through Operations, the same code path as the operator API, so what
// it shows is the status query's answer decrypted by the ingress's payload codec.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

// Prefix is where the console is served on the ingress.
const Prefix = "/console/"

// Timeouts of the Temporal calls behind one page or one action (an action waits for its
// Update to take effect, an end for the assignment to be cancelled or moved first).
const (
	readTimeout   = 10 * time.Second
	actionTimeout = 30 * time.Second
)

// Config configures the console (CONSOLE_* settings).
type Config struct {
	// OpsToken signs in when Users is empty.
	OpsToken string
	// Users are name -> bcrypt hash (CONSOLE_USERS); when set they replace the ops token.
	Users map[string][]byte
	// SessionKey signs the cookies; every replica needs the same one.
	SessionKey []byte
	SessionTTL time.Duration
	// Secure marks the cookies Secure (every deployment but one on loopback).
	Secure bool
	// TemporalUIURL links an engagement to its workflow in the Temporal UI ("" no link).
	TemporalUIURL string
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// ParseUsers reads CONSOLE_USERS entries "name:bcrypt-hash".
func ParseUsers(entries []string) (map[string][]byte, error) {
	users := map[string][]byte{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		name, hash, ok := strings.Cut(e, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, errors.New("CONSOLE_USERS: an entry is not name:bcrypt-hash")
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("CONSOLE_USERS: the hash of user %q is not a bcrypt hash (make one with htpasswd -nbBC 12 name password)", name)
		}
		users[strings.TrimSpace(name)] = []byte(hash)
	}
	return users, nil
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Console serves the pages.
type Console struct {
	cfg   Config
	ops   Operations
	keys  *keyring
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// New builds the console on the shared operations.
func New(cfg Config, ops Operations) *Console {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	c := &Console{cfg: cfg, ops: ops, keys: &keyring{key: cfg.SessionKey, revoked: map[string]int64{}}, pages: parsePages()}
	m := http.NewServeMux()
	assets, _ := fs.Sub(assetFS, "assets")
	m.Handle("GET "+Prefix+"assets/", http.StripPrefix(Prefix+"assets/", http.FileServerFS(assets)))
	m.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, Prefix, http.StatusSeeOther) })
	m.HandleFunc("GET "+Prefix+"login", c.loginPage)
	m.HandleFunc("POST "+Prefix+"login", c.login)
	m.HandleFunc("POST "+Prefix+"logout", c.form(c.logout))
	m.HandleFunc("GET "+Prefix+"{$}", c.page(c.overview))
	m.HandleFunc("GET "+Prefix+"engagements/{vendor}/{id}", c.page(c.engagement))
	m.HandleFunc("POST "+Prefix+"engagements/{vendor}/{id}/actions/{action}", c.form(c.act))
	m.HandleFunc("POST "+Prefix+"engagements/{vendor}/{id}/contractor", c.form(c.supplyDetails))
	m.HandleFunc("POST "+Prefix+"engagements/{vendor}/{id}/certificate", c.form(c.handInCertificate))
	m.HandleFunc("GET "+Prefix+"queues", c.page(c.queues))
	m.HandleFunc("GET "+Prefix+"ledger", c.page(c.ledgerPage))
	m.HandleFunc("GET "+Prefix+"ledger.csv", c.page(c.ledgerCSV))
	c.mux = m
	return c
}

func (c *Console) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if !strings.HasPrefix(r.URL.Path, Prefix+"assets/") {
		h.Set("Cache-Control", "no-store")
	}
	c.mux.ServeHTTP(w, r)
}

// request is one signed-in request.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	sess session
}

// page wraps a GET handler: without a session the browser goes to the login page.
func (c *Console) page(h func(*request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.currentSession(r)
		if !ok {
			http.Redirect(w, r, Prefix+"login?next="+template.URLQueryEscaper(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err := h(&request{w: w, r: r, sess: s}); err != nil {
			c.errorPage(w, r, s, err)
		}
	}
}

// form wraps a POST handler: it needs a session and the session's CSRF token; otherwise the
// post is refused (403) and nothing happens.
func (c *Console) form(h func(*request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.currentSession(r) // from the cookie: nothing of the body is read without a session
		if !ok {
			c.refuse(w, r, http.StatusUnauthorized, "Your session has ended or was signed out. Sign in again.")
			return
		}
		// Bounded before anything reads it (the CSRF check parses the form).
		r.Body = http.MaxBytesReader(w, r.Body, MaxCertificate+1<<20)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			var tooLarge *http.MaxBytesError
			if err := r.ParseMultipartForm(2 << 20); errors.As(err, &tooLarge) {
				c.refuse(w, r, http.StatusRequestEntityTooLarge, "The upload is larger than 15 MB: 1099Policy takes certificates of at most 15 MB.")
				return
			}
		}
		if !c.keys.checkCSRF(s.ID, r.FormValue(csrfField)) {
			c.refuse(w, r, http.StatusForbidden, "This form was refused: it did not carry this session's security token (CSRF). Reload the page and try again.")
			return
		}
		if err := h(&request{w: w, r: r, sess: s}); err != nil {
			c.errorPage(w, r, s, err)
		}
	}
}

// errorInWords is an operation's failure as the page shows it.
func errorInWords(err error) (int, string) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := fmt.Sprint(he.Message)
		switch he.Code {
		case http.StatusConflict:
			return he.Code, "Not done: this does not apply now — " + msg + "."
		case http.StatusNotFound:
			return he.Code, "Not found: " + msg + "."
		case http.StatusServiceUnavailable:
			return he.Code, "Temporarily unavailable: " + msg + "."
		}
		return he.Code, msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout, "This took too long; the action may still complete. Reload the page to see."
	}
	return http.StatusInternalServerError, "Something went wrong; try again."
}

func (c *Console) refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	w.WriteHeader(code)
	c.render(w, "error", &view{Title: "Refused", Error: msg, Code: code})
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, s session, err error) {
	code, msg := errorInWords(err)
	w.WriteHeader(code)
	c.render(w, "error", &view{Title: "Error", User: s.Name, CSRF: c.keys.csrf(s.ID), Error: msg, Code: code})
}

// parallel runs n calls with at most 8 in flight and returns the first error.
func parallel(n int, call func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := call(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}
