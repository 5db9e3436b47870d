package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// upgradeFixtureCommit is the build the rolling upgrade starts from until the first release
// tag exists: the last commit before Worker Versioning (issue 23) landed, with the platform
// contracts (issue 20) and the console (issue 24) already in, i.e. the build production runs
// before its first versioned deploy. (An older build cannot be the fixture: its WorkMarket
// adapter reads attachment shapes the simulators no longer serve, issue 20.) From it the test covers that first deploy, an unversioned
// worker replaced by a versioned one; once a vX.Y.Z tag is reachable, the newest one before
// HEAD is used instead (versioned to versioned). ROLLING_UPGRADE_FROM=<commit or tag>
// overrides both.
const upgradeFixtureCommit = "3a93278"

// upgradeTagsEnv names build tags for the new worker: TestRollingUpgradeWithChanges runs the
// rolling upgrade again with a command-order change under a marker (upgrade_guarded) and
// without one (upgrade_unguarded).
const upgradeTagsEnv = "ROLLING_UPGRADE_TAGS"

const upgradeDeployment = "coverage"

// previousRelease is ROLLING_UPGRADE_FROM, the newest release tag before HEAD, or the fixture commit.
func previousRelease(t *testing.T) string {
	if from := os.Getenv("ROLLING_UPGRADE_FROM"); from != "" {
		return from
	}
	cmd := exec.Command("git", "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*.[0-9]*.[0-9]*", "HEAD~1")
	cmd.Dir = testenv.ModuleRoot()
	if out, err := cmd.Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return upgradeFixtureCommit
}

