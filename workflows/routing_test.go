package workflows

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/testsuite"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
	"github.com/coverage-orchestrator/coverage/sandbox/policysim"
)

// A policy.* event concerns every engagement riding on the contractor's policy (SPEC §2 step 5:
// an assignment rides on it), so the router delivers it to every running engagement of that
// contractor, even when the event names one engagement in its metadata. The router runs with
// the real ResolvePolicyEvent against the 1099Policy sandbox; Temporal's visibility (the
// running engagements with PolicyContractorID = the contractor) is the client mock.
func TestPolicyEventsAreRoutedToEveryEngagementOfTheContractor(t *testing.T) {
	sim := policysim.New(policysim.Config{APIKey: testAPIKey, AcceptMissingContactDetails: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	policy := pc.New(pc.Config{BaseURL: srv.URL, APIKey: testAPIKey})
	con, err := policy.CreateContractor(context.Background(), "seed", pc.Contractor{FirstName: "J", LastName: "C", Email: "two@example.com"})
	require.NoError(t, err)
	pl, err := sim.SeedPolicy(pc.Policy{Contractor: con.ID})
	require.NoError(t, err)
	require.NoError(t, sim.CancelPolicy(pl.ID))
	var cancelled engagement.PolicyEvent
	for _, ev := range sim.Events() {
		if ev.Type == pc.EventPolicyCancelled {
			cancelled = engagement.PolicyEventFrom(ev, engagement.SourceWebhook)
		}
	}
	require.Equal(t, pl.ID, cancelled.ObjectID, "the sandbox emitted policy.cancelled")

	temporalClient := &mocks.Client{}
	temporalClient.On("ListWorkflow", mock.Anything, mock.MatchedBy(func(r *workflowservice.ListWorkflowExecutionsRequest) bool {
		return strings.Contains(r.Query, "ExecutionStatus = 'Running'") && strings.Contains(r.Query, "PolicyContractorID = '"+con.ID+"'")
	})).Return(&workflowservice.ListWorkflowExecutionsResponse{Executions: []*workflowpb.WorkflowExecutionInfo{
		{Execution: &commonpb.WorkflowExecution{WorkflowId: "engagement:remote:ct_a"}},
		{Execution: &commonpb.WorkflowExecution{WorkflowId: "engagement:upwork:ct_b"}},
	}}, nil)

	for name, ev := range map[string]engagement.PolicyEvent{
		"only the policy id (the contractor read from 1099Policy)": {EventID: "ev_1", Type: cancelled.Type, ObjectID: cancelled.ObjectID},
		"as the sandbox sent it":                                   cancelled,
		"naming one engagement in its metadata": func() engagement.PolicyEvent {
			one := cancelled
			one.EngagementKey = "engagement:remote:ct_a"
			return one
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			env.RegisterWorkflow(PolicyEventRouterWorkflow)
			env.RegisterActivity(&activities.Activities{Policy: policy, Temporal: temporalClient})
			var signalled []string
			env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", engagement.SignalPolicyEvent, mock.Anything).Return(
				func(_, id, _, _ string, arg any) error {
					assert.Equal(t, ev, arg)
					signalled = append(signalled, id)
					return nil
				})
			env.ExecuteWorkflow(PolicyEventRouterWorkflow, ev)
			require.NoError(t, env.GetWorkflowError())
			var delivered []string
			require.NoError(t, env.GetWorkflowResult(&delivered))
			assert.Equal(t, []string{"engagement:remote:ct_a", "engagement:upwork:ct_b"}, signalled)
			assert.Equal(t, signalled, delivered)
		})
	}
}

// The router's details line names where it delivered the event; an event no engagement takes
// is kept, tried every 10 minutes, for 7 days.
func TestRouterDetailsAndGiveUp(t *testing.T) {
	details := func(env *testsuite.TestWorkflowEnvironment) string {
		v, err := env.QueryWorkflow("__temporal_workflow_metadata")
		require.NoError(t, err)
		var meta sdkpb.WorkflowMetadata
		require.NoError(t, v.Get(&meta))
		return meta.GetCurrentDetails()
	}
	newRouter := func(targets []string, signalErr error) (*testsuite.TestWorkflowEnvironment, *int) {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(PolicyEventRouterWorkflow)
		acts := &activities.Activities{}
		env.RegisterActivity(acts)
		tries := 0
		env.OnActivity(acts.ResolvePolicyEvent, mock.Anything, mock.Anything).Return(
			func(context.Context, activities.RouteInput) (activities.RouteOutput, error) {
				tries++
				return activities.RouteOutput{WorkflowIDs: targets}, nil
			})
		env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", engagement.SignalPolicyEvent, mock.Anything).Return(signalErr)
		return env, &tries
	}
	ev := engagement.PolicyEvent{EventID: "ev_1", Type: pc.EventPolicyCancelled, ObjectID: "pl_1"}

	env, _ := newRouter([]string{"engagement:remote:a", "engagement:upwork:b"}, nil)
	env.ExecuteWorkflow(PolicyEventRouterWorkflow, ev)
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, "delivered to engagement:remote:a, engagement:upwork:b", details(env))

	env, _ = newRouter([]string{"engagement:remote:closed"}, errors.New("workflow not found"))
	env.ExecuteWorkflow(PolicyEventRouterWorkflow, ev)
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, "delivered to no running engagement", details(env))

	env, tries := newRouter(nil, nil)
	start := env.Now()
	env.ExecuteWorkflow(PolicyEventRouterWorkflow, ev)
	// Tried at 0, every 10 minutes through 7 days (7 x 24 x 6 + 1 tries), and once more.
	assert.Equal(t, 7*24*6+2, *tries)
	assert.Equal(t, RouterGiveUpAfter+RouterRetryEvery, env.Now().Sub(start))
}
