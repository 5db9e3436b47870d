package vendors

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coverage-orchestrator/coverage/redact"
)

// RefreshToken is an OAuth2 refresh-token grant (Remote partner apps, Upwork): the access
// token is cached until shortly before expires_in and fetched again then, or at once after a
// 401 (Invalidate). When the answer carries a new refresh token it is kept and used next
// (Upwork may rotate it); OnRotate lets the owner persist it.
type RefreshToken struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	// BasicAuth sends the client credentials as HTTP Basic (Remote) instead of form fields (Upwork).
	BasicAuth bool
	HTTP      *http.Client
	// Refresh is the refresh token to start from; the newest one replaces it on rotation.
	Refresh  string
	OnRotate func(newRefreshToken string)

	mu      sync.Mutex
	access  string
	expires time.Time
}

// refreshMargin renews a token this long before it expires.
const refreshMargin = time.Minute

// Token returns a valid access token, refreshing it when needed.
func (r *RefreshToken) Token(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.access != "" && time.Now().Before(r.expires.Add(-refreshMargin)) {
		return r.access, nil
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.Refresh}}
	if !r.BasicAuth {
		form.Set("client_id", r.ClientID)
		form.Set("client_secret", r.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if r.BasicAuth {
		req.SetBasicAuth(r.ClientID, r.ClientSecret)
	}
	resp, err := HTTPOr(r.HTTP).Do(req)
	if err != nil {
		return "", &RetryableError{Err: fmt.Errorf("token refresh: %w", redact.Request(req, err))}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", &RetryableError{Err: &APIError{Status: resp.StatusCode, What: "token refresh", Body: short(data)}, RetryAfter: RetryAfterSeconds(resp.Header, time.Now())}
	case resp.StatusCode != http.StatusOK:
		// The body may echo credentials: only the status is kept.
		return "", &APIError{Status: resp.StatusCode, What: "token refresh", Body: "refused; check the client id, secret and refresh token"}
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(data, &tok); err != nil || tok.AccessToken == "" {
		return "", &APIError{Status: resp.StatusCode, What: "token refresh", Body: "answer has no access_token"}
	}
	redact.Register(tok.AccessToken, tok.RefreshToken)
	r.access = tok.AccessToken
	r.expires = time.Now().Add(time.Duration(max(tok.ExpiresIn, 60)) * time.Second)
	if tok.RefreshToken != "" && tok.RefreshToken != r.Refresh {
		r.Refresh = tok.RefreshToken
		if r.OnRotate != nil {
			r.OnRotate(tok.RefreshToken)
		}
	}
	return r.access, nil
}

// Invalidate drops the cached access token (after a 401), so the next call refreshes.
func (r *RefreshToken) Invalidate(context.Context) error {
	r.mu.Lock()
	r.access = ""
	r.mu.Unlock()
	return nil
}

// countryCodes maps alpha-3 codes and English names to ISO alpha-2 (vendors.md "Common
// rules", assumed table): anything else is left out of the address.
var countryCodes = map[string]string{
	"USA": "US", "UNITED STATES": "US", "CAN": "CA", "CANADA": "CA", "MEX": "MX", "MEXICO": "MX",
	"GBR": "GB", "UNITED KINGDOM": "GB", "PRT": "PT", "PORTUGAL": "PT", "DEU": "DE", "GERMANY": "DE",
	"IND": "IN", "INDIA": "IN", "PHL": "PH", "PHILIPPINES": "PH",
}

// Country turns a platform's country (alpha-2, alpha-3 or English name) into ISO alpha-2, or
// "" when it is not known.
func Country(v string) string {
	v = strings.ToUpper(strings.TrimSpace(v))
	if len(v) == 2 {
		return v
	}
	return countryCodes[v]
}
