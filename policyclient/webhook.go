package policyclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/webhooksig"
)

// Signature verification failures; the ingress answers 401 with the reason.
var (
	ErrMissingSignature = webhooksig.ErrMissing
	ErrMalformedHeader  = webhooksig.ErrMalformed
	ErrStaleTimestamp   = webhooksig.ErrStale
	ErrNoMatch          = webhooksig.ErrNoMatch
)

// Verifier checks Ten99Policy-Signature headers (the webhooksig scheme).
type Verifier struct {
	Secret    string           // comma-separated: any one verifies (rotation)
	Tolerance time.Duration    // webhooksig.DefaultTolerance when 0
	Now       func() time.Time // time.Now when nil; injectable for tests
}

// Verify returns nil when one v1 entry matches body and the timestamp is fresh.
func (v Verifier) Verify(header string, body []byte) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	return webhooksig.Verify(header, body, now(), v.Tolerance, SecretList(v.Secret)...)
}

// Canonical event types (the guides' aliases are mapped onto these).
const (
	EventPolicyActive        = "policy.active"
	EventPolicyActiveMedia   = "policy.active.media"
	EventPolicyCancelled     = "policy.cancelled"
	EventPolicyExpired       = "policy.expired"
	EventPolicyReactivated   = "policy.reactivated"
	EventApplicationStarted  = "application.started"
	EventApplicationComplete = "application.complete"
	EventApplicationExpired  = "application.expired"
	EventApplicationCreated  = "application.created"
	// Manual review and ineligibility of an application.
	EventApplicationManualReview   = "application.manual_review"
	EventApplicationReviewApproved = "application.manual_review_approved"
	EventApplicationIneligible     = "application.ineligible"
	EventAssignmentActive          = "assignment.active"
	EventAssignmentCancelled       = "assignment.cancelled"
	EventCertificateApproved       = "certificate.approved"
	EventCertificateFlagged        = "certificate.flagged"
	EventCertificateDenied         = "certificate.denied"
	EventCertificateError          = "certificate.error"
)

var eventAliases = map[string]string{
	"policy.canceled":       EventPolicyCancelled,
	"certificate.validated": EventCertificateApproved,
}

// CanonicalEventType maps the guides' spellings onto the API's.
func CanonicalEventType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if c, ok := eventAliases[t]; ok {
		return c
	}
	return t
}

// Event is a parsed webhook event. Object is the payload object; the other fields are read from
// it so the ingress can route without knowing each object's shape.
type Event struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Created Time            `json:"created"`
	Object  json.RawMessage `json:"data"`

	ObjectID       string   `json:"-"`
	Status         string   `json:"-"`
	QuoteID        string   `json:"-"` // policy and application events
	ContractorID   string   `json:"-"`
	ExpirationDate Time     `json:"-"`
	EffectiveDate  Time     `json:"-"`
	Metadata       Metadata `json:"-"`
}

// MetadataEngagementKey is the custom_metadata key, set on every object this service creates
// in 1099Policy, that holds the engagement's workflow ID (engagement.EngagementKeyOf reads it).
const MetadataEngagementKey = "engagement_key"

// ErrEventMalformed wraps every reason an event body is refused.
var ErrEventMalformed = errors.New("malformed 1099Policy event")

// ParseEvent accepts the three envelope shapes: {id,type,created,data:{…}},
// {id,type,created,data:{object:{…}}} and the same without a top-level id (the id is then
// derived from the type, the object id and created, so duplicates still dedupe).
func ParseEvent(body []byte) (Event, error) {
	var env struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Created Time            `json:"created"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrEventMalformed, err)
	}
	if strings.TrimSpace(env.Type) == "" {
		return Event{}, fmt.Errorf("%w: missing field \"type\"", ErrEventMalformed)
	}
	data, err := unwrapJSONString(env.Data)
	if err != nil || len(data) == 0 || data[0] != '{' {
		return Event{}, fmt.Errorf("%w: field \"data\" must be an object", ErrEventMalformed)
	}
	var wrapper struct {
		Object json.RawMessage `json:"object"`
	}
	if json.Unmarshal(data, &wrapper) == nil && len(wrapper.Object) > 0 && wrapper.Object[0] == '{' {
		data = wrapper.Object
	}
	var obj struct {
		ID             string          `json:"id"`
		Status         string          `json:"status"`
		Quote          json.RawMessage `json:"quote"`
		Contractor     json.RawMessage `json:"contractor"`
		ExpirationDate Time            `json:"expiration_date"`
		EffectiveDate  Time            `json:"effective_date"`
		CustomMetadata Metadata        `json:"custom_metadata"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return Event{}, fmt.Errorf("%w: data: %v", ErrEventMalformed, err)
	}
	if obj.ID == "" {
		return Event{}, fmt.Errorf("%w: missing field \"data.id\"", ErrEventMalformed)
	}
	ev := Event{
		ID: env.ID, Type: CanonicalEventType(env.Type), Created: env.Created, Object: data,
		ObjectID: obj.ID, Status: obj.Status, QuoteID: refID(obj.Quote), ContractorID: refID(obj.Contractor),
		ExpirationDate: obj.ExpirationDate, EffectiveDate: obj.EffectiveDate, Metadata: obj.CustomMetadata,
	}
	if ev.ID == "" {
		ev.ID = fmt.Sprintf("derived:%s:%s:%d", ev.Type, ev.ObjectID, ev.Created)
	}
	return ev, nil
}

// EventIDShape is the shape of a 1099Policy event id ("ev_…"): refetch mode reads nothing
// for an id of another shape.
var EventIDShape = regexp.MustCompile(`^ev_[A-Za-z0-9_-]{1,64}$`)

// EventIDOf reads only the top-level event id of a webhook body (refetch mode, where nothing
// else in the body is trusted).
func EventIDOf(body []byte) (string, error) {
	var env struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return "", fmt.Errorf("%w: %v", ErrEventMalformed, err)
	}
	id := strings.TrimSpace(env.ID)
	if id == "" {
		return "", fmt.Errorf("%w: missing field \"id\" (refetch mode reads the event by its id)", ErrEventMalformed)
	}
	if !EventIDShape.MatchString(id) {
		return "", fmt.Errorf("%w: field \"id\" is not a 1099Policy event id (ev_ and up to 64 letters, digits, _ or -)", ErrEventMalformed)
	}
	return id, nil
}

// refID reads a reference that is an id string or an expanded object with an id.
func refID(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.ID
	}
	return ""
}
