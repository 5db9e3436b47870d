package vendors_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// tokenEndpoint answers refresh-token grants: each refresh token in valid gets the answer
// body stored for it; anything else is a 400 invalid_grant. It records the grants.
type tokenEndpoint struct {
	mu     sync.Mutex
	valid  map[string]string // refresh token -> answer body
	status int               // when set, every answer has this status
	header http.Header
	grants []http.Request
	forms  []map[string]string
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	_ = r.ParseForm()
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	e.grants = append(e.grants, *r)
	e.forms = append(e.forms, form)
	for k, v := range e.header {
		w.Header()[k] = v
	}
	if e.status != 0 {
		w.WriteHeader(e.status)
		w.Write([]byte(`{"error":"echo client_secret=s3cret"}`))
		return
	}
	body, ok := e.valid[form["refresh_token"]]
	if !ok || form["grant_type"] != "refresh_token" {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	w.Write([]byte(body))
}

type memStore struct {
	token          string
	loadErr, saved error
	saves          []string
}

func (s *memStore) Load() (string, error) { return s.token, s.loadErr }
func (s *memStore) Save(tok string) error {
	s.saves = append(s.saves, tok)
	if s.saved == nil {
		s.token = tok
	}
	return s.saved
}

func grantServer(t *testing.T, e *tokenEndpoint) *httptest.Server {
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func TestRefreshTokenBasicAuthAndCaching(t *testing.T) {
	e := &tokenEndpoint{valid: map[string]string{"rt": `{"access_token":"at-1111","expires_in":3600}`}}
	srv := grantServer(t, e)
	r := &vendors.RefreshToken{TokenURL: srv.URL, ClientID: "app", ClientSecret: "app-secret", BasicAuth: true, HTTP: srv.Client(), Refresh: "rt"}
	ctx := context.Background()
	for range 3 {
		tok, err := r.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, "at-1111", tok)
	}
	require.Len(t, e.grants, 1, "cached until shortly before expires_in")
	id, secret, ok := e.grants[0].BasicAuth()
	assert.True(t, ok)
	assert.Equal(t, [2]string{"app", "app-secret"}, [2]string{id, secret})
	assert.Equal(t, map[string]string{"grant_type": "refresh_token", "refresh_token": "rt"}, e.forms[0], "no client credentials in the form")
	assert.Equal(t, "application/x-www-form-urlencoded", e.grants[0].Header.Get("Content-Type"))
	assert.Equal(t, "application/json", e.grants[0].Header.Get("Accept"))
	require.NoError(t, r.Invalidate(ctx))
	_, err := r.Token(ctx)
	require.NoError(t, err)
	assert.Len(t, e.grants, 2, "a 401 (Invalidate) refreshes at once")
}

// A token that lives no longer than the renewal margin (60 s, also the least expires_in
// counted) is fetched again on every call; 61 s is kept for a moment.
func TestRefreshTokenShortLived(t *testing.T) {
	for expires, grants := range map[string]int{"0": 2, "30": 2, "60": 2, "90": 1} {
		e := &tokenEndpoint{valid: map[string]string{"rt": `{"access_token":"at-2222","expires_in":` + expires + `}`}}
		srv := grantServer(t, e)
		r := &vendors.RefreshToken{TokenURL: srv.URL, HTTP: srv.Client(), Refresh: "rt"}
		for range 2 {
			_, err := r.Token(context.Background())
			require.NoError(t, err)
		}
		assert.Len(t, e.grants, grants, "expires_in %s", expires)
	}
}

func TestRefreshTokenFormCredentialsAndRotation(t *testing.T) {
	e := &tokenEndpoint{valid: map[string]string{
		"rt-1": `{"access_token":"at-3333","refresh_token":"rt-2","expires_in":1}`,
		"rt-2": `{"access_token":"at-4444","refresh_token":"rt-2","expires_in":1}`,
	}}
	srv := grantServer(t, e)
	store := &memStore{}
	r := &vendors.RefreshToken{TokenURL: srv.URL, ClientID: "up", ClientSecret: "up-secret", HTTP: srv.Client(), Refresh: "rt-1", Store: store}
	tok, err := r.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "at-3333", tok)
	_, _, basic := e.grants[0].BasicAuth()
	assert.False(t, basic)
	assert.Equal(t, map[string]string{"grant_type": "refresh_token", "refresh_token": "rt-1", "client_id": "up", "client_secret": "up-secret"}, e.forms[0])
	assert.Equal(t, []string{"rt-2"}, store.saves, "the rotated token is kept")
	assert.Equal(t, "rt-2", r.Refresh)
	tok, err = r.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "at-4444", tok)
	assert.Equal(t, "rt-2", e.forms[1]["refresh_token"], "the next grant uses the rotated token")
	assert.Equal(t, []string{"rt-2"}, store.saves, "the same token again is not written again")
}

