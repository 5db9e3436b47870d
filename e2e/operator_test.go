package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// opsRequest sends an operator request with the token (and an Idempotency-Key when given)
// and decodes the JSON answer.
func opsRequest(t *testing.T, s *testenv.Stack, method, path, key, contentType string, body io.Reader) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.IngressURL+path, body)
	req.Header.Set("Authorization", "Bearer "+testenv.OpsToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// opsWithKey calls an operator action with an Idempotency-Key.
func opsWithKey(t *testing.T, s *testenv.Stack, path, key string) (int, map[string]any) {
	t.Helper()
	return opsRequest(t, s, http.MethodPost, path, key, "", nil)
}

// Operator actions are Updates: they answer with the status after the change, 409 with the
// reason when they do not apply, and an Idempotency-Key counts once (issue 13).
func TestOperatorActionsAsUpdates(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second})

	t.Run("parked, fixed, retried", func(t *testing.T) {
		// Not parallel: the injected fault must reach this engagement's job, not another's.
		// The sandbox keeps a refusal under its idempotency key, as 1099Policy may: the retry
		// goes through only because it sends the step under a new key generation.
		pcase := cases[2]
		ex := example(pcase.name, "op-retry", "op-retry@example.com", pcase.hourly)
		s.Policy.AddFault(policysim.Fault{PathPrefix: "/api/v1/jobs", Status: http.StatusBadRequest, Count: 1})
		start(t, s, pcase, ex)
		s.WaitStatus(t, pcase.name, ex.ID, time.Minute, "NEEDS_ATTENTION", is(engagement.StatusNeedsAttention))
		code, out := opsWithKey(t, s, "/v1/engagements/upwork/"+ex.ID+"/actions/retry", "retry-1")
		require.Equal(t, http.StatusOK, code, "%v", out)
		assert.NotEqual(t, string(engagement.StatusNeedsAttention), out["coverage_status"], "the answer shows the change")
		s.WaitStatus(t, pcase.name, ex.ID, 30*time.Second, "INSURED after the retry", is(engagement.StatusInsured))
		// The job's POSTs: refused under generation 0, created under generation 1 (the key is
		// <workflow id>/<step>/g<generation>, workflows/ids.go).
		var jobPosts []string
		for _, r := range s.Policy.Requests() {
			if r.Method == http.MethodPost && r.Path == "/api/v1/jobs" && strings.Contains(r.Body, `"engagement:upwork:op-retry"`) {
				jobPosts = append(jobPosts, fmt.Sprintf("%d %s", r.Status, r.Header(pc.HeaderIdempotentKey)))
			}
		}
		assert.Equal(t, []string{"400 engagement:upwork:op-retry/job/g0", "201 engagement:upwork:op-retry/job/g1"}, jobPosts)
		code, out = opsWithKey(t, s, "/v1/engagements/upwork/"+ex.ID+"/actions/retry", "")
		assert.Equal(t, http.StatusConflict, code)
		assert.Contains(t, out["error"], "nothing is parked")
		code, out = opsWithKey(t, s, "/v1/engagements/upwork/"+ex.ID+"/actions/approve-certificate", "")
		assert.Equal(t, http.StatusConflict, code)
		assert.Contains(t, out["error"], "no certificate")
	})

	t.Run("resend-session makes a new session once per Idempotency-Key", func(t *testing.T) {
		t.Parallel()
		pcase := cases[0]
		ex := example(pcase.name, "op-resend", "op-resend"+policysim.ManualEmailSuffix, pcase.hourly)
		start(t, s, pcase, ex)
		first := s.WaitStatus(t, pcase.name, ex.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
		for range 2 {
			code, out := opsWithKey(t, s, "/v1/engagements/remote/"+ex.ID+"/actions/resend-session", "resend-1")
			require.Equal(t, http.StatusOK, code, "%v", out)
		}
		st := s.WaitStatus(t, pcase.name, ex.ID, time.Minute, "a new session", func(st engagement.Status) bool {
			return st.Policy.SessionID != "" && st.Policy.SessionID != first.Policy.SessionID
		})
		// Both Updates answered, so both were applied (the second as the first's replay): a
		// second new session would show within the window.
		staysTrue(t, "the same key counts once: the first session and one new one", func() bool {
			return len(postsFor(s, "/apply/sessions", engagement.WorkflowID("remote", ex.ID))) == 2
		})
		expired := false
		for _, r := range posts(s, "/apply/sessions/"+first.Policy.SessionID+"/expire") {
			expired = expired || r.Status == http.StatusOK
		}
		assert.True(t, expired, "the old session was expired")
		assert.NotEqual(t, first.Policy.SessionURL, st.Policy.SessionURL)
	})

	t.Run("end before the start cancels the assignment; actions on a closed engagement are 409", func(t *testing.T) {
		t.Parallel()
		pcase := cases[1]
		email := "op-end@example.com"
		ex := example(pcase.name, "op-end", email, pcase.hourly)
		returning(t, s, productEmail(pcase.name, ex), true)
		start(t, s, pcase, ex)
		insured := s.WaitStatus(t, pcase.name, ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
		code, out := opsWithKey(t, s, "/v1/engagements/workmarket/"+ex.ID+"/actions/end", "end-1")
		require.Equal(t, http.StatusOK, code, "%v", out)
		assert.Equal(t, string(engagement.StatusCanceled), out["coverage_status"], "the answer comes after the end took effect")
		cancels := 0
		for _, r := range posts(s, "/assignments/cancel") {
			if strings.Contains(r.Body, `"job_id":"`+insured.Policy.JobID+`"`) {
				cancels++
			}
		}
		assert.Equal(t, 1, cancels)
		s.WaitClosed(t, engagement.WorkflowID("workmarket", ex.ID))
		code, out = opsWithKey(t, s, "/v1/engagements/workmarket/"+ex.ID+"/actions/retry", "")
		assert.Equal(t, http.StatusConflict, code)
		assert.Contains(t, out["error"], "ended")
	})

	t.Run("a cancellation from Temporal is an operator end", func(t *testing.T) {
		t.Parallel()
		pcase := cases[0]
		email := "op-cancel@example.com"
		ex := example(pcase.name, "op-cancel", email, pcase.hourly)
		returning(t, s, productEmail(pcase.name, ex), true)
		start(t, s, pcase, ex)
		insured := s.WaitStatus(t, pcase.name, ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
		wid := engagement.WorkflowID("remote", ex.ID)
		out, err := exec.Command(testenv.CLIPath(t), "workflow", "cancel", "--address", s.Temporal.HostPort, "--namespace", "default", "-w", wid).CombinedOutput()
		require.NoError(t, err, string(out))
		s.WaitClosed(t, wid)
		var final engagement.Status
		require.NoError(t, s.Client.GetWorkflow(t.Context(), wid, "").Get(t.Context(), &final), "the workflow completes, not cancelled half-way")
		assert.Equal(t, engagement.StatusCanceled, final.CoverageStatus)
		assert.Contains(t, final.Transitions[len(final.Transitions)-1].Cause, "cancelled from Temporal")
		cancels := 0
		for _, r := range posts(s, "/assignments/cancel") {
			if strings.Contains(r.Body, `"job_id":"`+insured.Policy.JobID+`"`) {
				cancels++
			}
		}
		assert.Equal(t, 1, cancels, "the assignment was cancelled (before the start)")
	})
}

// postCertificate sends a certificate to the intake route as multipart field "certificate".
func postCertificate(t *testing.T, s *testenv.Stack, vendor, id, name string, pdf []byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("certificate", name)
	require.NoError(t, err)
	_, _ = part.Write(pdf)
	require.NoError(t, mw.Close())
	return opsRequest(t, s, http.MethodPost, "/v1/engagements/"+vendor+"/"+id+"/certificates", "", mw.FormDataContentType(), &buf)
}

// TestCertificateIntake: a Remote engagement (Remote has no certificate object) gets its
// certificate through the intake route; an approved one covers it, a flagged one is rejected by
// an operator.
func TestCertificateIntake(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{})
	pcase := cases[0]
	ok := example(pcase.name, "intake-ok", "intake-ok"+policysim.ManualEmailSuffix, pcase.hourly)
	start(t, s, pcase, ok)
	s.WaitStatus(t, pcase.name, ok.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	code, out := postCertificate(t, s, "remote", ok.ID, "coi.pdf", []byte("%PDF-1.4 certificate"))
	require.Equal(t, http.StatusOK, code, "%v", out)
	assert.Equal(t, string(engagement.CertificatePending), out["certificate_status"])
	st := s.WaitStatus(t, pcase.name, ok.ID, time.Minute, "certificate APPROVED", func(st engagement.Status) bool {
		return st.CertificateStatus == engagement.CertificateApproved
	})
	assert.Equal(t, engagement.StatusInsured, st.CoverageStatus)
	certs := postsFor(s, "/files/certificates", engagement.WorkflowID("remote", ok.ID))
	require.Len(t, certs, 1)
	assert.Contains(t, certs[0].Body, `name="custom_metadata[contract_id]"`+"\r\n\r\n"+ok.ID+"\r\n", "the guide's key, as on every other object")
	code, _ = postCertificate(t, s, "remote", ok.ID, "coi.pdf", []byte("%PDF-1.4 certificate"))
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 1, s.Policy.Counts().Certificates[engagement.WorkflowID("remote", ok.ID)], "the same file again makes no second certificate")

	flag := example(pcase.name, "intake-flag", "intake-flag"+policysim.ManualEmailSuffix, pcase.hourly)
	start(t, s, pcase, flag)
	s.WaitStatus(t, pcase.name, flag.ID, time.Minute, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	code, _ = postCertificate(t, s, "remote", flag.ID, "coi-flag.pdf", []byte("%PDF-1.4 flagged"))
	require.Equal(t, http.StatusOK, code)
	s.WaitStatus(t, pcase.name, flag.ID, time.Minute, "FLAGGED", func(st engagement.Status) bool { return st.CertificateStatus == engagement.CertificateFlagged })
	code, resp := opsWithKey(t, s, "/v1/engagements/remote/"+flag.ID+"/actions/reject-certificate", "reject-1")
	require.Equal(t, http.StatusOK, code, "%v", resp)
	assert.Equal(t, string(engagement.CertificateDenied), resp["certificate_status"])

	code, _ = postCertificate(t, s, "remote", flag.ID, "notes.txt", []byte("not a pdf"))
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = postCertificate(t, s, "remote", "nobody", "coi.pdf", []byte("%PDF-1.4"))
	assert.Equal(t, http.StatusNotFound, code)
}

// TestStartUpRefusesANamespaceWithoutItsSearchAttributes: a worker (and an ingress) pointed at
// a namespace missing a search attribute exits at once with one line naming it and the
// command that registers it, instead of wedging every workflow.
func TestStartUpRefusesANamespaceWithoutItsSearchAttributes(t *testing.T) {
	dev := testenv.StartDevServer(t)
	out, err := exec.Command(testenv.CLIPath(t), "operator", "namespace", "create", "--address", dev.HostPort, "-n", "bare").CombinedOutput()
	require.NoError(t, err, string(out))
	env := []string{"TEMPORAL_ADDRESS=" + dev.HostPort, "TEMPORAL_NAMESPACE=bare", "POLICY_API_KEY=k", "POLICY_WEBHOOK_SECRET=s",
		"OPS_API_TOKEN=t", "LISTEN_ADDR=" + testenv.FreeAddr(t), "METRICS_ADDR=" + testenv.FreeAddr(t), "POLICY_EVENTS_POLL_INTERVAL=0"}
	for _, binary := range []string{"worker", "starter"} {
		cmd := exec.Command(testenv.Binaries(t) + "/" + binary)
		cmd.Env = append(cmd.Environ(), env...)
		done := make(chan struct{})
		var output []byte
		var runErr error
		go func() { output, runErr = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("%s did not stop on a namespace without search attributes", binary)
		}
		require.Error(t, runErr, "%s exits non-zero", binary)
		lines := strings.Split(strings.TrimSpace(string(output)), "\n")
		last := lines[len(lines)-1]
		assert.Contains(t, last, "search attribute CertificateStatus is not registered in namespace bare", binary)
		assert.Contains(t, last, "temporal operator search-attribute create --namespace bare --name CertificateStatus --type Keyword", binary)
	}
}
