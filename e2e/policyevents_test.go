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

	"github.com/coverage-orchestrator/coverage/workflows"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// Coverage never depends on 1099Policy's webhooks alone (issue 17): the events poller finds
// what no webhook delivered, an event seen both ways counts once, and in refetch mode only
// events that exist in the account are acted on.

// policyActiveOf finds the policy.active event 1099Policy recorded for an engagement's quote.
func policyActiveOf(t *testing.T, s *testenv.Stack, quoteID string) pc.Event {
	t.Helper()
	var found pc.Event
	require.Eventually(t, func() bool {
		for _, ev := range s.Policy.Events() {
			if ev.Type == pc.EventPolicyActive && ev.QuoteID == quoteID {
				found = ev
				return true
			}
		}
		return false
	}, time.Minute, 200*time.Millisecond, "1099Policy issues a policy for quote %s", quoteID)
	return found
}

// rawEvent is the event's body exactly as 1099Policy lists it.
func rawEvent(t *testing.T, s *testenv.Stack, id string) []byte {
	t.Helper()
	resp, err := http.Get(s.PolicyURL + "/sandbox/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	var all []json.RawMessage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&all))
	for _, raw := range all {
		if ev, err := pc.ParseEvent(raw); err == nil && ev.ID == id {
			return raw
		}
	}
	t.Fatalf("no event %s in the sandbox", id)
	return nil
}

// policyWebhook posts a body to the ingress's 1099Policy route, signed when signed is true.
func policyWebhook(t *testing.T, s *testenv.Stack, body []byte, signed bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.IngressURL+"/webhooks/1099policy", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signed {
		req.Header.Set(pc.HeaderSignature, policysim.SignEvent(testenv.PolicySecret, time.Now(), body))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

// workerMetric sums a Prometheus counter of the worker's /metrics.
func workerMetric(t *testing.T, s *testenv.Stack, name string) float64 {
	t.Helper()
	addr := ""
	for _, kv := range s.Env {
		if v, ok := strings.CutPrefix(kv, "METRICS_ADDR="); ok {
			addr = v
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	total := 0.0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			var v float64
			fields := strings.Fields(line)
			fmt.Sscan(fields[len(fields)-1], &v)
			total += v
		}
	}
	return total
}

func countTo(st engagement.Status, to engagement.CoverageStatus) int {
	n := 0
	for _, tr := range st.Transitions {
		if tr.To == to && tr.From != to {
			n++
		}
	}
	return n
}

func TestPolicyEventsPoller(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, PolicyEventsPoll: "2s",
		WithheldPolicyWebhooks: []string{pc.EventPolicyActive}, ExtraEnv: []string{"POLICY_EVENTS_PAGE_SIZE=5"}})

	t.Run("policy.active never sent as a webhook still insures within one poll interval", func(t *testing.T) {
		pcase := cases[0]
		ex := example(pcase.name, "evpoll-1", "evpoll-1@example.com", pcase.hourly)
		start(t, s, pcase, ex)
		st := s.WaitStatus(t, pcase.name, ex.ID, 45*time.Second, "INSURED", is(engagement.StatusInsured))
		last := st.Transitions[len(st.Transitions)-1]
		assert.Contains(t, last.Cause, "policy.active found by the events poller", "the transition says how the event arrived")
		active := policyActiveOf(t, s, st.Policy.QuoteID)
		assert.Equal(t, active.ObjectID, st.Policy.PolicyID)
		assert.Eventually(t, func() bool { return workerMetric(t, s, "temporal_coverage_policy_events_found_by_poller") >= 1 },
			10*time.Second, 250*time.Millisecond, "the lost-webhook alarm counted it (metrics are reported every second)")

		// The same event now arrives as a (late) webhook: acknowledged, nothing changes.
		wid := engagement.WorkflowID(pcase.name, ex.ID)
		taken := signalsApplied(t, s, wid, engagement.SignalPolicyEvent)
		code, body := policyWebhook(t, s, rawEvent(t, s, active.ID), true)
		require.Equal(t, http.StatusOK, code, "%v", body)
		t.Logf("the late webhook was answered %v", body)
		if body["status"] != engagement.Duplicate { // not known at the ingress: wait until the engagement took it in
			ids, _ := body["workflow_ids"].([]any)
			require.Len(t, ids, 1, "%v", body)
			if router := ids[0].(string); router != wid {
				s.WaitClosed(t, router)
			}
			waitSignalsApplied(t, s, wid, engagement.SignalPolicyEvent, taken+1)
		}
		staysTrue(t, "an event seen both ways changes state once", func() bool {
			now, ok := s.Status(pcase.name, ex.ID)
			return !ok || len(now.Transitions) == len(st.Transitions) // a query that timed out tells nothing
		})
		after, _ := s.Status(pcase.name, ex.ID)
		assert.Equal(t, len(st.Transitions), len(after.Transitions), "an event seen both ways changes state once")
		assert.Equal(t, 1, countTo(after, engagement.StatusInsured))
		// Events the webhooks did deliver (application.*) were found by the poller too; none
		// was applied twice.
		assert.Equal(t, 1, countTo(after, engagement.StatusApplicationInProgress))
	})

	t.Run("after a pause the poller catches up through several pages", func(t *testing.T) {
		ctx := context.Background()
		schedule := s.Client.ScheduleClient().GetHandle(ctx, engagement.PolicyEventsPollerWorkflowID)
		require.NoError(t, schedule.Pause(ctx, client.SchedulePauseOptions{Note: "test: pause"}))
		before := len(s.Policy.Requests())
		var ids []string
		for i, pcase := range cases[1:] {
			ex := example(pcase.name, fmt.Sprintf("evpoll-pause-%d", i), fmt.Sprintf("evpoll-pause-%d@example.com", i), pcase.hourly)
			start(t, s, pcase, ex)
			ids = append(ids, ex.ID)
		}
		for i, pcase := range cases[1:] {
			st := s.WaitStatus(t, pcase.name, ids[i], 45*time.Second, "a session", func(st engagement.Status) bool { return st.Policy.QuoteID != "" })
			policyActiveOf(t, s, st.Policy.QuoteID) // issued while nobody polls: 4 events each pile up
			assert.NotEqual(t, engagement.StatusInsured, st.CoverageStatus)
		}
		require.NoError(t, schedule.Unpause(ctx, client.ScheduleUnpauseOptions{Note: "test: resume"}))
		for i, pcase := range cases[1:] {
			s.WaitStatus(t, pcase.name, ids[i], 45*time.Second, "INSURED after the pause", is(engagement.StatusInsured))
		}
		pages := 0
		for _, r := range s.Policy.Requests()[before:] {
			if r.Method == http.MethodGet && r.Path == "/api/v1/events" && strings.Contains(r.Query, "starting_after=") {
				pages++
			}
		}
		assert.GreaterOrEqual(t, pages, 2, "12 events at 5 a page take more than one page")
	})
}

func TestPolicyWebhookRefetch(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second,
		WithheldPolicyWebhooks: []string{pc.EventPolicyActive}, ExtraEnv: []string{"POLICY_WEBHOOK_VERIFY=refetch"}})
	pcase := cases[0]
	ex := example(pcase.name, "refetch-1", "refetch-1@example.com", pcase.hourly)
	start(t, s, pcase, ex)
	// application.* webhooks still arrive (signed, but only their ids are used).
	st := s.WaitStatus(t, pcase.name, ex.ID, 45*time.Second, "APPLICATION_IN_PROGRESS", is(engagement.StatusApplicationInProgress))
	active := policyActiveOf(t, s, st.Policy.QuoteID)

	t.Run("an id that 1099Policy does not know changes nothing", func(t *testing.T) {
		forged := []byte(fmt.Sprintf(`{"id":"ev_forged_%d","type":"policy.active","created":%d,"data":{"id":"pl_forged","quote":%q,"status":"active"}}`,
			time.Now().UnixNano(), time.Now().Unix(), st.Policy.QuoteID))
		code, body := policyWebhook(t, s, forged, false)
		require.Equal(t, http.StatusOK, code, "%v", body)
		ids, _ := body["workflow_ids"].([]any)
		require.Len(t, ids, 1)
		run := s.Client.GetWorkflow(context.Background(), ids[0].(string), "")
		err := run.Get(context.Background(), nil)
		var notFound *temporal.ApplicationError
		require.ErrorAs(t, err, &notFound, "the router fails: nothing delivered for an unknown event")
		assert.Equal(t, workflows.ErrEventNotFound, notFound.Type())
		now, _ := s.Status(pcase.name, ex.ID)
		assert.Equal(t, engagement.StatusApplicationInProgress, now.CoverageStatus)
		assert.Empty(t, now.Policy.PolicyID)

		// The id stays free: a later delivery under it is routed again, not answered duplicate.
		code, body = policyWebhook(t, s, forged, false)
		require.Equal(t, http.StatusOK, code, "%v", body)
		assert.Equal(t, engagement.Accepted, body["status"], "a not-found router does not occupy the event id")
	})

	t.Run("an id of another shape is refused before anything reads it", func(t *testing.T) {
		code, body := policyWebhook(t, s, []byte(`{"id":"../../admin","type":"policy.active"}`), false)
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Contains(t, fmt.Sprint(body["error"]), "event id")
	})

	t.Run("a tampered body with a real id acts on the true event", func(t *testing.T) {
		tampered := []byte(fmt.Sprintf(`{"id":%q,"type":"policy.cancelled","created":%d,"data":{"id":"pl_forged","status":"cancelled"}}`,
			active.ID, time.Now().Unix()))
		code, body := policyWebhook(t, s, tampered, false)
		require.Equal(t, http.StatusOK, code, "%v", body)
		got := s.WaitStatus(t, pcase.name, ex.ID, 30*time.Second, "INSURED from the true event", is(engagement.StatusInsured))
		assert.Equal(t, active.ObjectID, got.Policy.PolicyID, "the policy 1099Policy issued, not the body's")
	})

	t.Run("a body without an event id is refused", func(t *testing.T) {
		code, body := policyWebhook(t, s, []byte(`{"type":"policy.active","data":{"id":"pl_1"}}`), false)
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Contains(t, fmt.Sprint(body["error"]), `"id"`)
	})
}
