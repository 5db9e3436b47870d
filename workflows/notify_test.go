package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/notify"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/webhooksig"
)

const notifySecret = "whsec_workflow_notify_test"

// receiver is a company's notification endpoint: it checks the signature and keeps each body.
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	bodies []notify.Event
	raw    []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := webhooksig.Verify(req.Header.Get(notify.HeaderSignature), body, time.Now(), time.Minute, notifySecret); err != nil {
		r.t.Errorf("notification signature: %v", err)
	}
	var ev notify.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("notification body %s: %v", body, err)
	}
	r.mu.Lock()
	r.bodies, r.raw = append(r.bodies, ev), append(r.raw, string(body))
	r.mu.Unlock()
}

// withNotifier configures one webhook destination. The engagement's hand-over to its sender
// workflow (EnqueueNotification, a signal-with-start Temporal itself answers) is replaced by a
// direct send to that destination with the real SendNotification; failHandOver makes the
// hand-over of an event type answer an error once after the send (the signal landed, the
// answer was lost), so the activity is retried.
func (f *fixture) withNotifier(failHandOver string) (*receiver, *[]notify.Event) {
	rec := &receiver{t: f.t}
	srv := httptest.NewServer(rec)
	f.t.Cleanup(srv.Close)
	f.acts.Notifier = &notify.Sender{URLs: []string{srv.URL}, Secret: notifySecret}
	var handedOver []notify.Event
	failed := false
	f.env.OnActivity(f.acts.EnqueueNotification, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.EnqueueInput) error {
			assert.Equal(f.t, "engagement:remote:ct_1", in.EngagementWorkflowID)
			handedOver = append(handedOver, in.Event)
			err := f.acts.SendNotification(ctx, activities.NotificationInput{Event: in.Event, Destination: notify.DestinationID(srv.URL)})
			if err == nil && in.Event.Type == failHandOver && !failed {
				failed = true
				return errors.New("hand-over answer lost")
			}
			return err
		})
	return rec, &handedOver
}

// The notifications of one lifecycle (SPEC §8), in order, with the stable ids notify.EventID
// documents: "ntf_" + the first 12 bytes of SHA-256("<workflow id>#<n>") in hex, computed with
//
//	python3 -c "import hashlib; print('ntf_'+hashlib.sha256(b'engagement:remote:ct_1#1').hexdigest()[:24])"
//
// A retried hand-over sends the same id again; no reason carries an email.
func TestNotificationsOfALifecycleInOrderWithStableIDsAndRedactedReasons(t *testing.T) {
	const email = "Jordan.Cruz+ops@Mail.Example.COM"
	f := knownWindowFixture(t, "", "2027-01-11", "2027-02-09")
	f.acts.ApplicationPendingAfter = 24 * time.Hour
	rec, handedOver := f.withNotifier(notify.EngagementInsured)
	// 1099Policy refuses the contractor lookup quoting the email: the engagement parks.
	f.sim.AddFault(policysim.Fault{PathPrefix: "/api/v1/contractors", Status: 400, Count: 1, Message: "contractor " + email + " refused"})
	f.at(time.Hour, func() {
		f.operator(engagement.OperatorAction{Action: engagement.ActionRetry, RequestID: "op-1", Note: "checked with " + email})
	})
	// Sessions: 2027-01-04 10:30, renewed every 48 h (01-06, 01-08, 01-10 10:30); each open 24 h
	// before the start (2027-01-11) is told once; the last one is not (due after the start).
	// The start passes uncovered; the application is completed on 2027-01-12 12:00.
	f.at(time.Duration(1799755200-knownNow)*time.Second, func() { f.completeApplication() }) // 2027-01-12T12:00:00Z
	f.at(time.Duration(knownEndedAt-knownNow)*time.Second, func() {
		f.operator(engagement.OperatorAction{Action: engagement.ActionEnd, RequestID: "op-2", Note: "asked by " + email})
	})
	final := f.run()
	require.Equal(t, engagement.StatusEnded, final.CoverageStatus, causes(final))
	assert.Equal(t, []engagement.CoverageStatus{engagement.StatusNeedsAttention, engagement.StatusPending, engagement.StatusAwaitingApplication,
		engagement.StatusUnprotected, engagement.StatusApplicationInProgress, engagement.StatusInsured, engagement.StatusEnded}, statuses(final),
		"an application started while unprotected shows APPLICATION_IN_PROGRESS (told to nobody)")

	type sent struct{ ID, Type, Status, Reason string }
	var got []sent
	for _, ev := range rec.bodies {
		got = append(got, sent{ev.ID, ev.Type, ev.Engagement.CoverageStatus, ev.Engagement.Reason})
	}
	pending := "application session open for more than 24h0m0s before the start date"
	want := []sent{
		{"ntf_10c51a98f5a8761fb032cdcd", notify.EngagementNeedsAttention, "NEEDS_ATTENTION", "find contractor: 1099policy GET /contractors: 400 sandbox_fault: contractor [email] refused (BusinessError)"},
		{"ntf_a7868123c27583150400de50", notify.EngagementApplicationPending, "AWAITING_APPLICATION", pending},
		{"ntf_5f989dfebdf66aadddd1c165", notify.EngagementApplicationPending, "AWAITING_APPLICATION", pending},
		{"ntf_546d478f70b9965724fe5b6c", notify.EngagementApplicationPending, "AWAITING_APPLICATION", pending},
		{"ntf_f44842d6229e6f3259b2cb38", notify.EngagementUnprotected, "UNPROTECTED", "start date reached without coverage or an approved certificate"},
		{"ntf_1b34bec7a27f294b1a7eb336", notify.EngagementInsured, "INSURED", "policy " + final.Policy.PolicyID + " active"},
		{"ntf_1b34bec7a27f294b1a7eb336", notify.EngagementInsured, "INSURED", "policy " + final.Policy.PolicyID + " active"}, // the retried hand-over
		{"ntf_37b86c38cbee7b124c157ebe", notify.EngagementEnded, "ENDED", "ended by an operator: asked by [email]"},
	}
	assert.Equal(t, want, got)
	require.Len(t, rec.raw, len(want))
	assert.Equal(t, rec.raw[5], rec.raw[6], "the retry sends the same body")
	for _, body := range rec.raw {
		assert.NotContains(t, strings.ToLower(body), "jordan", "no personal data in a notification")
		assert.NotContains(t, body, "@")
	}
	assert.Len(t, *handedOver, len(want))

	// Every key of the body, as SPEC §8 lists it, with this engagement's window.
	last := rec.bodies[len(rec.bodies)-1]
	assert.Equal(t, notify.Engagement{WorkflowID: "engagement:remote:ct_1", Vendor: "remote", EngagementID: "ct_1", CoverageStatus: "ENDED",
		CertificateStatus: "NONE", Reason: "ended by an operator: asked by [email]", SessionURL: final.Policy.SessionURL,
		CoverageStart: knownStart, CoverageEnd: knownEnd}, last.Engagement)
	assert.EqualValues(t, knownEndedAt, last.Created)
	assert.Contains(t, rec.bodies[1].Engagement.SessionURL, "/apply/", "the pending notice carries the session to complete")
	assert.EqualValues(t, 1799145000, rec.bodies[1].Created, "2027-01-05T10:30:00Z: 24 h after the first session")
}

