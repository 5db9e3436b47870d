package e2e

import (
	"net/http/httptest"

	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/notify"

	"github.com/coverage-orchestrator/coverage/engagement"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// TestRecordGoldenHistories runs representative runs of every workflow type on a real dev
// server and exports their histories with the Temporal CLI into
// workflows/testdata/golden/<release>, where the replay test of `make test` reads them beside
// those of every earlier release still kept. Run it for each release before tagging it
// (make golden RELEASE=vX.Y.Z; README "Changing a workflow").
func TestRecordGoldenHistories(t *testing.T) {
	release := os.Getenv("UPDATE_GOLDEN")
	if release == "" {
		t.Skip("set UPDATE_GOLDEN=<release> (make golden RELEASE=vX.Y.Z) to record golden histories")
	}
	require.Regexp(t, `^v\d+\.\d+\.\d+$`, release, "UPDATE_GOLDEN names the release the histories are for, like its tag")
	// The pollers run too, so a run of each is recorded.
	// A notification receiver, so the engagements hand their notifications to a sender workflow.
	notified := &receiver{t: t}
	receiverSrv := httptest.NewServer(notified)
	defer receiverSrv.Close()
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, PollInterval: "15s", PolicyEventsPoll: "15s",
		ExtraEnv: []string{"NOTIFY_WEBHOOK_URLS=" + receiverSrv.URL + "/hook", "NOTIFY_WEBHOOK_SECRET=" + notifySecret}})
	// Payloads are encrypted with the test key (testenv.PayloadKeys).
	dir := filepath.Join(testenv.ModuleRoot(), "workflows", "testdata", "golden", release)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	exportID := func(name, workflowID string) {
		out, err := exec.Command(testenv.CLIPath(t), "workflow", "show", "--address", s.Temporal.HostPort, "--namespace", "default",
			"-w", workflowID, "--output", "json").Output()
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".json"), out, 0o644))
	}
	export := func(name, platform, id string) { exportID(name, engagement.WorkflowID(platform, id)) }
	end := func(platform string, ex platformsim.Example, kind string, want engagement.CoverageStatus) {
		status, _ := hook(t, s, platform, kind, ex, "end-"+ex.ID, "")
		require.Equal(t, 200, status)
		s.WaitStatus(t, platform, ex.ID, time.Minute, string(want), is(want))
	}

	// First-time contractor: contractor, job, quote, session, application, policy, cancel.
	first := example("remote", "golden-first", "", false)
	start(t, s, cases[0], first)
	s.WaitStatus(t, "remote", first.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
	end("remote", first, platformsim.HookCancel, engagement.StatusCanceled)
	s.WaitClosed(t, engagement.WorkflowID("remote", first.ID))
	export("first_time_remote", "remote", first.ID)
	// Its contractor's session coordinator and the routing of its policy.active.
	notified.waitFor(t, engagement.WorkflowID("remote", first.ID), notify.EngagementCanceled)
	s.WaitClosed(t, engagement.NotificationSenderWorkflowID(engagement.WorkflowID("remote", first.ID)))
	exportID("notification_sender", engagement.NotificationSenderWorkflowID(engagement.WorkflowID("remote", first.ID)))
	firstStatus, _ := s.Status("remote", first.ID)
	exportID("coordinator", engagement.ContractorWorkflowID(firstStatus.Policy.ContractorID))
	for _, ev := range s.Policy.Events() {
		if ev.Type == "policy.active" && ev.QuoteID != "" {
			exportID("router", engagement.PolicyEventWorkflowID(ev.ID))
			break
		}
	}

	// A backfill of two Remote employments.
	for i := range 2 {
		ex := example("remote", fmt.Sprintf("golden-backfill-%d", i), fmt.Sprintf("golden-bf-%d@example.com", i), false)
		require.NoError(t, s.Platforms.Seed("remote", ex))
	}
	code, body := ops(t, s, "POST", "/v1/backfill/remote", nil)
	require.Equal(t, 202, code, string(body))
	var started struct {
		WorkflowID string `json:"workflow_id"`
	}
	require.NoError(t, json.Unmarshal(body, &started))
	require.NoError(t, s.Client.GetWorkflow(t.Context(), started.WorkflowID, "").Get(t.Context(), nil))
	exportID("backfill_remote", started.WorkflowID)

	// Returning contractor: assignment, date change, invoice (paid), end after start.
	returning(t, s, "golden-returning@example.com", true)
	ret := example("workmarket", "golden-returning", "golden-returning@example.com", true)
	ret.Start = day(-1)
	start(t, s, cases[1], ret)
	s.WaitStatus(t, "workmarket", ret.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
	ret.End = ret.End.AddDate(0, 0, 5)
	require.NoError(t, s.Platforms.Seed("workmarket", ret))
	status, _ := hook(t, s, "workmarket", platformsim.HookUpdate, ret, "upd", "")
	require.Equal(t, 200, status)
	s.WaitStatus(t, "workmarket", ret.ID, time.Minute, "window moved", func(st engagement.Status) bool {
		return strings.Contains(fmt.Sprint(st.Transitions), "coverage window moved")
	})
	require.NoError(t, s.Platforms.SeedInvoice("workmarket", ret, "INV-golden", "3800.00"))
	status, _ = hook(t, s, "workmarket", platformsim.HookInvoice, ret, "paid", "")
	require.Equal(t, 200, status)
	s.WaitStatus(t, "workmarket", ret.ID, time.Minute, "ENDED", is(engagement.StatusEnded))
	s.WaitClosed(t, engagement.WorkflowID("workmarket", ret.ID))
	export("returning_workmarket", "workmarket", ret.ID)

	// Certificate flagged, approved by an operator, then cancelled.
	coi := example("workmarket", "golden-coi", "golden-coi@manual.example", true)
	start(t, s, cases[1], coi)
	s.WaitStatus(t, "workmarket", coi.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	require.NoError(t, s.Platforms.SeedDocument("workmarket", coi, "flag-golden", "coi-flag.pdf", []byte("%PDF-1.4")))
	status, _ = hook(t, s, "workmarket", platformsim.HookCOI, coi, "coi", "flag-golden")
	require.Equal(t, 200, status)
	s.WaitStatus(t, "workmarket", coi.ID, time.Minute, "FLAGGED", func(st engagement.Status) bool { return st.CertificateStatus == engagement.CertificateFlagged })
	code, _ = ops(t, s, "POST", "/v1/engagements/workmarket/"+coi.ID+"/actions/approve-certificate", nil)
	require.Equal(t, 200, code)
	s.WaitStatus(t, "workmarket", coi.ID, time.Minute, "APPROVED", func(st engagement.Status) bool { return st.CertificateStatus == engagement.CertificateApproved })
	end("workmarket", coi, platformsim.HookCancel, engagement.StatusCanceled)
	s.WaitClosed(t, engagement.WorkflowID("workmarket", coi.ID))
	export("certificate_workmarket", "workmarket", coi.ID)

	// One completed run of each poller.
	for name, wfType := range map[string]string{"platform_poller": engagement.WorkflowPollPlatform, "policy_events_poller": engagement.WorkflowPolicyEventsPoller} {
		query := engagement.WorkflowsOfType(wfType).Completed().String()
		var id string
		require.Eventually(t, func() bool {
			resp, err := s.Client.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query, PageSize: 1})
			if err != nil || len(resp.GetExecutions()) == 0 {
				return false
			}
			id = resp.GetExecutions()[0].GetExecution().GetWorkflowId()
			return true
		}, 2*time.Minute, time.Second, wfType)
		exportID(name, id)
	}
}
