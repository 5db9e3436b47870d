// Package vendors defines what every platform adapter provides: webhook verification and
// parsing into normalised events, and fetching the source objects mapped into one normalised
// engagement. One sub-package per platform implements it.
package vendors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// EventKind is what a platform event means for an engagement.
type EventKind string

// Event kinds.
const (
	KindStart            EventKind = "start"
	KindUpdate           EventKind = "update"
	KindEnd              EventKind = "end"
	KindCancel           EventKind = "cancel"
	KindCOI              EventKind = "coi"
	KindInvoice          EventKind = "invoice"
	KindContractorUpdate EventKind = "contractor_update"
	KindIgnore           EventKind = "ignore"
)

// Event is one platform event, normalised. It carries no personal data.
type Event struct {
	Vendor       string    `json:"vendor"`
	Kind         EventKind `json:"kind"`
	Name         string    `json:"name"`          // the platform's event name
	EngagementID string    `json:"engagement_id"` // contract, work order, placement id
	EventID      string    `json:"event_id"`      // the platform's id, else a hash (dedupe key)
	OccurredAt   time.Time `json:"occurred_at"`
	DocumentID   string    `json:"document_id,omitempty"` // COI document/attachment
	InvoiceID    string    `json:"invoice_id,omitempty"`  // invoice or timesheet
	ContractorID string    `json:"contractor_id,omitempty"`
	Reason       string    `json:"reason,omitempty"` // why an event is ignored
	// NoStart delivers the event only to an engagement that already runs (a poll's ended or
	// cancelled record, an end event for an unknown engagement): it never starts one.
	NoStart bool `json:"no_start,omitempty"`
	// Refs are keys beside the engagement id that the platform needs to read the record
	// (JobDiva: candidate_id and job_id); the workflow keeps them.
	Refs map[string]string `json:"refs,omitempty"`
	// Version is the platform record's version as a poll listed it (RecordVersion of what the
	// engagement acts on), so a poller signals only engagements that applied another one.
	// Empty when the source gives none (webhooks): such an event is always delivered.
	Version string `json:"version,omitempty"`
}

