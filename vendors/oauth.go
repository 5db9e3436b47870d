package vendors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.uber.org/zap"

	"github.com/coverage-orchestrator/coverage/redact"
)

// RefreshToken is an OAuth2 refresh-token grant (Remote partner apps, Upwork): the access
// token is cached until shortly before expires_in and fetched again then, or at once after a
// 401 (Invalidate). When the answer carries a new refresh token it is kept and used next
// (Upwork may rotate it), and written to the Store when there is one.
type RefreshToken struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	// BasicAuth sends the client credentials as HTTP Basic (Remote) instead of form fields (Upwork).
	BasicAuth bool
	HTTP      *http.Client
	// Refresh is the refresh token to start from (the configured one); the newest one
	// replaces it on rotation.
	Refresh string
	// Store, when set, keeps the newest refresh token outside the process (Upwork's token
	// file): read before every grant, written after every rotation. A refusal (invalid_grant)
	// reads it again (another replica may have rotated the token) and then falls back to the
	// configured token (the file may name one a restarted provider never issued).
	Store RefreshStore

	mu         sync.Mutex
	access     string
	expires    time.Time
	configured string
}

// RefreshStore keeps a refresh token outside the process.
type RefreshStore interface {
	Load() (string, error)
	Save(token string) error
}

// MetricRefreshStoreFailures counts failed reads and writes of a refresh-token store
// (exported by the worker as temporal_coverage_refresh_token_store_failures).
const MetricRefreshStoreFailures = "coverage_refresh_token_store_failures"

// grantRefused is a token endpoint's 400 invalid_grant (or 401): the refresh token is not
// (or no longer) valid there.
type grantRefused struct{ status int }

func (e *grantRefused) Error() string {
	return fmt.Sprintf("token refresh: HTTP %d: refused", e.status)
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
	if r.configured == "" {
		r.configured = r.Refresh
	}
	used := r.loadRefresh(ctx)
	tok, err := r.grant(ctx, used)
	var refused *grantRefused
	if errors.As(err, &refused) && r.Store != nil {
		for _, next := range []string{r.loadRefresh(ctx), r.configured} {
			if next == "" || next == used {
				continue
			}
			used = next
			if tok, err = r.grant(ctx, next); !errors.As(err, &refused) {
				break
			}
		}
	}
	if errors.As(err, &refused) {
		// The body may echo credentials: only the status is kept.
		return "", &APIError{Status: refused.status, What: "token refresh", Body: "refused; check the client id, secret and refresh token"}
	}
	if err != nil {
		return "", err
	}
	r.access = tok.AccessToken
	r.expires = time.Now().Add(time.Duration(max(tok.ExpiresIn, 60)) * time.Second)
	r.Refresh = used
	if tok.RefreshToken != "" && tok.RefreshToken != used {
		r.Refresh = tok.RefreshToken
		if r.Store != nil {
			if err := r.Store.Save(tok.RefreshToken); err != nil {
				reportStoreFailure(ctx, "write", err)
			}
		}
	}
	return r.access, nil
}

// loadRefresh is the store's refresh token (a read failure is reported and the one in
// memory used), else the one in memory.
func (r *RefreshToken) loadRefresh(ctx context.Context) string {
	if r.Store == nil {
		return r.Refresh
	}
	tok, err := r.Store.Load()
	if err != nil {
		reportStoreFailure(ctx, "read", err)
		return r.Refresh
	}
	return FirstNonEmpty(tok, r.Refresh)
}

// reportStoreFailure logs a refresh-token store failure at error level and counts it (in an
// activity, through the SDK's logger and metrics; elsewhere through zap's global logger).
func reportStoreFailure(ctx context.Context, op string, err error) {
	msg := "refresh token store: " + op + " failed; the token in memory is used, and a restart may need the configured one"
	if activity.IsActivity(ctx) {
		activity.GetLogger(ctx).Error(msg, "error", err)
		activity.GetMetricsHandler(ctx).WithTags(map[string]string{"operation": op}).Counter(MetricRefreshStoreFailures).Inc(1)
		return
	}
	zap.L().Error(msg, zap.Error(err))
}

type grantAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// grant runs the refresh-token grant with refresh.
func (r *RefreshToken) grant(ctx context.Context, refresh string) (grantAnswer, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	if !r.BasicAuth {
		form.Set("client_id", r.ClientID)
		form.Set("client_secret", r.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return grantAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if r.BasicAuth {
		req.SetBasicAuth(r.ClientID, r.ClientSecret)
	}
	resp, err := HTTPOr(r.HTTP).Do(req)
	if err != nil {
		return grantAnswer{}, &RetryableError{Err: fmt.Errorf("token refresh: %w", redact.Request(req, err))}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		// The body may echo the form (credentials and refresh token): only the status is kept.
		return grantAnswer{}, &RetryableError{Err: &APIError{Status: resp.StatusCode, What: "token refresh", Body: "unavailable; retried"}, RetryAfter: RetryAfterSeconds(resp.Header, time.Now())}
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized:
		// invalid_grant (or a refused client): the caller may try another refresh token.
		return grantAnswer{}, &grantRefused{status: resp.StatusCode}
	case resp.StatusCode != http.StatusOK:
		// The body may echo credentials: only the status is kept.
		return grantAnswer{}, &APIError{Status: resp.StatusCode, What: "token refresh", Body: "refused; check the client id, secret and refresh token"}
	}
	var tok grantAnswer
	if err := json.Unmarshal(data, &tok); err != nil || tok.AccessToken == "" {
		return grantAnswer{}, &APIError{Status: resp.StatusCode, What: "token refresh", Body: "answer has no access_token"}
	}
	redact.RegisterToken(tok.AccessToken, tok.RefreshToken)
	return tok, nil
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
