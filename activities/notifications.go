package activities

import (
	"context"
	"slices"

	"go.temporal.io/sdk/activity"

	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/notify"
)

// MetricNotifications counts notification deliveries by type and outcome (sent, failed);
// exported by the worker as temporal_coverage_notifications_total.
const MetricNotifications = "coverage_notifications"

// NotificationInput is one notification for one destination (Destination, an id from
// notify.DestinationID), or for every configured destination (Destination empty: the runs
// that started before per-destination queues).
type NotificationInput struct {
	Event       notify.Event `json:"event"`
	Destination string       `json:"destination,omitempty"`
}

// SendNotification delivers one notification to every destination. Destinations that
// answered 2xx are remembered in the heartbeat, so a retry (the receiver was down) only
// resends to the ones still failing; each receiver sees the same event id every time.
func (a *Activities) SendNotification(ctx context.Context, in NotificationInput) error {
	if !a.Notifier.Enabled() {
		return nil
	}
	if in.Destination != "" {
		return a.sendToOne(ctx, in)
	}
	var done []int
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &done)
	}
	metrics := activity.GetMetricsHandler(ctx).WithTags(map[string]string{"event_type": in.Event.Type})
	var firstErr error
	for i, dest := range a.Notifier.Destinations() {
		if slices.Contains(done, i) {
			continue
		}
		if err := a.Notifier.Send(ctx, dest, in.Event); err != nil {
			metrics.WithTags(map[string]string{"outcome": "failed"}).Counter(MetricNotifications).Inc(1)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		metrics.WithTags(map[string]string{"outcome": "sent"}).Counter(MetricNotifications).Inc(1)
		done = append(done, i)
		activity.RecordHeartbeat(ctx, done)
	}
	return firstErr
}

func (a *Activities) sendToOne(ctx context.Context, in NotificationInput) error {
	metrics := activity.GetMetricsHandler(ctx).WithTags(map[string]string{"event_type": in.Event.Type})
	found, err := a.Notifier.SendTo(ctx, in.Destination, in.Event)
	switch {
	case !found:
		activity.GetLogger(ctx).Warn("notification destination no longer configured; not sent", "destination", in.Destination, "notification_id", in.Event.ID)
		return nil
	case err != nil:
		metrics.WithTags(map[string]string{"outcome": "failed"}).Counter(MetricNotifications).Inc(1)
		return err
	}
	metrics.WithTags(map[string]string{"outcome": "sent"}).Counter(MetricNotifications).Inc(1)
	return nil
}

// EnqueueInput hands one notification of an engagement to its sender workflow.
type EnqueueInput struct {
	EngagementWorkflowID string       `json:"engagement_workflow_id"`
	Event                notify.Event `json:"event"`
}

// EnqueueNotification signal-with-starts the engagement's sender workflow with the event:
// once Temporal holds it the engagement is done with it, whatever its receivers do. A retry
// may signal twice; the sender drops the second by event id.
func (a *Activities) EnqueueNotification(ctx context.Context, in EnqueueInput) error {
	return engagement.EnqueueNotification(ctx, a.Temporal, activity.GetInfo(ctx).TaskQueue, in.EngagementWorkflowID, in.Event)
}

// NotificationDestinations lists the configured destinations' ids.
func (a *Activities) NotificationDestinations(context.Context) ([]string, error) {
	if !a.Notifier.Enabled() {
		return []string{}, nil
	}
	return a.Notifier.DestinationIDs(), nil
}