// Contractor is the person, as the platform knows them. Personal data: never log it.
type Contractor struct {
	SourceID   string `json:"source_id"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Email      string `json:"email"` // lower-cased; the proxy when the platform has none
	Phone      string `json:"phone,omitempty"`
	Line1      string `json:"line1,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postalcode,omitempty"`
	Country    string `json:"country,omitempty"` // ISO alpha-2
}

// Job is the work, as the platform knows it.
type Job struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	ClientID    string `json:"client_id"` // mapped to a 1099Policy entity
	Category    string `json:"category"`  // mapped to a 1099Policy category_code
	Wage        int64  `json:"wage"`      // integer cents
	WageType    string `json:"wage_type"` // hourly or flatfee
	Region      string `json:"region"`    // work state, else the contractor's region
	Country     string `json:"country,omitempty"`
}

// Metadata holds the guide's custom_metadata keys per 1099Policy object.
type Metadata struct {
	Contractor  map[string]string `json:"contractor,omitempty"`
	Job         map[string]string `json:"job,omitempty"`
	Quote       map[string]string `json:"quote,omitempty"`
	Session     map[string]string `json:"session,omitempty"`
	Assignment  map[string]string `json:"assignment,omitempty"`
	Certificate map[string]string `json:"certificate,omitempty"`
}

// Engagement is the normalised engagement record the workflow acts on.
type Engagement struct {
	Vendor       string     `json:"vendor"`
	EngagementID string     `json:"engagement_id"`
	Contractor   Contractor `json:"contractor"`
	Job          Job        `json:"job"`
	Start        int64      `json:"start"` // coverage window, Unix seconds UTC
	End          int64      `json:"end"`   // exclusive: a date-only end is 00:00 UTC of the next day
	Metadata     Metadata   `json:"metadata"`
	// CoverageTypes come from the mapping file (by client id), set when the engagement is fetched.
	CoverageTypes []string `json:"coverage_types,omitempty"`
	Status        string   `json:"status"` // the platform's status, as sent
	// Terminal is KindEnd or KindCancel when the platform already shows the engagement over.
	Terminal EventKind `json:"terminal,omitempty"`
	// UpdatedAt is the platform's own last-modified time, when it has one (for ordering).
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// OutOfScope names why the record is not a contractor engagement (employee, W-2, internal).
	OutOfScope string `json:"out_of_scope,omitempty"`
	// Version is the record's version, computed as the platform's poll computes Event.Version
	// (empty when the record as read has none, JobDiva's).
	Version string `json:"version,omitempty"`
	// Documents are the platform's certificate documents on the engagement (WorkMarket
	// attachments matching WORKMARKET_COI_PATTERN); each is uploaded once.
	Documents []string `json:"documents,omitempty"`
}

// Document is a COI file fetched from the platform.
type Document struct {
	FileName    string
	ContentType string
	Data        []byte
}

// Invoice is a platform invoice or timesheet: actual pay for a period.
type Invoice struct {
	ID          string `json:"id"`
	GrossPay    int64  `json:"gross_pay"`    // cents
	PeriodStart int64  `json:"period_start"` // Unix seconds, the days as given
	PeriodEnd   int64  `json:"period_end"`
}

// Adapter is one platform.
type Adapter interface {
	Vendor() string
	// VerifyWebhook checks the webhook's signature or secret; the error says why it failed.
	VerifyWebhook(h http.Header, body []byte) error
	// ParseWebhook turns a verified body into events; a *ParseError names the bad field.
	ParseWebhook(h http.Header, body []byte) ([]Event, error)
	// FetchEngagement reads the source objects and maps them.
	FetchEngagement(ctx context.Context, engagementID string) (Engagement, error)
	// FetchDocument reads a COI document attached to the engagement.
	FetchDocument(ctx context.Context, engagementID, documentID string) (Document, error)
	// FetchInvoice reads an invoice or timesheet of the engagement.
	FetchInvoice(ctx context.Context, engagementID, invoiceID string) (Invoice, error)
	// ListChanges lists engagements changed since the watermark as events, with the new watermark.
	ListChanges(ctx context.Context, since time.Time) ([]Event, time.Time, error)
}

// RefFetcher is a platform whose records are read by more than their id (JobDiva's starts,
// by candidate and job); the activity passes the keys the workflow kept.
type RefFetcher interface {
	FetchEngagementRefs(ctx context.Context, engagementID string, refs map[string]string) (Engagement, error)
	// RequiredRefs names the keys an enrollment must give beside the id.
	RequiredRefs() []string
}

// Acknowledger is a platform that reads the webhook answer's body as a fixed value (JobDiva's
// boolean true); every accepted delivery is answered with it.
type Acknowledger interface {
	WebhookAck() []byte
}

// Listed is one open engagement a platform lists for backfill, with the keys its lookup needs.
type Listed struct {
	ID   string            `json:"id"`
	Refs map[string]string `json:"refs,omitempty"`
}

// Lister lists a platform's open contractor engagements (backfill).
type Lister interface {
	ListOpen(ctx context.Context) ([]Listed, error)
}

// Refresher is a platform without a change listing (Upwork): the poller hands it the ids of
// the running engagements to re-read.
type Refresher interface {
	Refresh(ctx context.Context, engagementIDs []string) ([]Event, error)
}

// ParseError is a malformed webhook body; Field names what is missing or wrong.
type ParseError struct {
	Field  string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("field %q: %s", e.Field, e.Reason)
}

// Missing is a ParseError for a missing field.
func Missing(field string) error { return &ParseError{Field: field, Reason: "missing"} }

// SignatureError is a webhook whose signature or secret does not verify.
type SignatureError struct{ Reason string }

func (e *SignatureError) Error() string { return "signature: " + e.Reason }

// IsSignatureError reports whether err is a SignatureError.
func IsSignatureError(err error) bool {
	var se *SignatureError
	return errors.As(err, &se)
}

// NotFoundError is a source object the platform does not have.
type NotFoundError struct{ What string }

func (e *NotFoundError) Error() string { return "not found: " + e.What }

// RetryableError is a transient platform failure (network, 429, 5xx).
type RetryableError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *RetryableError) Error() string { return e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }

// Registry holds the enabled adapters by vendor name.
type Registry map[string]Adapter

// Get returns the adapter for vendor.
func (r Registry) Get(vendor string) (Adapter, error) {
	a, ok := r[vendor]
	if !ok {
		return nil, fmt.Errorf("platform %q is not enabled", vendor)
	}
	return a, nil
}

// Names lists the enabled vendors, sorted.
func (r Registry) Names() []string {
	out := make([]string, 0, len(r))
	for n := range r {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DecodeWebhook decodes a webhook body; one that is not a JSON object is a ParseError on "body".
func DecodeWebhook(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &ParseError{Field: "body", Reason: "not a JSON object: " + err.Error()}
	}
	return nil
}

// ParseEventTime reads an RFC 3339 event time from a field ("" is the zero time).
func ParseEventTime(field, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, &ParseError{Field: field, Reason: "not RFC 3339"}
	}
	return t.UTC(), nil
}

// HintOnly makes an end or cancel event of a webhook a hint (vendors.md Common rules): the
// engagement re-reads its record, whose status decides, and an engagement not running yet is
// not started (nor its workflow id closed) by it. A forged or stale end can make the product
// read, never end coverage.
func HintOnly(ev Event) Event {
	if ev.Kind == KindEnd || ev.Kind == KindCancel {
		ev.Kind, ev.NoStart = KindUpdate, true
	}
	return ev
}

// Classify sets an event's kind from a platform's event table. An unknown event is ignored
// with a reason; a known one needs its engagement id, and a COI its document id (the field
// names are the platform's, for the 400 answer).
func Classify(ev Event, kinds map[string]EventKind, engagementField, documentField, documentID string) (Event, error) {
	kind, ok := kinds[ev.Name]
	if !ok {
		ev.Kind, ev.Reason = KindIgnore, "event "+ev.Name+" needs no action"
		return ev, nil
	}
	if ev.EngagementID == "" {
		return ev, Missing(engagementField)
	}
	ev.Kind = kind
	if kind == KindCOI {
		if documentID == "" {
			return ev, Missing(documentField)
		}
		ev.DocumentID = documentID
	}
	return ev, nil
}
