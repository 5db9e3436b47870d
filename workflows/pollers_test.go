package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// The platform poller's watermark: the first run looks back FirstLookback; later runs start
// at the last run's watermark, never move it back, and hand over what waits to be applied.
func TestPlatformPollerWatermark(t *testing.T) {
	now := time.Unix(knownNow, 0).UTC()
	w1 := time.Unix(1799051400, 0).UTC() // 2027-01-04T08:30:00Z: an hour before now (python3)
	type call struct {
		since    time.Time
		awaiting []string
	}
	run := func(t *testing.T, last *PollResult, listed activities.ListChangesOutput, listErr, deliverErr error) (PollResult, []call, int, error) {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestWorkflowEnvironment()
		env.SetStartTime(now)
		env.RegisterWorkflow(PollPlatformWorkflow)
		acts := &activities.Activities{}
		env.RegisterActivity(acts)
		if last != nil {
			env.SetLastCompletionResult(*last)
		}
		var calls []call
		env.OnActivity(acts.ListPlatformChanges, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.ListChangesInput) (activities.ListChangesOutput, error) {
				assert.Equal(t, "remote", in.Vendor)
				calls = append(calls, call{in.Since.UTC(), in.AwaitingApply})
				return listed, listErr
			})
		delivered := 0
		env.OnActivity(acts.DeliverPlatformEvents, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.DeliverEventsInput) (activities.DeliverEventsOutput, error) {
				assert.NotEmpty(t, in.Events, "a delivery of nothing is an activity for nothing")
				delivered += len(in.Events)
				return activities.DeliverEventsOutput{Accepted: len(in.Events) - 1, Closed: 1}, deliverErr
			})
		env.ExecuteWorkflow(PollPlatformWorkflow, engagement.PollInput{Vendor: "remote", FirstLookback: time.Hour})
		require.True(t, env.IsWorkflowCompleted())
		var res PollResult
		err := env.GetWorkflowError()
		if err == nil {
			require.NoError(t, env.GetWorkflowResult(&res))
		}
		return res, calls, delivered, err
	}
	later := w1.Add(30 * time.Minute)
	events := []vendors.Event{{EventID: "a"}, {EventID: "b"}, {EventID: "c"}}

	t.Run("first run", func(t *testing.T) {
		res, calls, delivered, err := run(t, nil, activities.ListChangesOutput{Events: events, Watermark: later, Unchanged: 4, AwaitingApply: []string{"b"}}, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, []call{{w1, nil}}, calls)
		assert.Equal(t, 3, delivered)
		assert.Equal(t, PollResult{Watermark: later, Delivered: 2, Closed: 1, Unchanged: 4, AwaitingApply: []string{"b"}}, res)
	})
	t.Run("next run, nothing new, a listing watermark behind the last", func(t *testing.T) {
		last := PollResult{Watermark: later, AwaitingApply: []string{"b"}}
		res, calls, delivered, err := run(t, &last, activities.ListChangesOutput{Watermark: w1}, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, []call{{later, []string{"b"}}}, calls)
		assert.Zero(t, delivered, "nothing to deliver: no delivery activity")
		assert.Equal(t, later, res.Watermark.UTC(), "never moved back")
	})
	t.Run("a last run without a watermark", func(t *testing.T) {
		res, calls, _, err := run(t, &PollResult{}, activities.ListChangesOutput{Watermark: later}, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, []call{{w1, nil}}, calls)
		assert.Equal(t, later, res.Watermark.UTC())
	})
	t.Run("the listing fails", func(t *testing.T) {
		_, calls, delivered, err := run(t, nil, activities.ListChangesOutput{}, temporal.NewNonRetryableApplicationError("down", activities.ErrBusiness, nil), nil)
		require.Error(t, err)
		assert.Len(t, calls, 1)
		assert.Zero(t, delivered)
	})
	t.Run("the delivery fails", func(t *testing.T) {
		_, _, delivered, err := run(t, nil, activities.ListChangesOutput{Events: events, Watermark: later}, nil, temporal.NewNonRetryableApplicationError("down", activities.ErrBusiness, nil))
		require.Error(t, err)
		assert.Equal(t, 3, delivered)
	})
}

// The events poller starts where the last run stopped (an event id or a time), else 24 h
// back (PolicyEventsFirstLookback).
func TestPolicyEventsPollerWatermark(t *testing.T) {
	now := time.Unix(knownNow, 0).UTC()
	const dayBefore = 1798968600 // 2027-01-03T09:30:00Z: knownNow - 24 h (python3)
	run := func(t *testing.T, last *PolicyPollResult, pollErr error) ([]activities.EventsWatermark, PolicyPollResult, error) {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestWorkflowEnvironment()
		env.SetStartTime(now)
		env.RegisterWorkflow(PolicyEventsPollerWorkflow)
		acts := &activities.Activities{}
		env.RegisterActivity(acts)
		if last != nil {
			env.SetLastCompletionResult(*last)
		}
		var froms []activities.EventsWatermark
		env.OnActivity(acts.PollPolicyEvents, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.PollEventsInput) (activities.PollEventsOutput, error) {
				assert.Equal(t, 50, in.PageSize)
				froms = append(froms, in.From)
				return activities.PollEventsOutput{Watermark: activities.EventsWatermark{AfterID: "ev_new", AfterCreated: knownNow}, Pages: 2, Found: 7}, pollErr
			})
		env.ExecuteWorkflow(PolicyEventsPollerWorkflow, engagement.PolicyPollInput{PageSize: 50})
		require.True(t, env.IsWorkflowCompleted())
		var res PolicyPollResult
		err := env.GetWorkflowError()
		if err == nil {
			require.NoError(t, env.GetWorkflowResult(&res))
		}
		return froms, res, err
	}
	first := activities.EventsWatermark{AfterCreated: dayBefore}
	for name, c := range map[string]struct {
		last *PolicyPollResult
		want activities.EventsWatermark
	}{
		"first run":                 {nil, first},
		"last run without a mark":   {&PolicyPollResult{}, first},
		"last run stopped at an id": {&PolicyPollResult{Watermark: activities.EventsWatermark{AfterID: "ev_9"}}, activities.EventsWatermark{AfterID: "ev_9"}},
		"last run stopped at a time": {&PolicyPollResult{Watermark: activities.EventsWatermark{AfterCreated: 1799000000}},
			activities.EventsWatermark{AfterCreated: 1799000000}},
	} {
		t.Run(name, func(t *testing.T) {
			froms, res, err := run(t, c.last, nil)
			require.NoError(t, err)
			assert.Equal(t, []activities.EventsWatermark{c.want}, froms)
			assert.Equal(t, PolicyPollResult{Watermark: activities.EventsWatermark{AfterID: "ev_new", AfterCreated: knownNow}, Pages: 2, Found: 7}, res)
		})
	}
	t.Run("the poll fails", func(t *testing.T) {
		_, _, err := run(t, nil, temporal.NewNonRetryableApplicationError("down", activities.ErrBusiness, nil))
		require.Error(t, err)
	})
}
