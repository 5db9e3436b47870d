package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
)

func TestRouterDeliversToEveryEngagementOrParksUntilReplay(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(PolicyEventRouterWorkflow)
	acts := &activities.Activities{}
	env.RegisterActivity(acts)
	resolved := 0
	env.OnActivity(acts.ResolvePolicyEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RouteInput) (activities.RouteOutput, error) {
			resolved++
			if resolved == 1 {
				return activities.RouteOutput{}, nil // nothing to route to yet
			}
			return activities.RouteOutput{WorkflowIDs: []string{"engagement:remote:a", "engagement:upwork:b"}}, nil
		})
	var signalled []string
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", engagement.SignalPolicyEvent, mock.Anything).Return(
		func(_, id, _, _ string, arg any) error {
			assert.Equal(t, "ev_1", arg.(engagement.PolicyEvent).EventID)
			signalled = append(signalled, id)
			return nil
		})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(engagement.SignalReplay, nil) }, time.Minute)
	env.ExecuteWorkflow(PolicyEventRouterWorkflow, engagement.PolicyEvent{EventID: "ev_1", Type: "policy.cancelled", ObjectID: "pl_1"})
	require.NoError(t, env.GetWorkflowError())
	var delivered []string
	require.NoError(t, env.GetWorkflowResult(&delivered))
	assert.Equal(t, 2, resolved, "parked once, replayed by the operator signal")
	assert.Equal(t, []string{"engagement:remote:a", "engagement:upwork:b"}, signalled)
	assert.Equal(t, signalled, delivered)
}
