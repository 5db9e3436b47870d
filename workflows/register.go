package workflows

import (
	"github.com/coverage-orchestrator/coverage/engagement"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
)

// Register puts every workflow of the service, under the type names clients use, and the
// activities on a worker.
func Register(w worker.Registry, acts *activities.Activities) {
	for name, fn := range map[string]any{
		engagement.WorkflowEngagement:         EngagementWorkflow,
		engagement.WorkflowContractorSession:  ContractorSessionWorkflow,
		engagement.WorkflowPolicyEventRouter:  PolicyEventRouterWorkflow,
		engagement.WorkflowPollPlatform:       PollPlatformWorkflow,
		engagement.WorkflowPolicyEventsPoller: PolicyEventsPollerWorkflow,
		engagement.WorkflowBackfill:           BackfillWorkflow,
	} {
		w.RegisterWorkflowWithOptions(fn, workflow.RegisterOptions{Name: name})
	}
	w.RegisterActivity(acts)
}
