// Package vendorstest is an in-memory platform adapter for tests of the workflow and the
// activities: engagements, documents and invoices are put in by the test.
package vendorstest

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// SecretHeader is the header the fake's webhooks must carry with the value Secret.
const (
	SecretHeader = "X-Fake-Secret"
	Secret       = "fake-secret"
)

// Fake is a platform held in memory. It is safe for concurrent use.
type Fake struct {
	mu          sync.Mutex
	vendor      string
	engagements map[string]vendors.Engagement
	documents   map[string]vendors.Document
	invoices    map[string]vendors.Invoice
	fetches     map[string]int
	// FailFetch, when set, is returned by FetchEngagement.
	FailFetch error
}

// New returns an empty fake platform named vendor.
func New(vendor string) *Fake {
	return &Fake{vendor: vendor, engagements: map[string]vendors.Engagement{}, documents: map[string]vendors.Document{},
		invoices: map[string]vendors.Invoice{}, fetches: map[string]int{}}
}

// Put stores an engagement as the platform would return it.
func (f *Fake) Put(e vendors.Engagement) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.Vendor = f.vendor
	f.engagements[e.EngagementID] = e
}

// Update changes a stored engagement.
func (f *Fake) Update(id string, change func(*vendors.Engagement)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.engagements[id]
	change(&e)
	f.engagements[id] = e
}

// PutDocument stores a COI document.
func (f *Fake) PutDocument(id string, d vendors.Document) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.documents[id] = d
}

// PutInvoice stores an invoice.
func (f *Fake) PutInvoice(inv vendors.Invoice) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invoices[inv.ID] = inv
}

// Fetches counts FetchEngagement calls for an engagement.
func (f *Fake) Fetches(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches[id]
}

// Vendor implements vendors.Adapter.
func (f *Fake) Vendor() string { return f.vendor }

// VerifyWebhook accepts bodies carrying SecretHeader: Secret.
func (f *Fake) VerifyWebhook(h http.Header, _ []byte) error {
	if h.Get(SecretHeader) != Secret {
		return &vendors.SignatureError{Reason: "missing or wrong " + SecretHeader}
	}
	return nil
}

// ParseWebhook decodes a vendors.Event as JSON.
func (f *Fake) ParseWebhook(_ http.Header, body []byte) ([]vendors.Event, error) {
	var ev vendors.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, &vendors.ParseError{Field: "body", Reason: err.Error()}
	}
	if ev.EngagementID == "" {
		return nil, vendors.Missing("engagement_id")
	}
	ev.Vendor = f.vendor
	return []vendors.Event{ev}, nil
}

// FetchEngagement returns the stored engagement.
func (f *Fake) FetchEngagement(_ context.Context, id string) (vendors.Engagement, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches[id]++
	if f.FailFetch != nil {
		return vendors.Engagement{}, f.FailFetch
	}
	e, ok := f.engagements[id]
	if !ok {
		return vendors.Engagement{}, &vendors.NotFoundError{What: "engagement " + id}
	}
	return e, nil
}

// FetchDocument returns a stored document.
func (f *Fake) FetchDocument(_ context.Context, _, id string) (vendors.Document, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.documents[id]
	if !ok {
		return vendors.Document{}, &vendors.NotFoundError{What: "document " + id}
	}
	return d, nil
}

// FetchInvoice returns a stored invoice.
func (f *Fake) FetchInvoice(_ context.Context, _, id string) (vendors.Invoice, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv, ok := f.invoices[id]
	if !ok {
		return vendors.Invoice{}, &vendors.NotFoundError{What: "invoice " + id}
	}
	return inv, nil
}

// ListChanges lists every stored engagement as an update.
func (f *Fake) ListChanges(_ context.Context, since time.Time) ([]vendors.Event, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vendors.Event
	for id := range f.engagements {
		out = append(out, vendors.Event{Vendor: f.vendor, Kind: vendors.KindUpdate, EngagementID: id, EventID: "poll:" + id})
	}
	return out, since, nil
}
