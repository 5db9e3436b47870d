package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/coverage-orchestrator/coverage/payloadcodec"
)

// TestReplayGoldenHistories replays histories recorded on a real dev server (make golden):
// a workflow change that would break running engagements fails here until it is guarded
// with workflow.GetVersion.
func TestReplayGoldenHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "golden histories are committed under workflows/testdata/golden")
	// Histories from v3 on are encrypted with this test key; older ones are plain, and the
	// codec passes plain payloads through, so one replayer reads both.
	spec, err := os.ReadFile(filepath.Join("testdata", "golden", "payload-key.txt"))
	require.NoError(t, err)
	keys, err := payloadcodec.ParseKeys(strings.TrimSpace(string(spec)))
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NotEmpty(t, data)
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter: payloadcodec.DataConverter(keys), FailureConverter: payloadcodec.FailureConverter(keys)})
			require.NoError(t, err)
			r.RegisterWorkflow(EngagementWorkflow)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
