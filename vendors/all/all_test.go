package all_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/config"
	"github.com/coverage-orchestrator/coverage/vendors/all"
)

// TestAdaptersOfTheConfiguredPlatforms: a platform with an API URL gets its adapter under its
// own name; one without is absent.
func TestAdaptersOfTheConfiguredPlatforms(t *testing.T) {
	assert.Empty(t, all.Adapters(config.Config{}).Names())
	every := map[string]config.Platform{}
	for _, v := range config.Vendors {
		every[v] = config.Platform{APIURL: "http://127.0.0.1:1/" + v}
	}
	r := all.Adapters(config.Config{Platforms: every})
	assert.Equal(t, []string{"jobdiva", "remote", "upwork", "workmarket"}, r.Names())
	for _, v := range config.Vendors {
		a, err := r.Get(v)
		if assert.NoError(t, err, v) {
			assert.Equal(t, v, a.Vendor())
		}
		one := all.Adapters(config.Config{Platforms: map[string]config.Platform{v: every[v]}})
		assert.Equal(t, []string{v}, one.Names(), "only %s is configured", v)
	}
	_, err := all.Adapters(config.Config{}).Get("remote")
	assert.ErrorContains(t, err, `platform "remote" is not enabled`)
}

// TestUpworkKeepsItsRefreshTokenInTheConfiguredFile: with UPWORK_REFRESH_TOKEN_FILE set, the
// grant starts from the file's token; without it, from the configured one.
func TestUpworkKeepsItsRefreshTokenInTheConfiguredFile(t *testing.T) {
	var used []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			_ = r.ParseForm()
			used = append(used, r.PostForm.Get("refresh_token"))
			w.Write([]byte(`{"access_token":"at-upwork","expires_in":3600}`))
			return
		}
		w.Write([]byte(`{"data":null}`))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "upwork-refresh-token")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	for tokenFile, want := range map[string]string{file: "from-file", "": "configured"} {
		used = nil
		p := config.Platform{APIURL: srv.URL, TokenURL: srv.URL + "/token", ClientID: "c", ClientSecret: "s", RefreshToken: "configured", TokenFile: tokenFile}
		a, err := all.Adapters(config.Config{Platforms: map[string]config.Platform{"upwork": p}}).Get("upwork")
		require.NoError(t, err)
		_, _ = a.FetchEngagement(context.Background(), "41815410")
		assert.Equal(t, []string{want}, used, "token file %q", tokenFile)
	}
}
