package workflows

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/coverage-orchestrator/coverage/payloadcodec"
)

// goldenDir holds one folder of recorded histories per release (make golden RELEASE=vX.Y.Z),
// kept while engagements of that release may be open (README "Changing a workflow").
var goldenDir = filepath.Join("testdata", "golden")

var releaseName = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)$`)

// keptReleases are the release folders, oldest first.
func keptReleases(t *testing.T) []string {
	entries, err := os.ReadDir(goldenDir)
	require.NoError(t, err)
	var releases []string
	for _, e := range entries {
		if e.IsDir() {
			require.Regexp(t, releaseName, e.Name(), "golden histories are kept per release, in folders named like the release tag")
			releases = append(releases, e.Name())
		}
	}
	require.NotEmpty(t, releases, "golden histories are committed under workflows/testdata/golden/<release>")
	slices.SortFunc(releases, func(a, b string) int {
		pa, pb := releaseName.FindStringSubmatch(a), releaseName.FindStringSubmatch(b)
		for i := 1; i <= 3; i++ {
			na, _ := strconv.Atoi(pa[i])
			nb, _ := strconv.Atoi(pb[i])
			if na != nb {
				return na - nb
			}
		}
		return 0
	})
	return releases
}

// TestReplayGoldenHistories replays the histories of every kept release against this code:
// an Auto-Upgrade workflow (engagement, coordinator, router) open on any of them moves to
// this build, so a change that breaks one fails here, naming the release and the workflow,
// until it goes under a marker (versions.go). Pinned workflows never move to a newer build:
// only the newest release's histories of them must replay.
func TestReplayGoldenHistories(t *testing.T) {
	// From v3 of the recordings on, payloads are encrypted with the test key; a rotated key list
	// (a newer key first, the recording key after it) must still read them.
	spec, err := os.ReadFile(filepath.Join(goldenDir, "payload-key.txt"))
	require.NoError(t, err)
	newer, err := payloadcodec.NewKeySpec("rotated-in")
	require.NoError(t, err)
	keys, err := payloadcodec.ParseKeys(newer + "," + strings.TrimSpace(string(spec)))
	require.NoError(t, err)

	releases := keptReleases(t)
	newest := releases[len(releases)-1]
	for _, release := range releases {
		files, err := filepath.Glob(filepath.Join(goldenDir, release, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, files, release)
		for _, f := range files {
			t.Run(release+"/"+filepath.Base(f), func(t *testing.T) {
				history, err := client.HistoryFromJSON(mustOpen(t, f), client.HistoryJSONOptions{})
				require.NoError(t, err)
				require.NotEmpty(t, history.Events)
				workflowType := history.Events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
				if release != newest && !slices.Contains(AutoUpgraded(), workflowType) {
					t.Skipf("%s is Pinned: its runs of %s finish on that build", workflowType, release)
				}
				r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
					DataConverter: payloadcodec.DataConverter(keys), FailureConverter: payloadcodec.FailureConverter(keys)})
				require.NoError(t, err)
				RegisterWorkflows(r)
				if err := r.ReplayWorkflowHistory(nil, history); err != nil {
					t.Fatalf("release %s, workflow %s (%s): no longer replays on this code: %v", release, workflowType, f, err)
				}
			})
		}
	}
}

// TestNewestGoldensCoverEveryWorkflowType: a workflow type without a recorded history could
// change unnoticed.
func TestNewestGoldensCoverEveryWorkflowType(t *testing.T) {
	releases := keptReleases(t)
	newest := releases[len(releases)-1]
	files, err := filepath.Glob(filepath.Join(goldenDir, newest, "*.json"))
	require.NoError(t, err)
	recorded := map[string]bool{}
	for _, f := range files {
		history, err := client.HistoryFromJSON(mustOpen(t, f), client.HistoryJSONOptions{})
		require.NoError(t, err)
		recorded[history.Events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()] = true
	}
	for _, wt := range workflowTypes {
		assert.True(t, recorded[wt.name], "release %s has no golden history of %s", newest, wt.name)
	}
}

// TestGoldenHistoriesHoldNoPlainPersonalData: the recorded histories carry only encrypted
// payloads, and without the key a replay cannot read them.
func TestGoldenHistoriesHoldNoPlainPersonalData(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "v*", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Contains(t, string(data), "encryption-key-id", f)
		require.NotContains(t, string(data), "Jordan", f) // the simulators' contractor name
		require.NotContains(t, string(data), "@example.com", f)
		if !strings.Contains(f, "first_time") {
			continue // one history shows it; the others hold the same codec's output
		}
		r := worker.NewWorkflowReplayer()
		RegisterWorkflows(r)
		assert.Error(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f), "%s replays without the key", f)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}