// TestRollingUpgrade deploys this build over the previous release while engagements of all
// four platforms are mid-lifecycle, the way README "Deploying a new version" says: the old
// build runs as the deployment's current version, the new one starts beside it as a new
// version, becomes current, the old one stops; then every engagement is driven to its end
// on the new build. None may fail a workflow task, all reach their final states, and
// 1099Policy holds one of each object.
func TestRollingUpgrade(t *testing.T) {
	previous := previousRelease(t)
	oldBuild, newBuild := "prev-"+previous, "next"
	tags := os.Getenv(upgradeTagsEnv)
	if tags != "" {
		newBuild += "-" + tags
	}
	testenv.CLIPath(t) // skips under -short
	oldSource := testenv.CheckoutCommit(t, previous)
	oldWorker := testenv.BuildWorker(t, oldSource, oldBuild)
	newWorker := testenv.BuildWorker(t, testenv.ModuleRoot(), newBuild, strings.Fields(tags)...)
	t.Logf("rolling upgrade from %s (versioned: %v) to this build", previous, knowsVersioning(oldSource))

	s := testenv.NewStack(t, testenv.StackOptions{NoWorker: true, AutoCompleteAfter: time.Hour, CertificateReviewAfter: time.Hour})
	versioned := append(append([]string{}, s.Env...), "WORKER_DEPLOYMENT_NAME="+upgradeDeployment)
	old := testenv.StartBinary(t, oldWorker, "worker-old", versioned)
	if knowsVersioning(oldSource) {
		setCurrent(t, s, oldBuild)
	} else {
		oldBuild = "" // an unversioned worker stamps no version on its tasks
	}

	// Mid-lifecycle on the old build: a new contractor waiting for the application (Remote),
	// one whose certificate is under review (WorkMarket; "slow" never ends by itself), and
	// two returning contractors insured with their deadline timers pending (Upwork, already
	// started; JobDiva, starting next week).
	waiting := example("remote", "ru-waiting", "ru-waiting@manual.example", false)
	start(t, s, cases[0], waiting)
	certified := example("workmarket", "ru-certificate", "ru-certificate@manual.example", true)
	start(t, s, cases[1], certified)
	running := example("upwork", "ru-running", "", true)
	// Upwork gives no email: the freelancer is returning under the proxy address.
	returning(t, s, vendors.ProxyEmail("upwork", running.ContractorID, testenv.ProxyEmailDomain), true)
	running.Start = day(-1)
	start(t, s, cases[2], running)
	returning(t, s, "ru-jobdiva@example.com", true)
	upcoming := example("jobdiva", "ru-upcoming", "ru-jobdiva@example.com", true)
	start(t, s, cases[3], upcoming)

	waitingSt := s.WaitStatus(t, "remote", waiting.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	s.WaitStatus(t, "workmarket", certified.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	require.NoError(t, s.Platforms.SeedDocument("workmarket", certified, "coi-ru", "coi-slow.pdf", []byte("%PDF-1.4")))
	status, _ := hook(t, s, "workmarket", platformsim.HookCOI, certified, "coi-ru", "coi-ru")
	require.Equal(t, 200, status)
	certifiedSt := s.WaitStatus(t, "workmarket", certified.ID, time.Minute, "certificate under review", func(st engagement.Status) bool {
		return st.CertificateStatus == engagement.CertificatePending && st.Policy.CertificateID != ""
	})
	for _, ex := range []struct {
		platform string
		ex       platformsim.Example
	}{{"upwork", running}, {"jobdiva", upcoming}} {
		s.WaitStatus(t, ex.platform, ex.ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
		wf := engagement.WorkflowID(ex.platform, ex.ex.ID)
		require.Eventually(t, func() bool { return timerPending(t, s, wf) }, 30*time.Second, 200*time.Millisecond, "%s has its deadline timer pending", wf)
	}
	ids := []string{engagement.WorkflowID("remote", waiting.ID), engagement.WorkflowID("workmarket", certified.ID),
		engagement.WorkflowID("upwork", running.ID), engagement.WorkflowID("jobdiva", upcoming.ID)}

	// The deploy: the new build beside the old one, made current, the old one stopped.
	testenv.StartBinary(t, newWorker, "worker-new", append(versioned, "METRICS_ADDR="+testenv.FreeAddr(t)))
	setCurrent(t, s, newBuild)
	old.Stop()

	// Every engagement to its end on the new build.
	require.NoError(t, s.Policy.CompleteSession(waitingSt.Policy.SessionID))
	waitOnNewBuild(t, s, "remote", waiting.ID, "INSURED", is(engagement.StatusInsured))
	status, _ = hook(t, s, "remote", platformsim.HookCancel, waiting, "cancel-ru", "")
	require.Equal(t, 200, status)
	waitOnNewBuild(t, s, "remote", waiting.ID, "CANCELED", is(engagement.StatusCanceled))

	require.NoError(t, s.Policy.ReviewCertificate(certifiedSt.Policy.CertificateID, "approved"))
	waitOnNewBuild(t, s, "workmarket", certified.ID, "certificate APPROVED", func(st engagement.Status) bool {
		return st.CertificateStatus == engagement.CertificateApproved
	})
	status, _ = hook(t, s, "workmarket", platformsim.HookCancel, certified, "cancel-ru", "")
	require.Equal(t, 200, status)
	waitOnNewBuild(t, s, "workmarket", certified.ID, "CANCELED", is(engagement.StatusCanceled))

	status, _ = hook(t, s, "upwork", platformsim.HookEnd, running, "end-ru", "")
	require.Equal(t, 200, status)
	waitOnNewBuild(t, s, "upwork", running.ID, "ENDED", is(engagement.StatusEnded))

	code, out := opsWithKey(t, s, "/v1/engagements/jobdiva/"+upcoming.ID+"/actions/end", "ru-end")
	require.Equal(t, 200, code, "%v", out)
	waitOnNewBuild(t, s, "jobdiva", upcoming.ID, "CANCELED", is(engagement.StatusCanceled))

	for _, id := range ids {
		s.WaitClosed(t, id)
		builds := taskBuilds(t, s, id)
		t.Logf("%s: workflow tasks completed by builds %q (\"\": unversioned)", id, builds)
		assert.Equal(t, oldBuild, builds[0], "%s started on the old build", id)
		assert.Equal(t, newBuild, builds[len(builds)-1], "%s finished on the new build", id)
	}
	assertNoWorkflowTaskFailed(t, s)
	c := s.Policy.Counts()
	for _, id := range ids {
		assert.Equal(t, 1, c.Jobs[id], "jobs of %s", id)
	}
	for _, id := range ids[:2] {
		assert.Equal(t, 1, c.Quotes[id], "quotes of %s", id)
		assert.Equal(t, 1, c.Sessions[id], "sessions of %s", id)
	}
	for _, id := range ids[2:] {
		assert.Equal(t, 1, c.Assignments[id], "assignments of %s", id)
		assert.Equal(t, 0, c.Quotes[id], "quotes of %s", id)
	}
	assert.Equal(t, 1, c.Certificates[ids[1]], "certificates of %s", ids[1])
	for email, n := range c.ContractorsByEmail {
		assert.Equal(t, 1, n, "contractors with email %s", email)
	}
}

// TestRollingUpgradeWithChanges runs TestRollingUpgrade again with new builds that add a
// timer to the engagement's command order: under the next step of the version ladder it must
// pass; without a marker it must fail, on a non-deterministic workflow task (proving the
// rolling upgrade can fail).
func TestRollingUpgradeWithChanges(t *testing.T) {
	testenv.CLIPath(t)
	if os.Getenv(upgradeTagsEnv) != "" {
		t.Skip("this is a run inside TestRollingUpgradeWithChanges")
	}
	run := func(tags string) (string, error) {
		cmd := exec.Command("go", "test", "-count=1", "-run", "^TestRollingUpgrade$", ".")
		cmd.Dir = filepath.Join(testenv.ModuleRoot(), "e2e")
		cmd.Env = append(os.Environ(), upgradeTagsEnv+"="+tags)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("upgrade_guarded")
	require.NoError(t, err, "the rolling upgrade failed with a change under a marker:\n%s", out)
	out, err = run("upgrade_unguarded")
	require.Error(t, err, "the rolling upgrade passed with an unguarded change:\n%s", out)
	require.Contains(t, out, "a workflow task failed on the new build", "it failed for another reason:\n%s", out)
	require.Contains(t, out, enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR.String(), "%s", out)
}

// knowsVersioning reports whether the worker in a source tree reads WORKER_DEPLOYMENT_NAME (an
// older one ignores it and polls unversioned).
func knowsVersioning(sourceDir string) bool {
	data, err := os.ReadFile(filepath.Join(sourceDir, "config", "deployment.go"))
	return err == nil && strings.Contains(string(data), "WORKER_DEPLOYMENT_NAME")
}

// setCurrent makes a build the deployment's current version with the deploy script (README
// "Deploying a new version"), which waits for the version's first poller.
func setCurrent(t *testing.T, s *testenv.Stack, build string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(testenv.ModuleRoot(), "scripts", "set-current-version.sh"))
	cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+s.Temporal.HostPort, "TEMPORAL_NAMESPACE=default",
		"WORKER_DEPLOYMENT_NAME="+upgradeDeployment, "WORKER_BUILD_ID="+build)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	d, err := s.Client.WorkerDeploymentClient().GetHandle(upgradeDeployment).Describe(t.Context(), client.WorkerDeploymentDescribeOptions{})
	require.NoError(t, err)
	require.Equal(t, build, d.Info.RoutingConfig.CurrentVersion.BuildID)
}

// waitOnNewBuild waits for an engagement's status like WaitStatus, failing at once, with the
// cause, when one of its workflow tasks fails.
func waitOnNewBuild(t *testing.T, s *testenv.Stack, vendor, id, what string, cond func(engagement.Status) bool) {
	t.Helper()
	wf := engagement.WorkflowID(vendor, id)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if failure := taskFailure(t, s, wf); failure != "" {
			t.Fatalf("%s: a workflow task failed on the new build: %s", wf, failure)
		}
		if st, ok := s.Status(vendor, id); ok && cond(st) {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("%s: %s not reached within a minute on the new build", wf, what)
}

func history(t *testing.T, s *testenv.Stack, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var events []*historypb.HistoryEvent
	it := s.Client.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		events = append(events, ev)
	}
	return events
}

// taskFailure is the cause of the first failed workflow task of the workflow's latest run, "" if
// none. UNHANDLED_COMMAND is not a failure of the code: the server refused a completion
// because an event arrived meanwhile (a signal, a child's completion), and the worker ran the
// task again with it.
func taskFailure(t *testing.T, s *testenv.Stack, workflowID string) string {
	for _, ev := range history(t, s, workflowID) {
		if a := ev.GetWorkflowTaskFailedEventAttributes(); a != nil && a.GetCause() != enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND {
			return a.GetCause().String()
		}
	}
	return ""
}

// timerPending reports whether the workflow has a timer started and neither fired nor cancelled.
func timerPending(t *testing.T, s *testenv.Stack, workflowID string) bool {
	open := map[string]bool{}
	for _, ev := range history(t, s, workflowID) {
		switch {
		case ev.GetTimerStartedEventAttributes() != nil:
			open[ev.GetTimerStartedEventAttributes().GetTimerId()] = true
		case ev.GetTimerFiredEventAttributes() != nil:
			delete(open, ev.GetTimerFiredEventAttributes().GetTimerId())
		case ev.GetTimerCanceledEventAttributes() != nil:
			delete(open, ev.GetTimerCanceledEventAttributes().GetTimerId())
		}
	}
	return len(open) > 0
}

// taskBuilds are the Build IDs of the workers that completed the workflow's tasks, in order.
func taskBuilds(t *testing.T, s *testenv.Stack, workflowID string) []string {
	var builds []string
	for _, ev := range history(t, s, workflowID) {
		if a := ev.GetWorkflowTaskCompletedEventAttributes(); a != nil {
			builds = append(builds, a.GetDeploymentVersion().GetBuildId())
		}
	}
	require.NotEmpty(t, builds, workflowID)
	return builds
}

// assertNoWorkflowTaskFailed checks every workflow of the namespace (engagements,
// coordinators, routers).
func assertNoWorkflowTaskFailed(t *testing.T, s *testenv.Stack) {
	t.Helper()
	resp, err := s.Client.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 1000})
	require.NoError(t, err)
	require.NotEmpty(t, resp.Executions)
	for _, ex := range resp.Executions {
		id := ex.GetExecution().GetWorkflowId()
		if strings.HasPrefix(id, "temporal-sys-") {
			continue // the server's own deployment workflows
		}
		assert.Empty(t, taskFailure(t, s, id), "%s: %s", id, fmt.Sprint(ex.GetType().GetName()))
	}
}
