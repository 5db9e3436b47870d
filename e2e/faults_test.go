package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

// faultEngagement is one engagement of a fault test.
type faultEngagement struct {
	platform string
	ex       platformsim.Example
	start    []byte    // the start webhook's body, or the enrollment body (JobDiva)
	at       time.Time // when it was signed: a retry resends the same body at the same time
	enroll   bool      // JobDiva sends no start webhook: the start is enrolled
}

func (e faultEngagement) workflowID() string { return engagement.WorkflowID(e.platform, e.ex.ID) }

// fleet seeds n engagements spread over the four platforms, every other one of a returning
// contractor (assignment) and the rest first-time (quote, session, completed by the sandbox).
func fleet(t *testing.T, s *testenv.Stack, prefix string, n int) []faultEngagement {
	t.Helper()
	out := make([]faultEngagement, 0, n)
	for i := range n {
		c := cases[i%len(cases)]
		id := fmt.Sprintf("%s-%02d", prefix, i)
		email := ""
		if i%2 == 0 {
			email = id + "@example.com"
		}
		ex := example(c.name, id, email, c.hourly)
		if email != "" {
			returning(t, s, productEmail(c.name, ex), true)
		}
		require.NoError(t, s.Platforms.Seed(c.name, ex))
		at := time.Now()
		if refs := platformsim.EnrollBody(c.name, ex); refs != nil {
			body, _ := json.Marshal(refs)
			out = append(out, faultEngagement{platform: c.name, ex: ex, start: body, at: at, enroll: true})
			continue
		}
		body, err := platformsim.WebhookBody(c.name, platformsim.HookStart, ex, "start-"+id, "", at)
		require.NoError(t, err)
		out = append(out, faultEngagement{platform: c.name, ex: ex, start: body, at: at})
	}
	return out
}

