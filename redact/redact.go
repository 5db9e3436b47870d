// Package redact keeps secrets and personal data out of every text that leaves a client: error
// messages, log lines, NEEDS_ATTENTION reasons (state, status answers, notifications) and
// Temporal failure messages. It is the one helper for that; everything that reports an error
// from outside runs its text through it.
//
// Three things are removed: email addresses (plain and URL-encoded, since a failed request's
// URL carries them encoded), URL query strings (where WorkMarket's access_token, JobDiva's
// password and 1099Policy's email lookups travel), and every secret registered at start-up
// (API keys, tokens, passwords, webhook secrets), plain or URL-encoded.
package redact

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Placeholders written where something was removed.
const (
	Email  = "[email]"
	Secret = "[secret]"
	Query  = "?[query]"
)

// MinSecretLength: shorter values are not registered (replacing a 3-letter string everywhere
// would mangle texts and protect nothing).
const MinSecretLength = 6

var (
	// An email, plain or URL-encoded once (%40) or twice (%2540); the domain ends in a
	// letters-only label, so "pid@host" worker ids and "module@v1.2.3" paths stay readable.
	emailLike = regexp.MustCompile(`(?i)(?:[a-z0-9._+~-]|%2b|%7e|%252b)+(?:@|%40|%2540)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b`)
	// The query string of an absolute URL.
	urlQuery = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s"'<>?#]*)\?[^\s"'<>#]*`)
)

var secrets struct {
	sync.RWMutex
	configured []string // the configuration's secrets, kept for the process's life
	tokens     []string // tokens handed out at run time, the newest maxTokens
	values     []string // both, each with its encoded forms, longest first
	replacer   *strings.Replacer
}

// maxTokens bounds the run-time tokens remembered (access tokens are renewed daily: the old
// ones expire, and a longer list would slow every log line).
const maxTokens = 32

// Register adds the configuration's secrets (empty and short values are ignored). The worker
// and the ingress register every secret of their configuration when it is loaded.
func Register(values ...string) {
	secrets.Lock()
	defer secrets.Unlock()
	secrets.configured = appendNew(secrets.configured, values)
	rebuild()
}

// RegisterToken adds tokens a provider handed out at run time (access and refresh tokens);
// only the newest maxTokens are kept.
func RegisterToken(values ...string) {
	secrets.Lock()
	defer secrets.Unlock()
	secrets.tokens = appendNew(secrets.tokens, values)
	if extra := len(secrets.tokens) - maxTokens; extra > 0 {
		secrets.tokens = append([]string(nil), secrets.tokens[extra:]...)
	}
	rebuild()
}

func appendNew(list, values []string) []string {
	for _, v := range values {
		if v = strings.TrimSpace(v); len(v) >= MinSecretLength && !contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// rebuild lists every secret in its plain and encoded forms, longest first (a secret that
// contains another is replaced whole).
func rebuild() {
	secrets.values = secrets.values[:0]
	for _, v := range append(append([]string(nil), secrets.configured...), secrets.tokens...) {
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
			if !contains(secrets.values, form) {
				secrets.values = append(secrets.values, form)
			}
		}
	}
	sort.SliceStable(secrets.values, func(i, j int) bool { return len(secrets.values[i]) > len(secrets.values[j]) })
	pairs := make([]string, 0, 2*len(secrets.values))
	for _, v := range secrets.values {
		pairs = append(pairs, v, Secret)
	}
	secrets.replacer = strings.NewReplacer(pairs...) // one pass; at each position the first (longest) match wins
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// PersonalData removes emails (plain and URL-encoded) and URL query strings. It depends on
// nothing but its input, so workflow code may call it.
func PersonalData(s string) string {
	// the cheap checks first: most texts hold neither a URL with a query nor an at sign
	if strings.Contains(s, "://") && strings.Contains(s, "?") {
		s = urlQuery.ReplaceAllString(s, "${1}"+Query)
	}
	if strings.Contains(s, "@") || strings.Contains(s, "%40") || strings.Contains(s, "%2540") {
		s = emailLike.ReplaceAllString(s, Email)
	}
	return s
}

// Text removes emails, URL query strings and every registered secret.
func Text(s string) string {
	secrets.RLock()
	if secrets.replacer != nil {
		s = secrets.replacer.Replace(s)
	}
	secrets.RUnlock()
	return PersonalData(s)
}

// Error returns err with a redacted text. errors.As and errors.Is still reach the original
// (the callers branch on its type), but errors.Unwrap does not: whatever walks the chain to
// print it (Temporal's failure converter, %+v) sees only redacted texts.
func Error(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*redacted); ok {
		return err
	}
	return &redacted{text: Text(err.Error()), err: err}
}

type redacted struct {
	text string
	err  error
}

func (r *redacted) Error() string              { return r.text }
func (r *redacted) Is(target error) bool       { return errors.Is(r.err, target) }
func (r *redacted) As(target any) bool         { return errors.As(r.err, target) }
func (r *redacted) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.text) }

// RequestError is a failed HTTP exchange, described by method, host, path and (when an
// answer came) status: never the query string, the headers or the body.
type RequestError struct {
	Method, Host, Path string
	Status             int   // 0 when no answer came
	Err                error // the transport's cause, without its URL
}

func (e *RequestError) Error() string {
	s := e.Method + " " + e.Host + e.Path
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Err != nil {
		s += ": " + Text(e.Err.Error())
	}
	return s
}

// Unwrap reaches the transport's cause (a timeout, a reset connection), never the *url.Error.
func (e *RequestError) Unwrap() error { return e.Err }

// Request describes a failed http.Client.Do of req: the *url.Error (whose text is the whole
// URL, query included) is replaced by its cause.
func Request(req *http.Request, err error) error {
	if err == nil {
		return nil
	}
	e := &RequestError{Method: req.Method, Err: Cause(err)}
	if req.URL != nil {
		e.Host, e.Path = req.URL.Host, req.URL.Path
	}
	return e
}

// Cause is err without the *url.Error around it (whose text holds the request URL).
func Cause(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// Writer redacts every write before passing it on; a logger writes one entry per write.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (w writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Sync flushes the underlying writer when it can (zap calls it on errors and at exit).
func (w writer) Sync() error {
	if s, ok := w.w.(interface{ Sync() error }); ok {
		return s.Sync()
	}
	return nil
}
