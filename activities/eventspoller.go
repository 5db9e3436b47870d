package activities

import (
	"context"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/coverage-orchestrator/coverage/engagement"
	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// The 1099Policy events poller: events read back to the last one seen and routed as their
// webhooks would be.

// EventsWatermark is where the events poller stopped: the newest event it handed over, and
// that event's creation time (the walk also stops at anything older, in case the event itself
// is no longer listed). Before any event was seen, only AfterCreated is set.
type EventsWatermark struct {
	AfterID      string `json:"after_id"`
	AfterCreated int64  `json:"after_created"`
}

// PollEventsInput is one poll of 1099Policy's events list.
type PollEventsInput struct {
	From     EventsWatermark `json:"from"`
	PageSize int             `json:"page_size"` // 1–100; 100 when 0
}

// PollEventsOutput is the new watermark and what the poll found.
type PollEventsOutput struct {
	Watermark EventsWatermark `json:"watermark"`
	Pages     int             `json:"pages"`
	Found     int             `json:"found"`
	Malformed []string        `json:"malformed,omitempty"` // ids of listed events that could not be parsed
}

// PollPolicyEvents reads GET /api/v1/events (newest first) page by page back to the watermark,
// then hands every new event, oldest first, to the same routing a webhook takes
// (engagement.DeliverPolicyEvent). Delivery is idempotent (router workflows are
// keyed by event id and engagements drop event ids they have seen), so a retry after a
// failure part-way simply hands the same events over again.
func (a *Activities) PollPolicyEvents(ctx context.Context, in PollEventsInput) (PollEventsOutput, error) {
	size := in.PageSize
	if size <= 0 || size > 100 {
		size = 100
	}
	out := PollEventsOutput{Watermark: in.From}
	var fresh []pc.Event // newest first
	after := ""
walk:
	for {
		page, err := a.Policy.ListEvents(ctx, pc.ListParams{Limit: size, StartingAfter: after})
		if err != nil {
			return out, classify(err)
		}
		out.Pages++
		activity.RecordHeartbeat(ctx, out.Pages)
		if len(page.Events) == 0 && page.LastID == "" {
			break // an empty page ends the list
		}
		for _, ev := range page.Events {
			if ev.ID == in.From.AfterID || int64(ev.Created) < in.From.AfterCreated {
				break walk
			}
			fresh = append(fresh, ev)
		}
		out.Malformed = append(out.Malformed, page.Malformed...)
		after = page.LastID
	}
	if len(out.Malformed) > 0 {
		activity.GetLogger(ctx).Warn("1099Policy listed events that could not be parsed; they are skipped",
			"event_ids", out.Malformed)
	}
	slices.Reverse(fresh)
	for i, ev := range fresh {
		if _, _, err := engagement.DeliverPolicyEvent(ctx, a.Temporal, a.TaskQueue, engagement.PolicyEventFrom(ev, engagement.SourceEventsPoller)); err != nil {
			return out, err
		}
		activity.RecordHeartbeat(ctx, out.Pages+i+1)
	}
	out.Found = len(fresh)
	if n := len(fresh); n > 0 {
		out.Watermark = EventsWatermark{AfterID: fresh[n-1].ID, AfterCreated: int64(fresh[n-1].Created)}
	}
	return out, nil
}

// FirstEventsWatermark is where the very first poll starts: lookback before now.
func FirstEventsWatermark(now time.Time, lookback time.Duration) EventsWatermark {
	return EventsWatermark{AfterCreated: now.Add(-lookback).Unix()}
}