// sendTo delivers an engagement's start to one ingress replica (signed as its platform would,
// or enrolled for JobDiva) and returns the answer's status code (0: no answer).
func sendTo(s *testenv.Stack, ingress string, e faultEngagement) int {
	url := ingress + "/webhooks/" + e.platform
	if e.enroll {
		url = ingress + "/v1/engagements/" + e.platform + "/" + e.ex.ID
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(e.start))
	req.Header.Set("Content-Type", "application/json")
	if e.enroll {
		req.Header.Set("Authorization", "Bearer "+testenv.OpsToken)
	} else {
		for k, v := range platformsim.SignatureHeaders(e.platform, e.platform+"-webhook-secret", e.start, e.at) {
			req.Header.Set(k, v)
		}
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// deliver sends an engagement's start to the ingress as its platform would.
func deliver(s *testenv.Stack, e faultEngagement) int { return sendTo(s, s.IngressURL, e) }

// waitAllInsured waits until every engagement is INSURED: 0 lost.
func waitAllInsured(t *testing.T, s *testenv.Stack, list []faultEngagement, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	pending := map[string]faultEngagement{}
	for _, e := range list {
		pending[e.workflowID()] = e
	}
	for len(pending) > 0 && time.Now().Before(deadline) {
		for id, e := range pending {
			if st, ok := s.Status(e.platform, e.ex.ID); ok && st.CoverageStatus == engagement.StatusInsured {
				delete(pending, id)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	if len(pending) > 0 {
		var lost []string
		for id, e := range pending {
			st, _ := s.Status(e.platform, e.ex.ID)
			lost = append(lost, fmt.Sprintf("%s=%s(%s)", id, st.CoverageStatus, st.AttentionReason))
		}
		sort.Strings(lost)
		t.Fatalf("%d of %d engagements not INSURED within %s: %s", len(lost), len(list), timeout, strings.Join(lost, ", "))
	}
}

// assertNoDuplicates checks the 1099Policy sandbox holds exactly one of each object per
// engagement (and one contractor per email).
func assertNoDuplicates(t *testing.T, s *testenv.Stack, list []faultEngagement) {
	t.Helper()
	c := s.Policy.Counts()
	for _, e := range list {
		id := e.workflowID()
		assert.Equal(t, 1, c.Jobs[id], "jobs of %s", id)
		if e.ex.Email != "" {
			assert.Equal(t, 1, c.Assignments[id], "assignments of %s", id)
			assert.Equal(t, 0, c.Quotes[id], "quotes of %s", id)
		} else {
			assert.Equal(t, 1, c.Quotes[id], "quotes of %s", id)
			assert.Equal(t, 1, c.Sessions[id], "sessions of %s", id)
		}
	}
	for email, n := range c.ContractorsByEmail {
		assert.Equal(t, 1, n, "contractors with email %s", email)
	}
}

// assertStableKeys checks, from the sandbox's request log, that every create of one
// engagement's step went out under one idempotency key (however often it was retried or
// the worker restarted), and that a key always carried the same request. A retry that found
// no object sends the step's key with an "/attempt-N" suffix (a fresh key, since 1099Policy
// replays a stored 5xx for the old one); the step's key itself stays one.
var attemptSuffix = regexp.MustCompile(`/attempt-\d+$`)

func assertStableKeys(t *testing.T, s *testenv.Stack) {
	t.Helper()
	keysPerStep := map[string]map[string]bool{}
	bodyPerKey := map[string]string{}
	for _, r := range s.Policy.Requests() {
		if r.Method != http.MethodPost {
			continue
		}
		key := r.Header("Ten99Policy-Idempotent-Key")
		require.NotEmpty(t, key, "every POST carries a key: %s", r.Path)
		var body struct {
			Meta map[string]string `json:"custom_metadata"`
		}
		_ = json.Unmarshal([]byte(r.Body), &body)
		if eng := body.Meta["engagement_key"]; eng != "" {
			step := r.Path + " " + eng
			if keysPerStep[step] == nil {
				keysPerStep[step] = map[string]bool{}
			}
			keysPerStep[step][attemptSuffix.ReplaceAllString(key, "")] = true
		}
		if prev, ok := bodyPerKey[key]; ok {
			assert.Equal(t, prev, r.Path+" "+r.Body, "key %s reused for another request", key)
		}
		bodyPerKey[key] = r.Path + " " + r.Body
	}
	for step, keys := range keysPerStep {
		assert.Len(t, keys, 1, "one key for %s", step)
	}
}

func TestEveryWebhookDeliveredThreeTimes(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second, DuplicateWebhooks: true})
	list := fleet(t, s, "triple", 50)
	var wg sync.WaitGroup
	statuses := make([]int, 0, 150)
	var mu sync.Mutex
	for i, e := range list {
		copies := 1
		if i%3 == 0 {
			copies = 3 // these three copies race each other
		}
		for range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := deliver(s, e)
				mu.Lock()
				statuses = append(statuses, st)
				mu.Unlock()
			}()
		}
		for range 3 - copies {
			st := deliver(s, e)
			mu.Lock()
			statuses = append(statuses, st)
			mu.Unlock()
		}
	}
	wg.Wait()
	for _, st := range statuses {
		require.Equal(t, http.StatusOK, st)
	}
	waitAllInsured(t, s, list, 3*time.Minute)
	assertNoDuplicates(t, s, list)
	assertStableKeys(t, s)
	// Duplicates were dropped inside the workflow: each engagement read its platform once.
	fetches := map[string]int{}
	for _, r := range s.Platforms.Requests() {
		q, _ := url.ParseQuery(r.Query)
		fetches[r.Path+"#"+q.Get("id")]++ // WorkMarket names the assignment in the query
	}
	for _, e := range list {
		key := map[string]string{"remote": "/remote/v1/employments/" + e.ex.ID + "#",
			"workmarket": "/workmarket/api/v1/assignments/get#" + e.ex.ID, "jobdiva": "/jobdiva/apiv2/jobdiva/searchStart#"}[e.platform]
		if key != "" && e.platform != "jobdiva" { // Upwork is one GraphQL path, JobDiva one searchStart, for every engagement
			assert.Equal(t, 1, fetches[key], "fetches of %s", e.workflowID())
		}
	}
}

func TestWorkerKilledMidway(t *testing.T) {
	// 1099Policy answers late, so the kill lands while calls are in flight: 1099Policy has
	// created the object, the worker dies before it hears so, and the retry after the
	// activity's timeout must get the same object back, not a second one.
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: 2 * time.Second, PolicyLatency: 300 * time.Millisecond})
	list := fleet(t, s, "kill", 50)
	for i, e := range list {
		require.Equal(t, http.StatusOK, deliver(s, e))
		if i == 25 {
			time.Sleep(time.Second)
			inFlight := len(s.Policy.Requests())
			s.Worker.Kill() // SIGKILL: no graceful shutdown, activities cut mid-flight
			time.Sleep(time.Second)
			require.Greater(t, len(s.Policy.Requests()), inFlight, "calls were in flight when the worker died")
		}
	}
	time.Sleep(2 * time.Second)
	s.StartWorker()
	waitAllInsured(t, s, list, 5*time.Minute)
	assertNoDuplicates(t, s, list)
	assertStableKeys(t, s)
}

