package workflows

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/vendors"
)

// backfillRun runs the backfill over listed engagements; each batch enrolls its first item,
// closes its second and skips the rest, and the batch numbered failAt (1-based; 0: none) fails.
func backfillRun(t *testing.T, listed, failAt int) (engagement.BackfillResult, []int, error) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(BackfillWorkflow)
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	items := make([]vendors.Listed, listed)
	for i := range items {
		items[i] = vendors.Listed{ID: fmt.Sprintf("ct_%d", i)}
	}
	env.OnActivity(acts.ListBackfill, mock.Anything, activities.ListBackfillInput{Vendor: "remote"}).Return(activities.ListBackfillOutput{Items: items}, nil)
	var batches []int
	next := 0
	env.OnActivity(acts.EnrollListed, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EnrollInput) (activities.EnrollOutput, error) {
		assert.Equal(t, items[next:next+len(in.Items)], in.Items, "batches in order, none skipped or repeated")
		assert.Equal(t, engagement.BackfillSource, in.Source)
		next += len(in.Items)
		batches = append(batches, len(in.Items))
		if len(batches) == failAt {
			return activities.EnrollOutput{}, temporal.NewNonRetryableApplicationError("platform down", activities.ErrBusiness, nil)
		}
		return activities.EnrollOutput{Enrolled: min(1, len(in.Items)), Closed: min(1, len(in.Items)-1), Skipped: max(0, len(in.Items)-2)}, nil
	})
	env.ExecuteWorkflow(BackfillWorkflow, engagement.BackfillInput{Vendor: "remote"})
	require.True(t, env.IsWorkflowCompleted())
	var res engagement.BackfillResult
	err := env.GetWorkflowError()
	if err == nil {
		require.NoError(t, env.GetWorkflowResult(&res))
	}
	return res, batches, err
}

func TestBackfillEnrollsInBatchesOfFifty(t *testing.T) {
	res, batches, err := backfillRun(t, 120, 0)
	require.NoError(t, err)
	assert.Equal(t, []int{50, 50, 20}, batches)
	assert.Equal(t, engagement.BackfillResult{Listed: 120, Enrolled: 3, Closed: 3, Skipped: 114}, res)

	res, batches, err = backfillRun(t, 100, 0)
	require.NoError(t, err)
	assert.Equal(t, []int{50, 50}, batches, "no empty batch after a full one")
	assert.Equal(t, engagement.BackfillResult{Listed: 100, Enrolled: 2, Closed: 2, Skipped: 96}, res)

	res, batches, err = backfillRun(t, 0, 0)
	require.NoError(t, err)
	assert.Empty(t, batches)
	assert.Equal(t, engagement.BackfillResult{}, res)
}

func TestBackfillStopsAtAFailedBatch(t *testing.T) {
	_, batches, err := backfillRun(t, 120, 2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "platform down")
	assert.Equal(t, []int{50, 50}, batches, "the third batch is not sent after the second failed")
}