// A refused stored token falls back to the configured one; a store that cannot be read or
// written leaves the token in memory in use.
func TestRefreshTokenStoreFallbacks(t *testing.T) {
	e := &tokenEndpoint{valid: map[string]string{"configured": `{"access_token":"at-5555","expires_in":1}`}}
	srv := grantServer(t, e)
	store := &memStore{token: "stale-from-file"}
	r := &vendors.RefreshToken{TokenURL: srv.URL, HTTP: srv.Client(), Refresh: "configured", Store: store}
	tok, err := r.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "at-5555", tok)
	var used []string
	for _, f := range e.forms {
		used = append(used, f["refresh_token"])
	}
	assert.Equal(t, []string{"stale-from-file", "configured"}, used)

	broken := &memStore{loadErr: errors.New("disk gone"), saved: errors.New("disk gone")}
	e2 := &tokenEndpoint{valid: map[string]string{"configured": `{"access_token":"at-6666","refresh_token":"rt-new","expires_in":1}`}}
	srv2 := grantServer(t, e2)
	r2 := &vendors.RefreshToken{TokenURL: srv2.URL, HTTP: srv2.Client(), Refresh: "configured", Store: broken}
	tok, err = r2.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "at-6666", tok)
	assert.Equal(t, "rt-new", r2.Refresh, "kept in memory though the store failed")

	none := &tokenEndpoint{valid: map[string]string{}}
	srv3 := grantServer(t, none)
	r3 := &vendors.RefreshToken{TokenURL: srv3.URL, HTTP: srv3.Client(), Refresh: "configured", Store: &memStore{token: "other"}}
	_, err = r3.Token(context.Background())
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.Status)
	assert.Len(t, none.grants, 2, "the stored token, then the configured one, each once")
	noStore := &vendors.RefreshToken{TokenURL: srv3.URL, HTTP: srv3.Client(), Refresh: "configured"}
	_, err = noStore.Token(context.Background())
	require.ErrorAs(t, err, &ae)
	assert.Len(t, none.grants, 3, "without a store there is nothing else to try")
}

func TestRefreshTokenAnswers(t *testing.T) {
	for _, tc := range []struct {
		status     int
		retryAfter string
		body       string
		retryable  bool
		want       string
	}{
		{status: http.StatusTooManyRequests, retryAfter: "9", retryable: true},
		{status: http.StatusServiceUnavailable, retryable: true},
		{status: http.StatusInternalServerError, retryable: true},
		{status: 499, want: "token refresh: HTTP 499: refused"},
		{status: http.StatusUnauthorized, want: "token refresh: HTTP 401: refused; check the client id, secret and refresh token"},
		{status: http.StatusForbidden, want: "token refresh: HTTP 403: refused; check the client id, secret and refresh token"},
		{status: http.StatusMultipleChoices + 1, want: "token refresh: HTTP 301"},
	} {
		e := &tokenEndpoint{status: tc.status, header: http.Header{}}
		if tc.retryAfter != "" {
			e.header.Set("Retry-After", tc.retryAfter)
		}
		srv := grantServer(t, e)
		hc := srv.Client()
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		_, err := (&vendors.RefreshToken{TokenURL: srv.URL, HTTP: hc, Refresh: "rt"}).Token(context.Background())
		require.Error(t, err, "%d", tc.status)
		assert.NotContains(t, err.Error(), "s3cret", "the answer body is never quoted")
		var re *vendors.RetryableError
		assert.Equal(t, tc.retryable, errors.As(err, &re), "%d", tc.status)
		if tc.retryAfter != "" {
			assert.Equal(t, 9e9, float64(re.RetryAfter))
		}
		if tc.want != "" {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
	e := &tokenEndpoint{valid: map[string]string{"rt": `{"token_type":"Bearer"}`}}
	srv := grantServer(t, e)
	_, err := (&vendors.RefreshToken{TokenURL: srv.URL, HTTP: srv.Client(), Refresh: "rt"}).Token(context.Background())
	assert.ErrorContains(t, err, "answer has no access_token")
	_, err = (&vendors.RefreshToken{TokenURL: "http://127.0.0.1:1/token", Refresh: "rt"}).Token(context.Background())
	var re *vendors.RetryableError
	assert.ErrorAs(t, err, &re, "an unreachable endpoint is retried")
}

// A store failure is logged at error level (outside an activity, through zap's global
// logger), naming the operation; a store that works logs nothing.
func TestRefreshStoreFailuresAreLogged(t *testing.T) {
	core, logs := observer.New(zap.ErrorLevel)
	defer zap.ReplaceGlobals(zap.New(core))()
	e := &tokenEndpoint{valid: map[string]string{"configured": `{"access_token":"at-7777","refresh_token":"rt-next","expires_in":1}`}}
	srv := grantServer(t, e)
	for _, tc := range []struct {
		store *memStore
		want  []string
	}{
		{&memStore{}, nil},
		{&memStore{loadErr: errors.New("disk gone")}, []string{"read"}},
		{&memStore{saved: errors.New("disk full")}, []string{"write"}},
	} {
		logs.TakeAll()
		r := &vendors.RefreshToken{TokenURL: srv.URL, HTTP: srv.Client(), Refresh: "configured", Store: tc.store}
		_, err := r.Token(context.Background())
		require.NoError(t, err)
		var got []string
		for _, entry := range logs.TakeAll() {
			assert.Contains(t, entry.Message, "refresh token store: "+tc.want[len(got)]+" failed")
			got = append(got, tc.want[len(got)])
		}
		assert.Equal(t, tc.want, got)
	}
}
