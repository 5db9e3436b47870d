package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
)

type grant struct {
	engagement string
	queued     bool
}

func TestCoordinatorGrantsOneSessionAtATime(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ContractorSessionWorkflow)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: engagement.ContractorWorkflowID("cn_1")})
	var grants []grant
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", engagement.SignalSessionLease, mock.Anything).Return(
		func(_, id, _, _ string, arg any) error {
			if id == "engagement:remote:gone" {
				return errors.New("workflow not found")
			}
			grants = append(grants, grant{id, arg.(engagement.SessionLease).Queued})
			return nil
		})
	acquire := func(id string) {
		env.SignalWorkflow(engagement.SignalAcquireSession, engagement.LeaseRequest{EngagementWorkflowID: id})
	}
	release := func(id string) {
		env.SignalWorkflow(engagement.SignalReleaseSession, engagement.LeaseRequest{EngagementWorkflowID: id})
	}
	env.RegisterDelayedCallback(func() {
		acquire("engagement:remote:a")
		acquire("engagement:upwork:b")
		acquire("engagement:remote:gone")
		acquire("engagement:jobdiva:c")
		acquire("engagement:upwork:b") // asked twice: queued once
	}, 0) // as signal-with-start does: the signals are there before the first workflow task
	var afterFirst int
	env.RegisterDelayedCallback(func() { afterFirst = len(grants); release("engagement:remote:a") }, time.Minute)
	env.RegisterDelayedCallback(func() { release("engagement:jobdiva:c") }, 2*time.Minute) // leaves the queue
	env.RegisterDelayedCallback(func() { release("engagement:upwork:b") }, 3*time.Minute)
	env.ExecuteWorkflow(ContractorSessionWorkflow, engagement.ContractorInput{ContractorID: "cn_1"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 1, afterFirst, "only the first engagement holds the lease while it is held")
	assert.Equal(t, []grant{{"engagement:remote:a", false}, {"engagement:upwork:b", true}}, grants,
		"b next, told it waited; gone is skipped; c left the queue before its turn")
}
