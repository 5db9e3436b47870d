package activities

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/mocks"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
)

// eventsFixture is a 1099Policy sandbox on real HTTP whose clock the test moves, and a
// poller activity whose deliveries are recorded.
type eventsFixture struct {
	sim        *policysim.Server
	acts       *Activities
	env        *testsuite.TestActivityEnvironment
	now        time.Time
	contractor string
	mu         sync.Mutex
	delivered  []engagement.PolicyEvent
}

func newEventsFixture(t *testing.T) *eventsFixture {
	f := &eventsFixture{now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	f.sim = policysim.New(policysim.Config{APIKey: "k", Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }})
	srv := httptest.NewServer(f.sim)
	t.Cleanup(srv.Close)
	f.contractor = f.sim.CreateContractor(pc.Contractor{Email: "poll@example.com"}).ID
	// The events poller routes policy.* events through a router workflow per event, as the
	// webhook ingress does: the Temporal client records what it was asked to start.
	temporal := &mocks.Client{}
	temporal.On("ExecuteWorkflow", mock.Anything, mock.Anything, engagement.WorkflowPolicyEventRouter, mock.Anything).
		Run(func(args mock.Arguments) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.delivered = append(f.delivered, args.Get(3).(engagement.PolicyEvent))
		}).Return(&mocks.WorkflowRun{}, nil)
	f.acts = &Activities{Policy: pc.New(pc.Config{BaseURL: srv.URL, APIKey: "k", Environment: "sandbox"}),
		Temporal: temporal, TaskQueue: "q"}
	var suite testsuite.WorkflowTestSuite
	f.env = suite.NewTestActivityEnvironment()
	f.env.RegisterActivity(f.acts)
	return f
}

// emit makes n policy.cancelled events in the sandbox, one per simulated second.
func (f *eventsFixture) emit(t *testing.T, n int) []string {
	var ids []string
	for range n {
		p, err := f.sim.SeedPolicy(pc.Policy{Contractor: f.contractor})
		require.NoError(t, err)
		require.NoError(t, f.sim.CancelPolicy(p.ID))
		all := f.sim.Events()
		ids = append(ids, all[len(all)-1].ID)
		f.advance(time.Second)
	}
	return ids
}

func (f *eventsFixture) advance(d time.Duration) { f.mu.Lock(); f.now = f.now.Add(d); f.mu.Unlock() }

func (f *eventsFixture) poll(t *testing.T, from EventsWatermark, pageSize int) (PollEventsOutput, []string) {
	f.mu.Lock()
	f.delivered = nil
	f.mu.Unlock()
	v, err := f.env.ExecuteActivity(f.acts.PollPolicyEvents, PollEventsInput{From: from, PageSize: pageSize})
	require.NoError(t, err)
	var out PollEventsOutput
	require.NoError(t, v.Get(&out))
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, ev := range f.delivered {
		assert.Equal(t, engagement.SourceEventsPoller, ev.Source)
		assert.Equal(t, pc.EventPolicyCancelled, ev.Type)
		ids = append(ids, ev.EventID)
	}
	return out, ids
}

func TestPollPolicyEventsPagesBackToTheWatermarkOldestFirst(t *testing.T) {
	f := newEventsFixture(t)
	old := f.emit(t, 2)
	f.advance(48 * time.Hour) // older than the first poll's lookback
	first := FirstEventsWatermark(f.now, 24*time.Hour)
	recent := f.emit(t, 7)

	out, ids := f.poll(t, first, 3)
	assert.Equal(t, recent, ids, "every event inside the lookback, oldest first; none before it")
	assert.NotContains(t, ids, old[0])
	assert.Equal(t, 3, out.Pages, "two full pages of new events, then the page where older events begin stops the walk")
	assert.Equal(t, 7, out.Found)
	assert.Equal(t, recent[6], out.Watermark.AfterID)

	again, ids := f.poll(t, out.Watermark, 3)
	assert.Empty(t, ids, "nothing new: nothing handed over twice")
	assert.Equal(t, out.Watermark, again.Watermark, "the watermark stays")

	// A pause: eight events pile up, more than two pages.
	pile := f.emit(t, 8)
	caught, ids := f.poll(t, again.Watermark, 3)
	assert.Equal(t, pile, ids, "catch-up through every page, oldest first")
	assert.Equal(t, 3, caught.Pages)
	assert.Equal(t, pile[7], caught.Watermark.AfterID)
}

func TestPollPolicyEventsWithNoEventsKeepsTheFirstWatermark(t *testing.T) {
	f := newEventsFixture(t)
	first := FirstEventsWatermark(f.now, time.Hour)
	out, ids := f.poll(t, first, 100)
	assert.Empty(t, ids)
	assert.Equal(t, first, out.Watermark)
}

func TestFetchPolicyEventReadsTheStoredEvent(t *testing.T) {
	f := newEventsFixture(t)
	ids := f.emit(t, 1)
	v, err := f.env.ExecuteActivity(f.acts.FetchPolicyEvent, FetchEventInput{EventID: ids[0], Source: engagement.SourceWebhook})
	require.NoError(t, err)
	var got FetchEventOutput
	require.NoError(t, v.Get(&got))
	assert.True(t, got.Found)
	assert.Equal(t, pc.EventPolicyCancelled, got.Event.Type)
	assert.Equal(t, ids[0], got.Event.EventID)

	v, err = f.env.ExecuteActivity(f.acts.FetchPolicyEvent, FetchEventInput{EventID: "ev_unknown"})
	require.NoError(t, err)
	require.NoError(t, v.Get(&got))
	assert.False(t, got.Found, "an id 1099Policy does not know is reported, not retried")
}
