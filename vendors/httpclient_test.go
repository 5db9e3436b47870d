package vendors_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/redact"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// A connection the platform drops on a call whose query carries a token and an email: the
// error names method, host and path, never the query.
func TestDroppedConnectionErrorHasNoQuery(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	c := &vendors.HTTPClient{Base: srv.URL, HTTP: vendors.NewPlatformHTTP(), TokenParam: "access_token",
		Token: func(context.Context) (string, error) { return "wm-access-9c1f", nil }}
	_, _, err := c.Do(context.Background(), http.MethodGet, "/api/v1/assignments/get", url.Values{"email": {"ada@example.com"}}, nil)
	require.Error(t, err)
	var re *vendors.RetryableError
	require.True(t, errors.As(err, &re), "a dropped connection is retried")
	u, _ := url.Parse(srv.URL)
	assert.Contains(t, err.Error(), "GET "+u.Host+"/api/v1/assignments/get")
	for _, leak := range []string{"wm-access-9c1f", "ada", "access_token", "?"} {
		assert.NotContains(t, err.Error(), leak)
	}
	var req *redact.RequestError
	assert.True(t, errors.As(err, &req))
}

func TestRedirectsStayOnTheConfiguredHost(t *testing.T) {
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere++ }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusMovedPermanently)
		default:
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	c := &vendors.HTTPClient{Base: srv.URL, HTTP: vendors.NewPlatformHTTP(), Token: func(context.Context) (string, error) { return "tok-123456", nil }}
	var out map[string]bool
	require.NoError(t, c.GetJSON(context.Background(), "/moved", nil, &out), "same-host redirects are followed")
	assert.True(t, out["ok"])
	err := c.GetJSON(context.Background(), "/away", nil, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused")
	assert.Zero(t, elsewhere, "the other host was never called")
}

func TestPlatformHTTPHasTimeouts(t *testing.T) {
	hc := vendors.NewPlatformHTTP()
	assert.Equal(t, vendors.OverallTimeout, hc.Timeout)
	tr := hc.Transport.(*http.Transport)
	assert.Equal(t, vendors.HeaderTimeout, tr.ResponseHeaderTimeout)
	assert.Equal(t, vendors.ConnectTimeout, tr.TLSHandshakeTimeout)
	assert.Same(t, vendors.PlatformHTTP, vendors.HTTPOr(nil))
}

// A comma-separated secret setting verifies with any of its secrets (rotation).
func TestSecretListsVerifyWithAny(t *testing.T) {
	body := []byte(`{"event":"contract.started"}`)
	for _, secret := range []string{"new-secret", "old-secret"} {
		sig := hex.EncodeToString(vendors.SignHMAC(sha256.New, secret, body))
		assert.NoError(t, vendors.VerifyHMAC(sha256.New, "new-secret, old-secret", sig, body), secret)
		assert.NoError(t, vendors.CompareSecret("new-secret,old-secret", secret))
	}
	sig := hex.EncodeToString(vendors.SignHMAC(sha256.New, "retired", body))
	assert.Error(t, vendors.VerifyHMAC(sha256.New, "new-secret,old-secret", sig, body))
	assert.Error(t, vendors.CompareSecret("new-secret,old-secret", "new-secret,old-secret"))
	assert.Error(t, vendors.CompareSecret(" , ", ""), "no secret configured")
}
