package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// A webhook body is a hint (vendors.md Common rules, issue 21): WorkMarket's shared-secret
// webhooks and Upwork's relay can make the product read, never end coverage by themselves.
func TestWebhookBodyIsAHint(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second})
	wm := cases[1]
	require.Equal(t, "workmarket", wm.name)
	reads := func(id string) int {
		n := 0
		for _, r := range s.Platforms.Requests() {
			if strings.HasSuffix(r.Path, "/assignments/get") && strings.Contains(r.Query, "id="+id) {
				n++
			}
		}
		return n
	}
	send := func(platform, kind string, ex platformsim.Example, eventID string, at time.Time) (int, string) {
		body, err := platformsim.WebhookBody(platform, kind, ex, eventID, "", at)
		require.NoError(t, err)
		code, answer, err := s.Platforms.SendWebhook(context.Background(), platform, body)
		require.NoError(t, err)
		return code, string(answer)
	}

	t.Run("an authenticated cancel for an assignment the platform shows active changes nothing", func(t *testing.T) {
		email := "hint-active@example.com"
		returning(t, s, email, true)
		ex := example(wm.name, "hint-active", email, false)
		start(t, s, wm, ex)
		insured := s.WaitStatus(t, wm.name, ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
		before := reads(ex.ID)
		code, answer := send(wm.name, platformsim.HookCancel, ex, "forged-cancel", time.Now()) // correctly signed; the record stays active
		require.Equal(t, http.StatusOK, code, answer)
		require.Eventually(t, func() bool { return reads(ex.ID) > before }, 30*time.Second, 100*time.Millisecond, "the assignment was re-read")
		staysTrue(t, "the platform says active: coverage stays, no assignment cancelled in 1099Policy", func() bool {
			if now, ok := s.Status(wm.name, ex.ID); ok && // a query that timed out on the loaded machine tells nothing
				(now.CoverageStatus != engagement.StatusInsured || now.Policy.AssignmentID != insured.Policy.AssignmentID) {
				return false
			}
			for _, r := range posts(s, "/assignments/cancel") {
				if strings.Contains(r.Body, insured.Policy.JobID) {
					return false
				}
			}
			return true
		})
	})

	t.Run("an end for an engagement not seen yet starts nothing and blocks nothing later", func(t *testing.T) {
		for _, platform := range []string{"workmarket", "upwork"} {
			pcase := cases[1]
			if platform == "upwork" {
				pcase = cases[2]
			}
			ex := example(platform, "hint-unseen-"+platform, "", pcase.hourly)
			code, answer := send(platform, platformsim.HookCancel, ex, "early-cancel-"+platform, time.Now())
			require.Equal(t, http.StatusOK, code, answer)
			_, exists := s.Status(platform, ex.ID)
			assert.False(t, exists, "%s: nothing started", platform)
			start(t, s, pcase, ex) // the real engagement, later: accepted, not "closed"
			s.WaitStatus(t, platform, ex.ID, time.Minute, "covered", func(st engagement.Status) bool {
				return st.CoverageStatus == engagement.StatusAwaitingApplication || st.CoverageStatus == engagement.StatusInsured ||
					st.CoverageStatus == engagement.StatusApplicationInProgress
			})
		}
	})

	t.Run("a body's future now freezes nothing; an operator reopens an id closed by mistake", func(t *testing.T) {
		email := "hint-future@example.com"
		returning(t, s, email, true)
		ex := example(wm.name, "hint-future", email, false)
		start(t, s, wm, ex)
		s.WaitStatus(t, wm.name, ex.ID, time.Minute, "INSURED", is(engagement.StatusInsured))
		code, answer := send(wm.name, platformsim.HookUpdate, ex, "future", time.Now().AddDate(1, 0, 0))
		require.Equal(t, http.StatusOK, code, answer)
		ex.Status = "cancelled"
		require.NoError(t, s.Platforms.Seed(wm.name, ex))
		code, answer = send(wm.name, platformsim.HookUpdate, ex, "after-future", time.Now())
		require.Equal(t, http.StatusOK, code, answer)
		s.WaitStatus(t, wm.name, ex.ID, time.Minute, "CANCELED by the later update", is(engagement.StatusCanceled))
		s.WaitClosed(t, engagement.WorkflowID(wm.name, ex.ID))

		// The cancellation was a mistake on the platform: the assignment is active again.
		ex.Status = ""
		require.NoError(t, s.Platforms.Seed(wm.name, ex))
		path := "/v1/engagements/" + wm.name + "/" + url.PathEscape(ex.ID)
		code, out := ops(t, s, http.MethodPost, path, nil)
		require.Equal(t, http.StatusOK, code, string(out))
		assert.Equal(t, engagement.Closed, decode(t, string(out))["status"], "a plain enrollment does not reopen")
		code, out = ops(t, s, http.MethodPost, path+"?reopen=true", nil)
		require.Equal(t, http.StatusOK, code, string(out))
		assert.Equal(t, engagement.Accepted, decode(t, string(out))["status"])
		s.WaitStatus(t, wm.name, ex.ID, time.Minute, "INSURED again", is(engagement.StatusInsured))
		code, out = ops(t, s, http.MethodPost, path+"?reopen=true", nil)
		require.Equal(t, http.StatusOK, code, string(out))
		assert.Equal(t, engagement.Running, decode(t, string(out))["status"], "a running engagement is left as it is")
	})
}
