package workflows

import (
	"go.temporal.io/sdk/worker"

	"github.com/coverage-orchestrator/coverage/activities"
)

// Register puts every workflow of the service and the activities on a worker.
func Register(w worker.Registry, acts *activities.Activities) {
	w.RegisterWorkflow(EngagementWorkflow)
	w.RegisterWorkflow(ContractorSessionWorkflow)
	w.RegisterWorkflow(PolicyEventRouterWorkflow)
	w.RegisterWorkflow(PollPlatformWorkflow)
	w.RegisterWorkflow(PolicyEventsPollerWorkflow)
	w.RegisterWorkflow(BackfillWorkflow)
	w.RegisterWorkflow(NotificationSenderWorkflow)
	w.RegisterActivity(acts)
}
