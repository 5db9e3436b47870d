package workflows

import (
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

func callOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy:            callRetry,
	})
}

// uploadOptions allow the time a 15 MB certificate takes to fetch and send.
func uploadOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    3 * time.Minute,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy:            callRetry,
	})
}
