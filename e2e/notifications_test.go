package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/notify"
	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/testenv"
)

const notifySecret = "whsec_receiver_test"

// receiver is a company's notification endpoint: it verifies every delivery, can fail with
// 500 for a while, and keeps what it accepted.
type receiver struct {
	t         *testing.T
	mu        sync.Mutex
	failUntil time.Time
	failed    int
	accepted  []notify.Event
	bodies    []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Now().Before(r.failUntil) {
		r.failed++
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if err := notify.Verify(notifySecret, req.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		r.t.Errorf("notification signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev notify.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("notification body: %v", err)
	}
	r.accepted = append(r.accepted, ev)
	r.bodies = append(r.bodies, string(body))
}

// of returns the distinct notifications of one engagement, in first-received order, and how
// many deliveries each id had.
func (r *receiver) of(workflowID string) ([]notify.Event, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []notify.Event
	seen := map[string]int{}
	for _, ev := range r.accepted {
		if ev.Engagement.WorkflowID != workflowID {
			continue
		}
		if seen[ev.ID] == 0 {
			out = append(out, ev)
		}
		seen[ev.ID]++
	}
	return out, seen
}

func (r *receiver) waitFor(t *testing.T, workflowID, eventType string) notify.Event {
	t.Helper()
	var got notify.Event
	require.Eventually(t, func() bool {
		evs, _ := r.of(workflowID)
		for _, ev := range evs {
			if ev.Type == eventType {
				got = ev
				return true
			}
		}
		return false
	}, time.Minute, 200*time.Millisecond, "%s: %s notification", workflowID, eventType)
	return got
}

func types(evs []notify.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// ingressGauge reads coverage_open_engagements for one status and vendor.
func ingressGauge(t *testing.T, s *testenv.Stack, status engagement.CoverageStatus, vendor string) string {
	resp, err := http.Get(s.IngressURL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	want := `coverage_open_engagements{coverage_status="` + string(status) + `",vendor="` + vendor + `"} `
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, want); ok {
			return v
		}
	}
	return ""
}

func TestNotifications(t *testing.T) {
	rcv := &receiver{t: t}
	hookSrv := httptest.NewServer(rcv)
	defer hookSrv.Close()
	s := testenv.NewStack(t, testenv.StackOptions{ExtraEnv: []string{
		"NOTIFY_WEBHOOK_URLS=" + hookSrv.URL + "/coverage-events", "NOTIFY_WEBHOOK_SECRET=" + notifySecret,
		"NOTIFY_APPLICATION_PENDING_AFTER=1s", "COVERAGE_GAUGE_INTERVAL=1s"}})

	rcv.mu.Lock()
	rcv.failUntil = time.Now().Add(4 * time.Second) // the receiver is down while the first notification is due
	rcv.mu.Unlock()
	// A first-time contractor who takes their time: pending, insured, policy cancelled, cancelled.
	pcase := cases[0]
	email := "notify-1" + policysim.ManualEmailSuffix
	ex := example(pcase.name, "notify-1", email, pcase.hourly)
	ex.FirstName, ex.LastName = "Philomena", "Notifyworth"
	start(t, s, pcase, ex)
	wid := engagement.WorkflowID(pcase.name, ex.ID)
	st := s.WaitStatus(t, pcase.name, ex.ID, 45*time.Second, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	require.Eventually(t, func() bool { return ingressGauge(t, s, engagement.StatusAwaitingApplication, pcase.name) == "1" },
		15*time.Second, 250*time.Millisecond, "the gauge shows the engagement awaiting its application within one refresh")

	pending := rcv.waitFor(t, wid, notify.EngagementApplicationPending) // delivered once the receiver recovered
	assert.Equal(t, st.Policy.SessionURL, pending.Engagement.SessionURL)
	rcv.mu.Lock()
	assert.Positive(t, rcv.failed, "the receiver failed with 500 first")
	rcv.mu.Unlock()

	s.Worker.Kill() // a restarted worker sends nothing under a new id
	s.StartWorker()
	require.NoError(t, s.Policy.CompleteSession(st.Policy.SessionID))
	st = s.WaitStatus(t, pcase.name, ex.ID, 45*time.Second, "INSURED", is(engagement.StatusInsured))
	rcv.waitFor(t, wid, notify.EngagementInsured)
	require.Eventually(t, func() bool {
		return ingressGauge(t, s, engagement.StatusInsured, pcase.name) == "1" &&
			ingressGauge(t, s, engagement.StatusAwaitingApplication, pcase.name) == "0"
	}, 15*time.Second, 250*time.Millisecond, "the gauge follows the change within one refresh")

	require.NoError(t, s.Policy.CancelPolicy(st.Policy.PolicyID))
	unprotected := rcv.waitFor(t, wid, notify.EngagementUnprotected)
	assert.Contains(t, unprotected.Engagement.Reason, "cancelled", "it says why")
	status, _ := hook(t, s, pcase.name, platformsim.HookCancel, ex, "cancel-"+ex.ID, "")
	require.Equal(t, http.StatusOK, status)
	rcv.waitFor(t, wid, notify.EngagementCanceled)

	// A certificate that 1099Policy flags, on another platform (a WorkMarket attachment).
	coiCase := cases[1]
	coi := example(coiCase.name, "notify-coi", "notify-coi"+policysim.ManualEmailSuffix, coiCase.hourly)
	start(t, s, coiCase, coi)
	s.WaitStatus(t, coiCase.name, coi.ID, 45*time.Second, "AWAITING_APPLICATION", is(engagement.StatusAwaitingApplication))
	require.NoError(t, s.Platforms.SeedDocument(coiCase.name, coi, "flag-notify", "coi-flag.pdf", []byte("%PDF-1.4")))
	status, _ = hook(t, s, coiCase.name, platformsim.HookCOI, coi, "coi-"+coi.ID, "flag-notify")
	require.Equal(t, http.StatusOK, status)
	flagged := rcv.waitFor(t, engagement.WorkflowID(coiCase.name, coi.ID), notify.CertificateFlagged)
	assert.Equal(t, string(engagement.CertificateFlagged), flagged.Engagement.CertificateStatus)

	// A business refusal from 1099Policy parks an engagement.
	parkCase := cases[2]
	parked := example(parkCase.name, "notify-park", "notify-park@example.com", parkCase.hourly)
	s.Policy.AddFault(policysim.Fault{PathPrefix: "/api/v1/jobs", Status: http.StatusBadRequest, Count: 1})
	start(t, s, parkCase, parked)
	attention := rcv.waitFor(t, engagement.WorkflowID(parkCase.name, parked.ID), notify.EngagementNeedsAttention)
	assert.Contains(t, attention.Engagement.Reason, "create job: 1099policy POST /jobs: 400 sandbox_fault", "the reason names the refused step")

	// Exactly one notification per transition, in lifecycle order; a redelivery repeats its id.
	evs, deliveries := rcv.of(wid)
	assert.Equal(t, []string{notify.EngagementApplicationPending, notify.EngagementInsured, notify.EngagementUnprotected,
		notify.EngagementCanceled}, types(evs))
	for i := 1; i < len(evs); i++ {
		assert.LessOrEqual(t, evs[i-1].Created, evs[i].Created)
	}
	for id, n := range deliveries {
		assert.Equal(t, 1, n, "notification %s delivered %d times to a healthy receiver", id, n)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, body := range rcv.bodies {
		for _, private := range []string{email, "Philomena", "Notifyworth", "notify-park@example.com", "Jordan", "Cruz", "Oakland"} {
			assert.NotContains(t, body, private, "no personal data in a notification")
		}
	}
}
