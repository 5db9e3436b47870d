package vendors

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/redact"
)

// APIError is a platform answer that retrying cannot change (4xx other than 429).
type APIError struct {
	Status int
	What   string
	Body   string
}

// Error quotes the platform's answer, redacted: an answer may echo an email or a credential.
func (e *APIError) Error() string {
	return redact.Text(fmt.Sprintf("%s: HTTP %d: %s", e.What, e.Status, e.Body))
}

// HTTPClient calls a platform's REST or GraphQL API with one set of rules: bearer auth,
// 429 and 5xx as RetryableError (with the delay the platform asks for), 404 as
// NotFoundError, other 4xx as APIError, and one re-authentication on 401 when Reauth is set.
type HTTPClient struct {
	Base  string
	HTTP  *http.Client
	Token func(ctx context.Context) (string, error) // bearer token; nil sends none
	// TokenParam, when set, sends the token as this query parameter instead of a bearer
	// header (WorkMarket's access_token).
	TokenParam string
	Reauth     func(ctx context.Context) error // called once on 401, then the call is repeated
	Headers    map[string]string
	// RetryAfter reads the platform's rate-limit header; Retry-After seconds when nil.
	RetryAfter func(h http.Header, now time.Time) time.Duration
}

// Do sends a request and returns the body of a 2xx answer.
func (c *HTTPClient) Do(ctx context.Context, method, path string, query url.Values, body any) ([]byte, http.Header, error) {
	for attempt := 0; ; attempt++ {
		data, hdr, status, err := c.once(ctx, method, path, query, body)
		if err != nil {
			return nil, nil, err
		}
		what := method + " " + path
		switch {
		case status >= 200 && status < 300:
			return data, hdr, nil
		case status == http.StatusUnauthorized && c.Reauth != nil && attempt == 0:
			if err := c.Reauth(ctx); err != nil {
				return nil, nil, err
			}
			continue
		case status == http.StatusTooManyRequests || status >= 500:
			ra := c.RetryAfter
			if ra == nil {
				ra = RetryAfterSeconds
			}
			return nil, nil, &RetryableError{Err: &APIError{Status: status, What: what, Body: short(data)}, RetryAfter: ra(hdr, time.Now())}
		case status == http.StatusNotFound:
			return nil, nil, &NotFoundError{What: what}
		default:
			return nil, nil, &APIError{Status: status, What: what, Body: short(data)}
		}
	}
}

func (c *HTTPClient) once(ctx context.Context, method, path string, query url.Values, body any) ([]byte, http.Header, int, error) {
	var bearer string
	if c.Token != nil {
		tok, err := c.Token(ctx)
		if err != nil {
			return nil, nil, 0, err
		}
		bearer = tok
		if c.TokenParam != "" {
			q := url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q.Set(c.TokenParam, tok)
			query, bearer = q, ""
		}
	}
	u := strings.TrimRight(c.Base, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range c.Headers {
		req.Header.Set(k, v)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := HTTPOr(c.HTTP).Do(req)
	if err != nil {
		return nil, nil, 0, &RetryableError{Err: redact.Request(req, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, nil, 0, &RetryableError{Err: redact.Request(req, err)}
	}
	return data, resp.Header, resp.StatusCode, nil
}

// GetJSON fetches path and decodes the answer into out.
func (c *HTTPClient) GetJSON(ctx context.Context, path string, query url.Values, out any) error {
	data, _, err := c.Do(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	return decode(path, data, out)
}

// PostJSON posts body and decodes the answer into out.
func (c *HTTPClient) PostJSON(ctx context.Context, path string, body, out any) error {
	data, _, err := c.Do(ctx, http.MethodPost, path, nil, body)
	if err != nil {
		return err
	}
	return decode(path, data, out)
}

func decode(what string, data []byte, out any) error {
	if err := json.Unmarshal(data, out); err != nil {
		return &APIError{Status: 200, What: what, Body: "undecodable answer: " + err.Error()}
	}
	return nil
}

func short(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// RetryAfterSeconds reads Retry-After (seconds or an HTTP date).
func RetryAfterSeconds(h http.Header, now time.Time) time.Duration {
	return pc.ParseRetryAfter(h.Get("Retry-After"), now)
}

// VerifyHMAC compares a lower-case hex signature with HMAC(secret, parts…) in constant time, for every
// secret of a comma-separated setting (any one verifies: rotation without downtime).
func VerifyHMAC(newHash func() hash.Hash, secrets string, gotHex string, parts ...[]byte) error {
	list := pc.SecretList(secrets)
	if len(list) == 0 {
		return &SignatureError{Reason: "no webhook secret configured"}
	}
	gotHex = strings.TrimSpace(gotHex)
	got, err := hex.DecodeString(gotHex)
	if err != nil || strings.ToLower(gotHex) != gotHex {
		// vendors.md: every platform signs in lower-case hex; another spelling is not its signature.
		return &SignatureError{Reason: "signature is not lower-case hex"}
	}
	match := 0
	for _, secret := range list {
		match |= subtle.ConstantTimeCompare(got, SignHMAC(newHash, secret, parts...))
	}
	if match != 1 {
		return &SignatureError{Reason: "signature does not match the body"}
	}
	return nil
}

// SignHMAC computes HMAC(secret, parts…) (the simulators sign with it).
func SignHMAC(newHash func() hash.Hash, secret string, parts ...[]byte) []byte {
	mac := hmac.New(newHash, []byte(secret))
	for _, p := range parts {
		mac.Write(p)
	}
	return mac.Sum(nil)
}

// CompareSecret compares a shared secret in constant time with every secret of a
// comma-separated setting (any one matches: rotation without downtime).
func CompareSecret(want, got string) error {
	list := pc.SecretList(want)
	if len(list) == 0 {
		return &SignatureError{Reason: "no webhook secret configured"}
	}
	if got == "" {
		return &SignatureError{Reason: "missing secret header"}
	}
	match := 0
	for _, secret := range list {
		match |= subtle.ConstantTimeCompare([]byte(secret), []byte(got))
	}
	if match != 1 {
		return &SignatureError{Reason: "secret does not match"}
	}
	return nil
}

// TerminalFromStatus maps a platform status to an end or a cancel (case-insensitive).
func TerminalFromStatus(status string, ends, cancels []string) EventKind {
	s := strings.ToLower(strings.TrimSpace(status))
	for _, e := range ends {
		if s == e {
			return KindEnd
		}
	}
	for _, c := range cancels {
		if s == c {
			return KindCancel
		}
	}
	return ""
}
