package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestReplayCheck runs `worker replay` (make replay-check) against a real namespace holding
// open engagements with encrypted histories: this build replays them all, a sample replays
// that many, and a build with an unguarded command-order change fails, naming an engagement.
func TestReplayCheck(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second})
	// A first-time contractor waiting for the application (its coordinator open too), and a
	// returning one insured with its deadline timer pending.
	waiting := example("remote", "replay-waiting", "replay-waiting@manual.example", false)
	start(t, s, cases[0], waiting)
	s.WaitStatus(t, "remote", waiting.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	returning(t, s, "replay-insured@example.com", true)
	insured := example("workmarket", "replay-insured", "replay-insured@example.com", true)
	start(t, s, cases[1], insured)
	s.WaitStatus(t, "workmarket", insured.ID, time.Minute, "INSURED", is(engagement.StatusInsured))

	replay := func(binary string, args ...string) (string, int) {
		cmd := exec.Command(binary, append([]string{"replay"}, args...)...)
		cmd.Env = s.Env
		out, err := cmd.CombinedOutput()
		t.Logf("worker replay %v:\n%s", args, out)
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return string(out), code
	}
	counts := regexp.MustCompile(`replayed (\d+) of (\d+) open workflows \((\d+) in the namespace`)
	current := filepath.Join(testenv.Binaries(t), "worker")

	out, code := replay(current)
	require.Equal(t, 0, code, out)
	m := counts.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Equal(t, m[1], m[2], out)
	require.Equal(t, m[2], m[3], out)
	n, _ := strconv.Atoi(m[1])
	require.GreaterOrEqual(t, n, 3, "two engagements and a session coordinator are open: %s", out)

	out, code = replay(current, "-sample", "1")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "replayed 1 of 1 open workflows ("+m[3]+" in the namespace", out)

	unguarded := testenv.BuildWorker(t, testenv.ModuleRoot(), "unguarded", "upgrade_unguarded")
	out, code = replay(unguarded)
	require.Equal(t, 1, code, out)
	require.Regexp(t, `replayed \d+ of `+m[2]+` open workflows`, out)
	require.Regexp(t, `2 failed; first failure: (`+regexp.QuoteMeta(engagement.WorkflowID("remote", waiting.ID))+`|`+
		regexp.QuoteMeta(engagement.WorkflowID("workmarket", insured.ID))+`) \(run [0-9a-f-]+\): .*\[TMPRL1100\]`, out)
}
