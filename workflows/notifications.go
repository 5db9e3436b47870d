package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/coverage-orchestrator/coverage/activities"
	"github.com/coverage-orchestrator/coverage/engagement"
	"github.com/coverage-orchestrator/coverage/notify"
	"github.com/coverage-orchestrator/coverage/redact"
)

// Notifications (SPEC §8): the transitions that matter to a company are queued in the
// engagement's state and handed, in order, by one coroutine to the engagement's sender
// workflow (notifysender.go), which keeps one queue per destination: a receiver that is down
// holds up neither the lifecycle nor the other receivers, nor the engagement's completion, and
// every notification is delivered at least once. (Runs started before the sender existed send
// to every destination from here, as they did.)

// NotifyFor is how long a notification is retried before it is given up (logged, counted).
const NotifyFor = 24 * time.Hour

var notifyRetry = &temporal.RetryPolicy{InitialInterval: 2 * time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute}

// statusEvents names the notification a coverage status change sends.
var statusEvents = map[engagement.CoverageStatus]string{
	engagement.StatusInsured:        notify.EngagementInsured,
	engagement.StatusUnprotected:    notify.EngagementUnprotected,
	engagement.StatusNeedsAttention: notify.EngagementNeedsAttention,
	engagement.StatusEnded:          notify.EngagementEnded,
	engagement.StatusCanceled:       notify.EngagementCanceled,
}

// notify queues one notification with the engagement as it is now.
func (e *engagementRun) notify(eventType, reason string) {
	s := e.s
	if s.NoNotifications {
		return
	}
	s.NotificationSeq++
	s.Outbox = append(s.Outbox, notify.Event{
		ID: notify.EventID(s.WorkflowID, s.NotificationSeq), Type: eventType, Created: e.now().Unix(),
		Engagement: notify.Engagement{WorkflowID: s.WorkflowID, Vendor: s.Vendor, EngagementID: s.EngagementID,
			CoverageStatus: string(s.CoverageStatus), CertificateStatus: string(s.CertificateStatus), Reason: redact.PersonalData(reason),
			SessionURL: s.Policy.SessionURL, CoverageStart: s.CoverageStart, CoverageEnd: s.CoverageEnd},
	})
}

// sendNotifications hands the outbox over in order, one at a time, for as long as the workflow
// runs; the workflow waits for it to drain (Temporal holds them) before it completes or
// continues as new.
func (e *engagementRun) sendNotifications() {
	// Disconnected: a cancellation from Temporal becomes an end whose notification still goes out.
	dctx, _ := workflow.NewDisconnectedContext(e.ctx)
	workflow.Go(dctx, func(ctx workflow.Context) {
		toSender := atLeast(ctx, versionNotificationSender)
		for {
			if err := workflow.Await(ctx, func() bool { return len(e.s.Outbox) > 0 }); err != nil {
				return // the workflow is being cancelled
			}
			ev := e.s.Outbox[0]
			var err error
			if toSender {
				err = perform(ctx, enqueueKind, (*activities.Activities).EnqueueNotification,
					activities.EnqueueInput{EngagementWorkflowID: e.s.WorkflowID, Event: ev})
			} else {
				err = perform(ctx, notifyKind, (*activities.Activities).SendNotification, activities.NotificationInput{Event: ev})
			}
			if err != nil {
				e.logger.Error("notification given up", "notification_id", ev.ID, "type", ev.Type, "error", err)
			}
			e.s.Outbox = e.s.Outbox[1:]
		}
	})
}

// notificationsSent reports an empty outbox.
func (e *engagementRun) notificationsSent() bool { return len(e.s.Outbox) == 0 }

// applicationPendingDue is when an open session has waited long enough to tell the company,
// if that is still before the start date and it was not told for this session yet.
func (e *engagementRun) applicationPendingDue() (time.Time, bool) {
	s := e.s
	if s.ApplicationPendingAfter <= 0 || !s.sessionOpen() || s.SessionCreatedAt.IsZero() ||
		s.PendingNotifiedSession == s.Policy.SessionID {
		return time.Time{}, false
	}
	due := s.SessionCreatedAt.Add(s.ApplicationPendingAfter)
	if s.CoverageStart > 0 && !due.Before(time.Unix(s.CoverageStart, 0)) {
		return time.Time{}, false
	}
	return due, true
}

func (e *engagementRun) notifyApplicationPending() {
	s := e.s
	s.PendingNotifiedSession = s.Policy.SessionID
	e.notify(notify.EngagementApplicationPending, fmt.Sprintf("application session open for more than %s before the start date", s.ApplicationPendingAfter))
}
