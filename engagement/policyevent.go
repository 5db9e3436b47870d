package engagement

import (
	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// The 1099Policy event as the engagement and its router receive it.

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
		ContractorID: ev.ContractorID, Status: ev.Status, ExpirationDate: int64(ev.ExpirationDate), EngagementKey: EngagementKey(ev.EngagementKey()),
		Source: source}
}

// EngagementKey is custom_metadata.engagement_key as a workflow id to signal: an engagement's
// (this service sets no other), else "" (the event is then routed by its objects, never
// signalled to another kind of workflow).
func EngagementKey(metadataValue string) string {
	if _, _, ok := ParseWorkflowID(metadataValue); !ok {
		return ""
	}
	return metadataValue
}
