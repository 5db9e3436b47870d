package engagement

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// A policy.* event may concern every engagement of the contractor: even when its metadata
// names one engagement it goes to the routing workflow (policy-event:<event id>), never
// straight to that engagement. Other events that name their engagement are signalled to it.
func TestDeliverPolicyEventRoutesPolicyEventsAndSignalsTheRest(t *testing.T) {
	for _, typ := range []string{pc.EventPolicyActive, pc.EventPolicyReactivated, pc.EventPolicyActiveMedia, pc.EventPolicyCancelled, pc.EventPolicyExpired} {
		t.Run(typ, func(t *testing.T) {
			c := &mocks.Client{}
			run := &mocks.WorkflowRun{}
			run.On("Get", mock.Anything, mock.Anything).Return(nil)
			ev := PolicyEvent{EventID: "ev_9", Type: typ, ObjectID: "pl_1", ContractorID: "cn_1", EngagementKey: "engagement:remote:ct_1", Source: SourceEventsPoller}
			c.On("ExecuteWorkflow", mock.Anything, mock.MatchedBy(func(o client.StartWorkflowOptions) bool { return o.ID == "policy-event:ev_9" }),
				WorkflowPolicyEventRouter, ev).Return(run, nil).Once()
			outcome, reached, err := DeliverPolicyEvent(context.Background(), c, "coverage", ev)
			require.NoError(t, err)
			assert.Equal(t, Accepted, outcome)
			assert.Equal(t, "policy-event:ev_9", reached)
			c.AssertExpectations(t)
			c.AssertNotCalled(t, "SignalWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything)
		})
	}
	t.Run("certificate.approved naming its engagement", func(t *testing.T) {
		c := &mocks.Client{}
		ev := PolicyEvent{EventID: "ev_10", Type: pc.EventCertificateApproved, ObjectID: "cert_1", EngagementKey: "engagement:remote:ct_1"}
		c.On("SignalWorkflow", mock.Anything, "engagement:remote:ct_1", "", SignalPolicyEvent, ev).Return(nil).Once()
		outcome, reached, err := DeliverPolicyEvent(context.Background(), c, "coverage", ev)
		require.NoError(t, err)
		assert.Equal(t, Accepted, outcome)
		assert.Equal(t, "engagement:remote:ct_1", reached)
		c.AssertExpectations(t)
		c.AssertNotCalled(t, "ExecuteWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything)
	})
	t.Run("an event no engagement acts on", func(t *testing.T) {
		c := &mocks.Client{}
		outcome, reached, err := DeliverPolicyEvent(context.Background(), c, "coverage", PolicyEvent{EventID: "ev_11", Type: "application.created", EngagementKey: "engagement:remote:ct_1"})
		require.NoError(t, err)
		assert.Equal(t, Ignored, outcome)
		assert.Empty(t, reached)
		c.AssertExpectations(t)
	})
}
