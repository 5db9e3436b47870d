package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/testenv"
)

// Restarting the whole local stack (issue 21) leaves Upwork working: the token file kept
// from the first run names a refresh token the restarted sandbox never issued, and the
// product falls back to the configured UPWORK_REFRESH_TOKEN instead of parking every Upwork
// engagement with "token refresh: HTTP 400: refused".
func TestUpworkWorksAfterTheStackRestarts(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "upwork-refresh-token")
	s := testenv.NewStack(t, testenv.StackOptions{ExtraEnv: []string{"UPWORK_REFRESH_TOKEN_FILE=" + tokenFile}})
	up := cases[2]
	require.Equal(t, "upwork", up.name)
	covered := func(st engagement.Status) bool {
		return st.CoverageStatus == engagement.StatusAwaitingApplication || st.CoverageStatus == engagement.StatusInsured
	}

	first := example(up.name, "41815001", "", up.hourly)
	start(t, s, up, first)
	s.WaitStatus(t, up.name, first.ID, time.Minute, "covered before the restart", covered)
	kept, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	require.NotContains(t, string(kept), "upwork-refresh-0", "the rotated token was kept")

	// Ctrl-C and `make run` again: the processes, Temporal and the sandbox (which forgets
	// every grant it made) all restart; the token file stays.
	s.Worker.Stop()
	s.Ingress.Stop()
	s.Temporal.Stop()
	s.Platforms.Reset()
	require.NoError(t, s.Temporal.Start())
	s.StartWorker()
	s.Ingress = testenv.StartProcess(t, "starter", s.Env)
	require.Eventually(t, func() bool {
		resp, err := http.Get(s.IngressURL + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 30*time.Second, 200*time.Millisecond)

	second := example(up.name, "41815002", "", up.hourly)
	start(t, s, up, second)
	st := s.WaitStatus(t, up.name, second.ID, time.Minute, "covered after the restart", func(st engagement.Status) bool {
		return covered(st) || st.CoverageStatus == engagement.StatusNeedsAttention
	})
	require.True(t, covered(st), "status %s: %s", st.CoverageStatus, st.AttentionReason)
	after, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	assert.NotEqual(t, strings.TrimSpace(string(kept)), strings.TrimSpace(string(after)), "the new sandbox's token is kept")
}
