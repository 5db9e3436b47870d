package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
)

// PolicyEventsFirstLookback is how far back the very first events poll looks.
const PolicyEventsFirstLookback = 24 * time.Hour

// PolicyPollResult is the watermark the next run starts from (the schedule hands it over as
// the last completion result) and what this run found.
type PolicyPollResult struct {
	Watermark activities.EventsWatermark `json:"watermark"`
	Pages     int                        `json:"pages"`
	Found     int                        `json:"found"`
}

// PolicyEventsPollerWorkflow reads 1099Policy's events back to the last event the previous
// run saw and routes every new one, oldest first, the way its webhook would: coverage never
// depends on 1099Policy's webhooks alone.
func PolicyEventsPollerWorkflow(ctx workflow.Context, in engagement.PolicyPollInput) (PolicyPollResult, error) {
	from := activities.FirstEventsWatermark(workflow.Now(ctx), PolicyEventsFirstLookback)
	var last PolicyPollResult
	if workflow.HasLastCompletionResult(ctx) && workflow.GetLastCompletionResult(ctx, &last) == nil &&
		(last.Watermark.AfterID != "" || last.Watermark.AfterCreated != 0) {
		from = last.Watermark
	}
	out, err := execute(ctx, batchKind, (*activities.Activities).PollPolicyEvents, activities.PollEventsInput{From: from, PageSize: in.PageSize})
	if err != nil {
		return PolicyPollResult{Watermark: from}, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%d new events in %d pages", out.Found, out.Pages))
	return PolicyPollResult{Watermark: out.Watermark, Pages: out.Pages, Found: out.Found}, nil
}