func TestPolicyAPIFailingFor30Seconds(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second})
	list := fleet(t, s, "faulty", 20)
	s.Policy.AddFault(policysim.Fault{Status: 500, Duration: 15 * time.Second})
	s.Policy.AddFault(policysim.Fault{Status: 429, RetryAfter: 2, Duration: 30 * time.Second})
	faultStart := time.Now()
	for _, e := range list {
		require.Equal(t, http.StatusOK, deliver(s, e))
	}
	// Every engagement demonstrably got as far as 1099Policy: its workflow retries an activity
	// that failed there. Then, over a bounded window, none is insured.
	for _, e := range list {
		require.Eventually(t, func() bool {
			desc, err := s.Client.DescribeWorkflowExecution(t.Context(), e.workflowID(), "")
			if err != nil {
				return false
			}
			for _, pa := range desc.GetPendingActivities() {
				if pa.GetAttempt() >= 2 {
					return true
				}
			}
			return false
		}, 30*time.Second, 200*time.Millisecond, "%s retries a 1099Policy call", e.workflowID())
	}
	staysTrue(t, "nothing can be insured while 1099Policy fails", func() bool {
		for _, e := range list {
			if st, _ := s.Status(e.platform, e.ex.ID); st.CoverageStatus == engagement.StatusInsured {
				return false
			}
		}
		return true
	})
	waitAllInsured(t, s, list, 3*time.Minute)
	assert.Greater(t, time.Since(faultStart), 30*time.Second)
	var faulted, retryAfter int
	for _, r := range s.Policy.Requests() {
		switch r.Status {
		case 500:
			faulted++
		case 429:
			retryAfter++
		}
	}
	assert.Positive(t, faulted, "500s were answered")
	assert.Positive(t, retryAfter, "429s were answered")
	assertNoDuplicates(t, s, list)
	assertStableKeys(t, s)
}

func TestTemporalStoppedForTenSeconds(t *testing.T) {
	s := testenv.NewStack(t, testenv.StackOptions{AutoCompleteAfter: time.Second})
	list := fleet(t, s, "outage", 12)
	before, during := list[:4], list[4:]
	for _, e := range before {
		require.Equal(t, http.StatusOK, deliver(s, e))
	}
	s.Temporal.Stop()
	stopped := time.Now()
	var refused []faultEngagement
	for _, e := range during {
		st := deliver(s, e)
		require.NotEqual(t, http.StatusOK, st, "no 2xx while Temporal is down")
		assert.Equal(t, http.StatusServiceUnavailable, st)
		refused = append(refused, e)
	}
	resp, err := http.Get(s.IngressURL + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	time.Sleep(time.Until(stopped.Add(10 * time.Second)))
	require.NoError(t, s.Temporal.Start()) // same address, same database file
	// The senders retry what got a 503, as platforms do.
	deadline := time.Now().Add(60 * time.Second)
	for len(refused) > 0 && time.Now().Before(deadline) {
		var again []faultEngagement
		for _, e := range refused {
			if deliver(s, e) != http.StatusOK {
				again = append(again, e)
			}
		}
		refused = again
		time.Sleep(time.Second)
	}
	require.Empty(t, refused, "the ingress accepts again once Temporal is back")
	waitAllInsured(t, s, list, 3*time.Minute)
	assertNoDuplicates(t, s, list)
}
