package engagement

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
)

// The pollers' Temporal Schedules.

// EnsurePollSchedule creates (or updates) the Temporal Schedule that polls a platform every
// interval.
func EnsurePollSchedule(ctx context.Context, c client.Client, taskQueue, vendor string, interval time.Duration) error {
	id := PollerWorkflowID(vendor)
	return ensureSchedule(ctx, c, interval, &client.ScheduleWorkflowAction{ID: id, Workflow: WorkflowPollPlatform, TaskQueue: taskQueue,
		Args: []any{PollInput{Vendor: vendor, FirstLookback: 24 * time.Hour}}})
}

// DeletePollSchedule removes a platform's schedule (polling disabled with an interval of 0).
func DeletePollSchedule(ctx context.Context, c client.Client, vendor string) error {
	return deleteSchedule(ctx, c, PollerWorkflowID(vendor))
}

// scheduledRunTimeout ends a poll that has not finished in an hour (a poll takes seconds):
// a Pinned run stranded on a retired worker build would otherwise hold the schedule, which
// skips overlapping runs, forever. The next run starts on the current build and re-reads from
// the last completed run's watermark, so nothing is lost.
const scheduledRunTimeout = time.Hour

// ensureSchedule creates (or updates) a Temporal Schedule, with the action's workflow ID as
// its own, that runs the action every interval. Overlapping runs are skipped: a slow poll is
// never doubled.
func ensureSchedule(ctx context.Context, c client.Client, interval time.Duration, action *client.ScheduleWorkflowAction) error {
	action.WorkflowRunTimeout = scheduledRunTimeout
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

// EnsurePolicyEventsSchedule creates (or updates) the events poller's schedule.
func EnsurePolicyEventsSchedule(ctx context.Context, c client.Client, taskQueue string, interval time.Duration, pageSize int) error {
	return ensureSchedule(ctx, c, interval, &client.ScheduleWorkflowAction{ID: PolicyEventsPollerWorkflowID,
		Workflow: WorkflowPolicyEventsPoller, TaskQueue: taskQueue, Args: []any{PolicyPollInput{PageSize: pageSize}}})
}

// DeletePolicyEventsSchedule removes it (POLICY_EVENTS_POLL_INTERVAL=0).
func DeletePolicyEventsSchedule(ctx context.Context, c client.Client) error {
	return deleteSchedule(ctx, c, PolicyEventsPollerWorkflowID)
}
