package upwork_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
)

func TestTokenFileKeepsTheNewestToken(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "upwork-refresh-token")
	f := &upwork.TokenFile{Path: path, Configured: "configured-1"}
	tok, err := f.Load()
	require.NoError(t, err)
	assert.Equal(t, "configured-1", tok, "no file yet")
	require.NoError(t, f.Save("rotated-1"))
	require.NoError(t, f.Save("rotated-2"))
	restarted := &upwork.TokenFile{Path: path, Configured: "configured-1"}
	tok, err = restarted.Load()
	require.NoError(t, err)
	assert.Equal(t, "rotated-2", tok, "the newest survives a restart")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "private")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.Contains(t, []string{"upwork-refresh-token", "upwork-refresh-token.lock"}, e.Name(), "no temp file left")
	}

	reconfigured := &upwork.TokenFile{Path: path, Configured: "configured-2"}
	tok, err = reconfigured.Load()
	require.NoError(t, err)
	assert.Equal(t, "configured-2", tok, "a newer UPWORK_REFRESH_TOKEN wins over the file")

	require.NoError(t, os.WriteFile(path, []byte("plain-legacy\n"), 0o600))
	tok, _ = restarted.Load()
	assert.Equal(t, "plain-legacy", tok, "the older plain-text file is read")
}

// Replicas writing at once never leave a torn or missing file.
func TestTokenFileConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upwork-refresh-token")
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Go(func() {
			f := &upwork.TokenFile{Path: path, Configured: "c"}
			for i := range 50 {
				require.NoError(t, f.Save(fmt.Sprintf("replica-%d-%d", r, i)))
				tok, err := f.Load()
				require.NoError(t, err)
				require.NotEqual(t, "c", tok, "never a missing or torn file")
			}
		})
	}
	wg.Wait()
}

// countingStore counts reads, to show the store is read before every grant.
type countingStore struct {
	vendors.RefreshStore
	loads int
}

func (c *countingStore) Load() (string, error) { c.loads++; return c.RefreshStore.Load() }

// A restarted provider (the local sandbox) never issued the token in the file: the grant
// reads the file again, then falls back to the configured token, and keeps the new one.
func TestGrantFallsBackToTheConfiguredTokenAfterInvalidGrant(t *testing.T) {
	sim := platformsim.New(platformsim.Config{UpworkClient: [3]string{"cid", "csec", "configured"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "upwork-refresh-token")
	file := &upwork.TokenFile{Path: path, Configured: "configured"}
	require.NoError(t, file.Save("issued-by-the-previous-sandbox"))
	store := &countingStore{RefreshStore: file}
	grant := &vendors.RefreshToken{TokenURL: srv.URL + "/upwork" + platformsim.UpworkTokenPath, ClientID: "cid", ClientSecret: "csec",
		Refresh: "configured", Store: store}
	access, err := grant.Token(context.Background())
	require.NoError(t, err, "the configured token is tried after invalid_grant")
	assert.NotEmpty(t, access)
	assert.GreaterOrEqual(t, store.loads, 2, "read before the grant and again after invalid_grant")
	kept, _ := file.Load()
	assert.NotEqual(t, "issued-by-the-previous-sandbox", kept, "the new chain is kept")
	assert.NotEqual(t, "configured", kept)

	before := store.loads
	require.NoError(t, grant.Invalidate(context.Background()))
	_, err = grant.Token(context.Background())
	require.NoError(t, err)
	assert.Greater(t, store.loads, before, "read again before the next refresh (another replica may have rotated it)")

	// Nothing valid at all: the refusal stays the answer.
	bad := &vendors.RefreshToken{TokenURL: srv.URL + "/upwork" + platformsim.UpworkTokenPath, ClientID: "cid", ClientSecret: "wrong",
		Refresh: "configured", Store: file}
	_, err = bad.Token(context.Background())
	assert.ErrorContains(t, err, "token refresh: HTTP 400: refused")
}

// A file that cannot be written is an error-level log line; the token in memory keeps working.
func TestTokenFileFailuresAreLoggedAtErrorLevel(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	defer zap.ReplaceGlobals(zap.New(core))()
	sim := platformsim.New(platformsim.Config{UpworkClient: [3]string{"cid", "csec", "configured"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "upwork-refresh-token"), 0o700)) // a directory where the file should be
	grant := &vendors.RefreshToken{TokenURL: srv.URL + "/upwork" + platformsim.UpworkTokenPath, ClientID: "cid", ClientSecret: "csec",
		Refresh: "configured", Store: &upwork.TokenFile{Path: filepath.Join(dir, "upwork-refresh-token"), Configured: "configured"}}
	_, err := grant.Token(context.Background())
	require.NoError(t, err)
	failures := logs.FilterLevelExact(zapcore.ErrorLevel).FilterMessageSnippet("refresh token store").All()
	require.NotEmpty(t, failures)
	assert.Contains(t, fmt.Sprint(failures[len(failures)-1].ContextMap()["error"]), "upwork-refresh-token")
}

// A token that could not be put in place is a failed save, never a silent one: the path is a
// directory, so the rename fails; an unreadable file keeps the configured token and says so.
func TestTokenFileFailuresAreErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "upwork-refresh-token")
	require.NoError(t, os.Mkdir(path, 0o700))
	f := &upwork.TokenFile{Path: path, Configured: "configured-1"}
	err := f.Save("rotated-1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write "+path)
	tok, err := f.Load()
	require.Error(t, err, "a directory is not a token file")
	assert.Equal(t, "configured-1", tok)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.Contains(t, []string{"upwork-refresh-token", "upwork-refresh-token.lock"}, e.Name(), "no temp file left")
	}
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.WriteFile(path, []byte(`{"refresh_token":"","seed":"x"}`), 0o600))
	tok, err = f.Load()
	require.NoError(t, err)
	assert.Equal(t, "configured-1", tok, "an empty token in the file is not used")
	require.NoError(t, os.WriteFile(path, []byte(`{"refresh_token":`), 0o600))
	tok, err = f.Load()
	require.Error(t, err, "a torn file is reported")
	assert.Equal(t, "configured-1", tok)
}

// Saving closes what it opens (the temp file and the directory it syncs): a replica rotating
// the token for months must not run out of file descriptors.
func TestTokenFileSaveLeaksNoDescriptors(t *testing.T) {
	open := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd here")
		}
		return len(entries)
	}
	f := &upwork.TokenFile{Path: filepath.Join(t.TempDir(), "upwork-refresh-token"), Configured: "configured-1"}
	require.NoError(t, f.Save("warm-up"))
	before := open()
	const saves = 20
	for i := range saves {
		require.NoError(t, f.Save(fmt.Sprintf("rotated-%d", i)))
	}
	assert.Less(t, open()-before, saves/2, "descriptors left open by %d saves", saves)
}
