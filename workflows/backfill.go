package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
)

// Going live: enrollment of one engagement by its platform id, and backfill of every open
// contractor engagement a platform lists, so a company is covered on day one.

// backfillBatch is how many engagements one enrollment activity handles.
const backfillBatch = 50

// BackfillWorkflow lists a platform's open contractor engagements and enrolls each, in
// batches, with its progress in the UI's details line. Running it twice enrolls nothing twice.
func BackfillWorkflow(ctx workflow.Context, in engagement.BackfillInput) (engagement.BackfillResult, error) {
	listed, err := execute(ctx, batchKind, (*activities.Activities).ListBackfill, activities.ListBackfillInput{Vendor: in.Vendor, IDs: in.IDs})
	if err != nil {
		return engagement.BackfillResult{}, err
	}
	res := engagement.BackfillResult{Listed: len(listed.Items)}
	for i := 0; i < len(listed.Items); i += backfillBatch {
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s backfill: %d of %d done (%d enrolled, %d closed, %d skipped)",
			in.Vendor, i, res.Listed, res.Enrolled, res.Closed, res.Skipped))
		batch := listed.Items[i:min(i+backfillBatch, len(listed.Items))]
		out, err := execute(ctx, batchKind, (*activities.Activities).EnrollListed,
			activities.EnrollInput{Vendor: in.Vendor, Items: batch, Source: engagement.BackfillSource})
		if err != nil {
			return res, err
		}
		res.Enrolled, res.Closed, res.Skipped = res.Enrolled+out.Enrolled, res.Closed+out.Closed, res.Skipped+out.Skipped
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s backfill done: %d listed, %d enrolled, %d closed, %d skipped",
		in.Vendor, res.Listed, res.Enrolled, res.Closed, res.Skipped))
	return res, nil
}
