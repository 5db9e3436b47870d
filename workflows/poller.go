package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
)

// PollResult is the watermark the next poll starts from (the schedule hands it over as the
// last completion result) and what was delivered.
type PollResult struct {
	Watermark time.Time `json:"watermark"`
	Delivered int       `json:"delivered"`
	Closed    int       `json:"closed"`
	// Unchanged counts the records listed that their engagement had already applied.
	Unchanged int `json:"unchanged,omitempty"`
	// AwaitingApply are the changes handed to engagements that had not published them yet;
	// the next run does not hand them again.
	AwaitingApply []string `json:"awaiting_apply,omitempty"`
}

// PollPlatformWorkflow lists what changed on a platform since the stored watermark and
// signal-with-starts the same engagement workflows the webhooks reach, with the same dedupe
// keys, so a lost webhook costs at most one interval. A record its engagement already applied
// is left out by the listing activity: waiting engagements cost nothing per poll.
func PollPlatformWorkflow(ctx workflow.Context, in engagement.PollInput) (PollResult, error) {
	since := workflow.Now(ctx).Add(-in.FirstLookback)
	var last PollResult
	if workflow.HasLastCompletionResult(ctx) && workflow.GetLastCompletionResult(ctx, &last) == nil && !last.Watermark.IsZero() {
		since = last.Watermark
	}
	changes, err := execute(ctx, callKind, (*activities.Activities).ListPlatformChanges,
		activities.ListChangesInput{Vendor: in.Vendor, Since: since, AwaitingApply: last.AwaitingApply})
	if err != nil {
		return PollResult{Watermark: since}, err
	}
	var delivered activities.DeliverEventsOutput
	if len(changes.Events) > 0 {
		if delivered, err = execute(ctx, batchKind, (*activities.Activities).DeliverPlatformEvents,
			activities.DeliverEventsInput{Events: changes.Events}); err != nil {
			return PollResult{Watermark: since}, err
		}
	}
	mark := changes.Watermark
	if mark.Before(since) {
		mark = since
	}
	return PollResult{Watermark: mark, Delivered: delivered.Accepted, Closed: delivered.Closed, Unchanged: changes.Unchanged,
		AwaitingApply: changes.AwaitingApply}, nil
}
