package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// day is a date n days from now, at 00:00 UTC.
func day(n int) time.Time {
	return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, n)
}

// example returns an engagement of a platform with ids unique to the test.
func example(platform, id string, email string, hourly bool) platformsim.Example {
	rate := map[string]string{"remote": "5000.00", "workmarket": "325.00", "upwork": "75.00", "jobdiva": "95.00"}[platform]
	return platformsim.Example{ID: id, ContractorID: "c-" + id, Email: email, Rate: rate, Hourly: hourly, Start: day(7), End: day(37)}
}

// hook sends a signed webhook of the example through the sandbox and returns the answer. An
// end or cancel first shows on the platform's record, as it would on the platform (the
// product re-reads it: the body alone ends nothing).
func hook(t *testing.T, s *testenv.Stack, platform, kind string, ex platformsim.Example, eventID, ref string) (int, map[string]any) {
	t.Helper()
	if status := platformsim.EndStatus(platform, kind); status != "" {
		ex.Status = status
		require.NoError(t, s.Platforms.Seed(platform, ex))
	}
	body, err := platformsim.WebhookBody(platform, kind, ex, eventID, ref, time.Now())
	require.NoError(t, err)
	status, resp, err := s.Platforms.SendWebhook(context.Background(), platform, body)
	require.NoError(t, err)
	var out map[string]any
	_ = json.Unmarshal(resp, &out)
	return status, out
}

// ops calls the operator API.
func ops(t *testing.T, s *testenv.Stack, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.IngressURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+testenv.OpsToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// posts lists the 1099Policy sandbox's successful POSTs to a path (prefix match).
func posts(s *testenv.Stack, path string) []policysim.LoggedRequest {
	var out []policysim.LoggedRequest
	for _, r := range s.Policy.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/api/v1"+path) && r.Status < 300 {
			out = append(out, r)
		}
	}
	return out
}

// postsFor keeps the POSTs whose body names the engagement's workflow ID.
func postsFor(s *testenv.Stack, path, workflowID string) []policysim.LoggedRequest {
	var out []policysim.LoggedRequest
	for _, r := range posts(s, path) {
		if strings.Contains(r.Body, fmt.Sprintf("%q", workflowID)) || strings.Contains(r.Body, workflowID+"\r\n") {
			out = append(out, r)
		}
	}
	return out
}

// signalsApplied counts a workflow's signals of one name that a completed workflow task took
// in: the workflow code has run with them (a signal recorded before a task starts is handed to
// that task).
func signalsApplied(t *testing.T, s *testenv.Stack, workflowID, name string) int {
	t.Helper()
	received, applied := 0, 0
	for _, ev := range history(t, s, workflowID) {
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil && a.GetSignalName() == name {
			received++
		}
		if ev.GetWorkflowTaskCompletedEventAttributes() != nil {
			applied = received
		}
	}
	return applied
}

// waitSignalsApplied waits until the workflow has taken in at least n signals of a name.
func waitSignalsApplied(t *testing.T, s *testenv.Stack, workflowID, name string, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return signalsApplied(t, s, workflowID, name) >= n }, time.Minute, 200*time.Millisecond,
		"%s took in %d %s signals", workflowID, n, name)
}

// quietWindow is how long a "nothing more happened" check watches, once the product has
// demonstrably processed the event it is about.
const quietWindow = 1500 * time.Millisecond

// staysTrue checks cond over quietWindow, failing at the first moment it does not hold. Call
// it only after the product demonstrably processed what could break cond (a signal taken in,
// a record re-read): the window then bounds a late effect, it does not stand in for waiting.
func staysTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	assert.Never(t, func() bool { return !cond() }, quietWindow, 100*time.Millisecond, what)
}
