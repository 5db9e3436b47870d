package activities

import (
	"context"
	"slices"

	"go.temporal.io/sdk/activity"

	"github.com/coverage-orchestrator/coverage/notify"
)

// MetricNotifications counts notification deliveries by type and outcome (sent, failed);
// exported by the worker as temporal_coverage_notifications_total.
const MetricNotifications = "coverage_notifications"

// NotificationInput is one notification for every configured destination.
type NotificationInput struct {
	Event notify.Event `json:"event"`
}

// SendNotification delivers one notification to every destination. Destinations that
// answered 2xx are remembered in the heartbeat, so a retry (the receiver was down) only
// resends to the ones still failing; each receiver sees the same event id every time.
func (a *Activities) SendNotification(ctx context.Context, in NotificationInput) error {
	if !a.Notifier.Enabled() {
		return nil
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
