package workflows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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
	// A rotated key list (a newer key first, the recording key after it) must still read them.
	newer, err := payloadcodec.NewKeySpec("rotated-in")
	require.NoError(t, err)
	keys, err := payloadcodec.ParseKeys(newer + "," + strings.TrimSpace(string(spec)))
	require.NoError(t, err)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NotEmpty(t, data)
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter: payloadcodec.DataConverter(keys), FailureConverter: payloadcodec.FailureConverter(keys)})
			require.NoError(t, err)
			for _, wf := range []any{EngagementWorkflow, ContractorSessionWorkflow, PolicyEventRouterWorkflow, PollPlatformWorkflow,
				PolicyEventsPollerWorkflow, BackfillWorkflow} {
				r.RegisterWorkflow(wf)
			}
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// TestGoldenHistoriesHoldNoPlainPersonalData: from v3 on, the recorded histories carry only
// encrypted payloads, and without the key a replay cannot read them.
func TestGoldenHistoriesHoldNoPlainPersonalData(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*_v[3-9].json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Contains(t, string(data), "encryption-key-id", f)
		require.NotContains(t, string(data), "Jordan", f) // the simulators' contractor name
		require.NotContains(t, string(data), "@example.com", f)
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflow(EngagementWorkflow)
		assert.Error(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f), "%s replays without the key", f)
	}
}
