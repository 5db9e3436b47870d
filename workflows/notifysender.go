package workflows

import (
	"slices"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/notify"
)

// NotificationSenderWorkflow delivers one engagement's notifications (ID
// notifications:<engagement workflow id>, signal-with-started by EnqueueNotification): one
// queue per destination, each sent in order and retried for up to NotifyFor, so a dead
// receiver delays only itself and never the engagement, which completes or continues as new
// as soon as Temporal holds its notifications. It completes when every queue is empty.
func NotificationSenderWorkflow(ctx workflow.Context, in engagement.NotificationSenderInput) error {
	logger := workflow.GetLogger(ctx)
	var destinations []string
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second}),
		(*activities.Activities).NotificationDestinations).Get(ctx, &destinations); err != nil {
		return err
	}
	queues := make([][]notify.Event, len(destinations))
	var seen []string // event ids: an enqueue retried after its signal landed sends nothing twice
	enqueue := func(ev notify.Event) {
		if slices.Contains(seen, ev.ID) {
			return
		}
		seen = append(seen, ev.ID)
		for i := range queues {
			queues[i] = append(queues[i], ev)
		}
	}
	signals := workflow.GetSignalChannel(ctx, engagement.SignalNotification)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ev notify.Event
			signals.Receive(ctx, &ev)
			enqueue(ev)
		}
	})
	send := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
		ScheduleToCloseTimeout: NotifyFor, RetryPolicy: notifyRetry})
	for i, destination := range destinations {
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				if workflow.Await(ctx, func() bool { return len(queues[i]) > 0 }) != nil {
					return
				}
				ev := queues[i][0]
				err := workflow.ExecuteActivity(send, (*activities.Activities).SendNotification,
					activities.NotificationInput{Event: ev, Destination: destination}).Get(ctx, nil)
				if err != nil && !temporal.IsCanceledError(err) {
					logger.Error("notification given up", "notification_id", ev.ID, "type", ev.Type, "destination", destination, "error", err)
				}
				queues[i] = queues[i][1:]
			}
		})
	}
	empty := func() bool {
		for _, q := range queues {
			if len(q) > 0 {
				return false
			}
		}
		return true
	}
	for {
		if err := workflow.Await(ctx, empty); err != nil {
			return err
		}
		for { // a signal not yet read would be lost by completing
			var ev notify.Event
			if !signals.ReceiveAsync(&ev) {
				break
			}
			enqueue(ev)
		}
		if empty() {
			return nil
		}
	}
}
