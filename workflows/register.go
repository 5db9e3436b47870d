package workflows

import (
	"github.com/coverage-orchestrator/coverage/engagement"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
)

// workflowTypes is every workflow of the service under the type name clients use, with its
// versioning behaviour (README "Deploying a new version"): Pinned runs finish on the build
// that started them; Auto-Upgrade runs move to each new current build at their next workflow
// task, so every change to them goes under a marker (versions.go) and replays the goldens of
// every kept release.
var workflowTypes = []struct {
	name     string
	fn       any
	behavior workflow.VersioningBehavior
}{
	// Months long: must follow new builds (patching).
	{engagement.WorkflowEngagement, EngagementWorkflow, workflow.VersioningBehaviorAutoUpgrade},
	// Lives while a contractor's application is pending, with no bound: must not strand on a
	// retired build with engagements queued behind it.
	{engagement.WorkflowContractorSession, ContractorSessionWorkflow, workflow.VersioningBehaviorAutoUpgrade},
	// Seconds usually, but an unroutable event stays parked up to RouterGiveUpAfter (7 days).
	{engagement.WorkflowPolicyEventRouter, PolicyEventRouterWorkflow, workflow.VersioningBehaviorAutoUpgrade},
	// One poll or one backfill: seconds to minutes, then the next run starts on the current build.
	{engagement.WorkflowPollPlatform, PollPlatformWorkflow, workflow.VersioningBehaviorPinned},
	{engagement.WorkflowPolicyEventsPoller, PolicyEventsPollerWorkflow, workflow.VersioningBehaviorPinned},
	{engagement.WorkflowBackfill, BackfillWorkflow, workflow.VersioningBehaviorPinned},
	// One engagement's notifications: lives while a receiver is retried, up to NotifyFor (24 h)
	// after the last one: must not strand on a retired build.
	{engagement.WorkflowNotificationSender, NotificationSenderWorkflow, workflow.VersioningBehaviorAutoUpgrade},
}

// WorkflowRegistry is where workflows are registered: a worker or a replayer.
type WorkflowRegistry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register puts every workflow and the activities on a worker.
func Register(w worker.Registry, acts *activities.Activities) {
	RegisterWorkflows(w)
	w.RegisterActivity(acts)
}

// RegisterWorkflows puts every workflow, with its versioning behaviour, on a worker or a
// replayer.
func RegisterWorkflows(r WorkflowRegistry) {
	for _, t := range workflowTypes {
		r.RegisterWorkflowWithOptions(t.fn, workflow.RegisterOptions{Name: t.name, VersioningBehavior: t.behavior})
	}
}

// AutoUpgraded are the workflow types whose open runs move to a new build: the ones a new
// release must replay (old goldens, the replay check).
func AutoUpgraded() []string {
	var names []string
	for _, t := range workflowTypes {
		if t.behavior == workflow.VersioningBehaviorAutoUpgrade {
			names = append(names, t.name)
		}
	}
	return names
}
