package workflows

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
)

// PollInput names the platform a scheduled poll reads.
type PollInput struct {
	Vendor string `json:"vendor"`
	// FirstLookback is how far back the very first poll looks.
	FirstLookback time.Duration `json:"first_lookback"`
}

// PollResult is the watermark the next poll starts from (the schedule hands it over as the
// last completion result) and what was delivered.
type PollResult struct {
	Watermark time.Time `json:"watermark"`
	Delivered int       `json:"delivered"`
	Closed    int       `json:"closed"`
}

// PollPlatformWorkflow lists what changed on a platform since the stored watermark and
// signal-with-starts the same engagement workflows the webhooks reach, with the same dedupe
// keys, so a lost webhook costs at most one interval.
func PollPlatformWorkflow(ctx workflow.Context, in PollInput) (PollResult, error) {
	since := workflow.Now(ctx).Add(-in.FirstLookback)
	var last PollResult
	if workflow.HasLastCompletionResult(ctx) && workflow.GetLastCompletionResult(ctx, &last) == nil && !last.Watermark.IsZero() {
		since = last.Watermark
	}
	var changes activities.ListChangesOutput
	if err := workflow.ExecuteActivity(callOptions(ctx), (*activities.Activities).ListPlatformChanges,
		activities.ListChangesInput{Vendor: in.Vendor, Since: since}).Get(ctx, &changes); err != nil {
		return PollResult{Watermark: since}, err
	}
	var delivered activities.DeliverEventsOutput
	if len(changes.Events) > 0 {
		opts := workflow.ActivityOptions{StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: time.Minute, RetryPolicy: callRetry}
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), (*activities.Activities).DeliverPlatformEvents,
			activities.DeliverEventsInput{Events: changes.Events}).Get(ctx, &delivered); err != nil {
			return PollResult{Watermark: since}, err
		}
	}
	mark := changes.Watermark
	if mark.Before(since) {
		mark = since
	}
	return PollResult{Watermark: mark, Delivered: delivered.Accepted, Closed: delivered.Closed}, nil
}

// EnsurePollSchedule creates (or updates) the Temporal Schedule that polls a platform every
// interval.
func EnsurePollSchedule(ctx context.Context, c client.Client, taskQueue, vendor string, interval time.Duration) error {
	id := PollerWorkflowID(vendor)
	return ensureSchedule(ctx, c, interval, &client.ScheduleWorkflowAction{ID: id, Workflow: PollPlatformWorkflow, TaskQueue: taskQueue,
		Args: []any{PollInput{Vendor: vendor, FirstLookback: 24 * time.Hour}}})
}

// DeletePollSchedule removes a platform's schedule (polling disabled with an interval of 0).
func DeletePollSchedule(ctx context.Context, c client.Client, vendor string) error {
	return deleteSchedule(ctx, c, PollerWorkflowID(vendor))
}

// ensureSchedule creates (or updates) a Temporal Schedule, with the action's workflow ID as
// its own, that runs the action every interval. Overlapping runs are skipped: a slow poll is
// never doubled.
func ensureSchedule(ctx context.Context, c client.Client, interval time.Duration, action *client.ScheduleWorkflowAction) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: interval}}}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{ID: action.ID, Spec: spec, Action: action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, TriggerImmediately: true})
	if err == nil {
		return nil
	}
	if err != temporal.ErrScheduleAlreadyRunning {
		return err
	}
	return c.ScheduleClient().GetHandle(ctx, action.ID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &spec
			in.Description.Schedule.Action = action
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		},
	})
}

func deleteSchedule(ctx context.Context, c client.Client, id string) error {
	err := c.ScheduleClient().GetHandle(ctx, id).Delete(ctx)
	var nf *serviceerror.NotFound
	if err == nil || errors.As(err, &nf) {
		return nil // gone, or never there: polling is off either way
	}
	return err
}