// Without a destination the workflow queues nothing (no hand-over activity at all).
func TestNoNotifierQueuesNothing(t *testing.T) {
	f := newFixture(t)
	f.engagement("ct_1", "")
	handOvers := 0
	f.env.OnActivity(f.acts.EnqueueNotification, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.EnqueueInput) error { handOvers++; return nil })
	f.at(8*24*time.Hour, func() { f.platformEvent(vendors.KindCancel, "c") }) // after an UNPROTECTED start
	final := f.run()
	assert.Contains(t, statuses(final), engagement.StatusUnprotected)
	assert.Zero(t, handOvers)
}

// flakyReceiver answers 503 to its first failures requests, then like receiver.
type flakyReceiver struct {
	receiver
	failures int
}

func (r *flakyReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	fail := r.failures > 0
	if fail {
		r.failures--
	}
	r.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	r.receiver.ServeHTTP(w, req)
}

// The sender workflow (SPEC §8: at least once, in order per engagement) keeps one queue per
// destination: a destination that is down for a while gets every notification in order once it
// answers, the other is not held up, and an event handed over twice (a retried hand-over) is
// sent once. It completes when every queue is empty.
func TestNotificationSenderKeepsOneQueuePerDestination(t *testing.T) {
	healthy := &receiver{t: t}
	down := &flakyReceiver{receiver: receiver{t: t}, failures: 3}
	healthySrv, downSrv := httptest.NewServer(healthy), httptest.NewServer(down)
	t.Cleanup(func() { healthySrv.Close(); downSrv.Close() })
	acts := &activities.Activities{Notifier: &notify.Sender{URLs: []string{downSrv.URL, healthySrv.URL}, Secret: notifySecret}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(NotificationSenderWorkflow)
	env.RegisterActivity(acts)
	event := func(n int, typ string) notify.Event {
		return notify.Event{ID: notify.EventID("engagement:remote:ct_1", n), Type: typ, Created: int64(1799055000 + n),
			Engagement: notify.Engagement{WorkflowID: "engagement:remote:ct_1", Vendor: "remote", EngagementID: "ct_1"}}
	}
	first, second := event(1, notify.EngagementUnprotected), event(2, notify.EngagementInsured)
	var healthyAfter3s []string
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(engagement.SignalNotification, first)
		env.SignalWorkflow(engagement.SignalNotification, second)
		env.SignalWorkflow(engagement.SignalNotification, first) // handed over again
	}, 0) // signal-with-start: the signals come with the start
	env.RegisterDelayedCallback(func() {
		healthy.mu.Lock()
		for _, ev := range healthy.bodies {
			healthyAfter3s = append(healthyAfter3s, ev.ID)
		}
		healthy.mu.Unlock()
	}, 3*time.Second)
	env.ExecuteWorkflow(NotificationSenderWorkflow, engagement.NotificationSenderInput{EngagementWorkflowID: "engagement:remote:ct_1"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	ids := func(r *receiver) []string {
		var out []string
		for _, ev := range r.bodies {
			out = append(out, ev.ID)
		}
		return out
	}
	// notify.EventID's rule, computed with python3 (see above)
	want := []string{"ntf_10c51a98f5a8761fb032cdcd", "ntf_a7868123c27583150400de50"}
	assert.Equal(t, want, ids(healthy))
	assert.Equal(t, want, ids(&down.receiver), "every notification, in order, once the destination answers")
	assert.Equal(t, want, healthyAfter3s, "the healthy destination did not wait for the one that was down")
	assert.Zero(t, down.failures)
}
