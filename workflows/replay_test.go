package workflows

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayGoldenHistories replays histories recorded on a real dev server (make golden):
// a workflow change that would break running engagements fails here until it is guarded
// with workflow.GetVersion.
func TestReplayGoldenHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "golden histories are committed under workflows/testdata/golden")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NotEmpty(t, data)
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(EngagementWorkflow)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
