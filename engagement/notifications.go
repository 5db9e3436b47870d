package engagement

import (
	"context"

	"go.temporal.io/sdk/client"

	"github.com/coverage-orchestrator/coverage/notify"
)

// The per-engagement notification sender: one queue per destination, so a dead receiver
// delays only itself (workflows.NotificationSenderWorkflow).

// SignalNotification carries a notify.Event to the sender.
const SignalNotification = "notification"

// NotificationSenderWorkflowID is the sender of one engagement's notifications.
func NotificationSenderWorkflowID(engagementWorkflowID string) string {
	return "notifications:" + engagementWorkflowID
}

// NotificationSenderInput starts a sender workflow.
type NotificationSenderInput struct {
	EngagementWorkflowID string `json:"engagement_workflow_id"`
}

// EnqueueNotification signal-with-starts the engagement's sender workflow with the event:
// once Temporal holds it the engagement is done with it, whatever its receivers do. A retry
// may signal twice; the sender drops the second by event id.
func EnqueueNotification(ctx context.Context, c client.Client, taskQueue, engagementWorkflowID string, ev notify.Event) error {
	id := NotificationSenderWorkflowID(engagementWorkflowID)
	_, err := c.SignalWithStartWorkflow(ctx, id, SignalNotification, ev,
		client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue, StaticSummary: "notifications of " + engagementWorkflowID},
		WorkflowNotificationSender, NotificationSenderInput{EngagementWorkflowID: engagementWorkflowID})
	return err
}
