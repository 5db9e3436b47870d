package activities

import (
	"context"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// How a 1099Policy event reached the service. An event can arrive both ways; the engagement
// acts on whichever comes first (dedupe by event id) and says in its transition cause when
// the poller found it first.
const (
	SourceWebhook      = "webhook"
	SourceEventsPoller = "events poller"
)

// PolicyEvent is a 1099Policy event reduced to what routing and the engagement need; it is
// the payload of the engagement's policy-event signal and of the routing workflow.
type PolicyEvent struct {
	EventID        string `json:"event_id"`
	Type           string `json:"type"` // canonical (policy.cancelled, certificate.approved…)
	Created        int64  `json:"created"`
	ObjectID       string `json:"object_id"`
	QuoteID        string `json:"quote_id,omitempty"`
	ContractorID   string `json:"contractor_id,omitempty"`
	Status         string `json:"status,omitempty"`
	ExpirationDate int64  `json:"expiration_date,omitempty"`
	EngagementKey  string `json:"engagement_key,omitempty"` // custom_metadata.engagement_key, when present
	Source         string `json:"source,omitempty"`         // SourceWebhook or SourceEventsPoller
	// Refetch says only EventID is known (POLICY_WEBHOOK_VERIFY=refetch): the routing
	// workflow reads the event from 1099Policy before anything acts on it.
	Refetch bool `json:"refetch,omitempty"`
}

// PolicyEventFrom reduces a parsed 1099Policy event to the signal payload.
func PolicyEventFrom(ev pc.Event, source string) PolicyEvent {
	return PolicyEvent{EventID: ev.ID, Type: ev.Type, Created: int64(ev.Created), ObjectID: ev.ObjectID, QuoteID: ev.QuoteID,
		ContractorID: ev.ContractorID, Status: ev.Status, ExpirationDate: int64(ev.ExpirationDate), EngagementKey: ev.EngagementKey(),
		Source: source}
}

// FetchEventInput names an event to read from 1099Policy.
type FetchEventInput struct {
	EventID string `json:"event_id"`
	Source  string `json:"source"`
}

// FetchEventOutput is the event as 1099Policy stored it; Found is false when 1099Policy does
// not know the id (a forged or mistaken webhook).
type FetchEventOutput struct {
	Found bool        `json:"found"`
	Event PolicyEvent `json:"event"`
}

// FetchPolicyEvent reads one event with the API key (GET /api/v1/events/{id}): in refetch mode
// this, not the webhook body, is what the engagement acts on.
func (a *Activities) FetchPolicyEvent(ctx context.Context, in FetchEventInput) (FetchEventOutput, error) {
	ev, err := a.Policy.GetEvent(ctx, in.EventID)
	if pc.IsNotFound(err) {
		return FetchEventOutput{}, nil
	}
	if err != nil {
		return FetchEventOutput{}, classify(err)
	}
	return FetchEventOutput{Found: true, Event: PolicyEventFrom(ev, in.Source)}, nil
}

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
// (DeliverPolicyEvent, injected by the worker). Delivery is idempotent (router workflows are
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
		if _, err := a.DeliverPolicyEvent(ctx, PolicyEventFrom(ev, SourceEventsPoller)); err != nil {
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
