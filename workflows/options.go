package workflows

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
)

// Activity calls retry transient failures (network, 429, 5xx) with backoff for up to 30
// minutes, honouring Retry-After; business refusals are non-retryable and come back at once.
// After the 30 minutes the engagement parks in NEEDS_ATTENTION with the last error.
var callRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
	NonRetryableErrorTypes: []string{activities.ErrDuplicateEmail, activities.ErrMatchingPolicy,
		activities.ErrNoMatchingPolicy, activities.ErrEffectiveDate, activities.ErrAssignmentStart,
		activities.ErrMissingMapping, activities.ErrNotFound, activities.ErrBusiness},
}

// activityKind names the timeouts an activity runs under; every activity of the workflows is
// executed through execute or perform with one of them.
type activityKind int

const (
	callKind    activityKind = iota // one platform or 1099Policy call: 30 s a try, 30 min in all
	uploadKind                      // a certificate fetched and sent (up to 15 MB): 3 min a try
	batchKind                       // a heartbeating batch (a poll, a delivery, a backfill): 10 min a try
	notifyKind                      // one notification: 1 min a try, for NotifyFor
	enqueueKind                     // a hand-over to Temporal itself: retried until it answers, never given up
)

func (k activityKind) options() workflow.ActivityOptions {
	switch k {
	case uploadKind:
		return workflow.ActivityOptions{StartToCloseTimeout: 3 * time.Minute, ScheduleToCloseTimeout: 30 * time.Minute, RetryPolicy: callRetry}
	case batchKind:
		return workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Minute, HeartbeatTimeout: time.Minute, RetryPolicy: callRetry}
	case enqueueKind:
		return workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}}
	case notifyKind:
		return workflow.ActivityOptions{StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: NotifyFor,
			HeartbeatTimeout: time.Minute, RetryPolicy: notifyRetry}
	default:
		return workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: 30 * time.Minute, RetryPolicy: callRetry}
	}
}

// execute runs one activity under its kind's options and waits for its result.
func execute[In, Out any](ctx workflow.Context, kind activityKind, fn func(*activities.Activities, context.Context, In) (Out, error), in In) (Out, error) {
	var out Out
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, kind.options()), fn, in).Get(ctx, &out)
	return out, err
}

// perform runs one activity that returns nothing.
func perform[In any](ctx workflow.Context, kind activityKind, fn func(*activities.Activities, context.Context, In) error, in In) error {
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, kind.options()), fn, in).Get(ctx, nil)
}
