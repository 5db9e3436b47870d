package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// Upwork and JobDiva on their live APIs, enrollment and backfill (issue 12).
func TestUpworkAndJobDivaLiveAndGoingLive(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, PollInterval: "2s"})

	t.Run("an Upwork contract is enrolled, then polled to its end", func(t *testing.T) {
		t.Parallel()
		email := "upwork-enrolled@example.com"
		ex := example("upwork", "upwork-enrolled", email, true)
		returning(t, s, productEmail("upwork", ex), true)
		ex.Start = day(-1)
		require.NoError(t, s.Platforms.Seed("upwork", ex))
		code, out := ops(t, s, http.MethodPost, "/v1/engagements/upwork/"+ex.ID, nil)
		require.Equal(t, http.StatusOK, code, string(out))
		assert.Equal(t, map[string]any{"status": "accepted", "workflow_id": engagement.WorkflowID("upwork", ex.ID)}, decode(t, string(out)))
		s.WaitStatus(t, "upwork", ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
		code, out = ops(t, s, http.MethodPost, "/v1/engagements/upwork/"+ex.ID, nil)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "running", decode(t, string(out))["status"], "enrolled twice: already running")

		ex.Status = "CLOSED" // ended on Upwork; no event announces it
		require.NoError(t, s.Platforms.Seed("upwork", ex))
		s.WaitStatus(t, "upwork", ex.ID, time.Minute, "ENDED by the poller", is(engagement.StatusEnded))
		s.WaitClosed(t, engagement.WorkflowID("upwork", ex.ID))
		code, out = ops(t, s, http.MethodPost, "/v1/engagements/upwork/"+ex.ID, nil)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "closed", decode(t, string(out))["status"])
	})

	t.Run("a JobDiva start found by polling alone; rate change by billing webhook; timesheet invoice once", func(t *testing.T) {
		t.Parallel()
		email := "jobdiva-polled-start@example.com"
		ex := example("jobdiva", "778001", email, true)
		returning(t, s, productEmail("jobdiva", ex), true)
		require.NoError(t, s.Platforms.Seed("jobdiva", ex))
		st := s.WaitStatus(t, "jobdiva", ex.ID, time.Minute, "INSURED via UpdatedHires", is(engagement.StatusInsured))

		ex.Rate = "105.00"
		require.NoError(t, s.Platforms.Seed("jobdiva", ex))
		body, err := platformsim.WebhookBody("jobdiva", platformsim.HookUpdate, ex, "", "", time.Now())
		require.NoError(t, err)
		status, answer, err := s.Platforms.SendWebhook(context.Background(), "jobdiva", body)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "true", string(answer), "JobDiva reads the answer as a boolean")
		require.Eventually(t, func() bool {
			for _, r := range s.Policy.Requests() {
				if r.Method == http.MethodPut && r.Path == "/api/v1/jobs/"+st.Policy.JobID && strings.Contains(r.Body, `"wage":10500`) {
					return true
				}
			}
			return false
		}, time.Minute, 200*time.Millisecond, "the job's wage followed the billing change")

		require.NoError(t, s.Platforms.SeedInvoice("jobdiva", ex, "ts-778001", "3,800.00"))
		wid := engagement.WorkflowID("jobdiva", ex.ID)
		signalled := signalsApplied(t, s, wid, engagement.SignalPlatformEvent)
		for i := range 2 {
			body, _ := platformsim.WebhookBody("jobdiva", platformsim.HookInvoice, ex, fmt.Sprint(i), "ts-778001", time.Now())
			status, answer, err := s.Platforms.SendWebhook(context.Background(), "jobdiva", body)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, "true", string(answer))
		}
		s.WaitStatus(t, "jobdiva", ex.ID, time.Minute, "invoice", func(st engagement.Status) bool { return len(st.Policy.InvoiceIDs) == 1 })
		waitSignalsApplied(t, s, wid, engagement.SignalPlatformEvent, signalled+2) // both deliveries taken in
		staysTrue(t, "once per timesheet", func() bool { return len(postsFor(s, "/invoices", wid)) == 1 })
		invs := postsFor(s, "/invoices", wid)
		require.Len(t, invs, 1, "once per timesheet")
		assert.EqualValues(t, 380000, decode(t, invs[0].Body)["gross_pay"])
	})

	t.Run("a backfill enrolls exactly the open contractor engagements, twice without duplicates", func(t *testing.T) {
		t.Parallel()
		var want, skip []platformsim.Example
		for i := range 3 {
			ex := example("remote", fmt.Sprintf("bf-contractor-%d", i), fmt.Sprintf("bf-%d@example.com", i), false)
			ex.Start = day(-400) // listed, but long unchanged: only a backfill brings it in
			ex.End = day(60)
			want = append(want, ex)
		}
		employee := example("remote", "bf-employee", "bf-emp@example.com", false)
		employee.Type = "employee"
		archived := example("remote", "bf-archived", "bf-arch@example.com", false)
		archived.Status = "archived"
		skip = append(skip, employee, archived)
		for _, ex := range append(append([]platformsim.Example{}, want...), skip...) {
			require.NoError(t, s.Platforms.Seed("remote", ex))
		}
		for run := range 2 {
			code, out := ops(t, s, http.MethodPost, "/v1/backfill/remote", nil)
			require.Equal(t, http.StatusAccepted, code, string(out))
			var ans struct {
				WorkflowID string `json:"workflow_id"`
			}
			require.NoError(t, json.Unmarshal(out, &ans))
			var res engagement.BackfillResult
			require.NoError(t, s.Client.GetWorkflow(context.Background(), ans.WorkflowID, "").Get(context.Background(), &res), "run %d", run)
			assert.GreaterOrEqual(t, res.Enrolled, len(want), "run %d: %+v", run, res)
			for _, ex := range want {
				s.WaitStatus(t, "remote", ex.ID, time.Minute, "covered after the backfill", func(st engagement.Status) bool {
					return st.CoverageStatus == engagement.StatusInsured || st.CoverageStatus == engagement.StatusAwaitingApplication ||
						st.CoverageStatus == engagement.StatusApplicationInProgress
				})
			}
		}
		for _, ex := range skip {
			_, exists := s.Status("remote", ex.ID)
			assert.False(t, exists, "%s is not enrolled", ex.ID)
		}
		counts := s.Policy.Counts()
		for _, ex := range want {
			wid := engagement.WorkflowID("remote", ex.ID)
			assert.Equal(t, 1, counts.Jobs[wid], "one job for %s after two backfills", wid)
			assert.LessOrEqual(t, counts.Quotes[wid], 1, wid)
		}
	})

	t.Run("enrollment answers 400, 404 and 401 as it should", func(t *testing.T) {
		t.Parallel()
		code, out := ops(t, s, http.MethodPost, "/v1/engagements/jobdiva/778555", nil)
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Contains(t, string(out), "candidate_id")
		code, out = ops(t, s, http.MethodPost, "/v1/backfill/upwork", map[string]any{})
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Contains(t, string(out), "contract_ids")
		code, _ = ops(t, s, http.MethodPost, "/v1/engagements/fiverr/1", nil)
		assert.Equal(t, http.StatusNotFound, code)
		req, _ := http.NewRequest(http.MethodPost, s.IngressURL+"/v1/backfill/remote", nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})
}
