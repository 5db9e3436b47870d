package workmarket_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

var now = time.Unix(1796198400, 0).UTC()

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// assignment decodes the reference's example (the envelope's response), changed by mutate.
func assignment(t *testing.T, mutate func(m map[string]any)) workmarket.Assignment {
	t.Helper()
	var env struct {
		Response map[string]any `json:"response"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, "assignment.json"), &env))
	if mutate != nil {
		mutate(env.Response)
	}
	raw, _ := json.Marshal(env.Response)
	var a workmarket.Assignment
	require.NoError(t, json.Unmarshal(raw, &a))
	return a
}

func TestVerifyWebhookSharedSecret(t *testing.T) {
	a := workmarket.New(workmarket.Config{WebhookSecret: "long-random"})
	h := http.Header{}
	h.Set(workmarket.HeaderSecret, "long-random")
	assert.NoError(t, a.VerifyWebhook(h, nil))
	h.Set(workmarket.HeaderSecret, "wrong")
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, nil)))
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(http.Header{}, nil)))
}

func TestParseWebhook(t *testing.T) {
	a := workmarket.New(workmarket.Config{})
	body := fixture(t, "webhook_attachment_added.json")
	evs, err := a.ParseWebhook(nil, body)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, vendors.KindCOI, evs[0].Kind)
	assert.Equal(t, "6029116324", evs[0].EngagementID)
	assert.Equal(t, "5b6f0c1e-9a1d-4b7e-8f00-3c2d1e0f9a8b", evs[0].DocumentID)
	assert.Equal(t, vendors.HashEventID("workmarket", "assignment.attachment_added", "6029116324", "2026-11-20T10:00:00Z"), evs[0].EventID,
		"dedupe key = hash of event, assignment_id and now")

	// A body is a hint (vendors.md Common rules): every event re-reads the assignment, whose
	// status decides; an end or cancel never starts an engagement; the body's now orders nothing.
	for event, kind := range map[string]vendors.EventKind{
		"assignment.accepted": vendors.KindStart, "assignment.rescheduled": vendors.KindUpdate, "assignment.completed": vendors.KindUpdate,
		"assignment.approved": vendors.KindUpdate, "assignment.cancelled": vendors.KindUpdate, "assignment.voided": vendors.KindUpdate,
		"assignment.unknown": vendors.KindIgnore,
	} {
		b := []byte(`{"event":"` + event + `","assignment_id":"6029116324","status":"cancelled","resource_id":"98765432","now":"2099-11-20T10:00:00Z"}`)
		evs, err := a.ParseWebhook(nil, b)
		require.NoError(t, err, event)
		assert.Equal(t, kind, evs[0].Kind, event)
		assert.True(t, evs[0].OccurredAt.IsZero(), "%s: the body's now orders nothing", event)
		ends := event != "assignment.accepted" && event != "assignment.rescheduled" && event != "assignment.unknown"
		assert.Equal(t, ends, evs[0].NoStart, "%s: an end or cancel starts nothing", event)
	}
	paid, err := a.ParseWebhook(nil, []byte(`{"event":"assignment.paid","assignment_id":"6029116324","status":"paid","resource_id":"1","now":"2026-11-20T10:00:00Z"}`))
	require.NoError(t, err)
	require.Len(t, paid, 2)
	assert.Equal(t, vendors.KindInvoice, paid[0].Kind, "the invoice is recorded before the end")
	assert.Equal(t, "wm-6029116324", paid[0].InvoiceID)
	assert.Equal(t, vendors.KindUpdate, paid[1].Kind, "the assignment is re-read: its status decides")
	assert.True(t, paid[0].NoStart && paid[1].NoStart, "a paid event for an unseen assignment starts nothing")
	assert.NotEqual(t, paid[0].EventID, paid[1].EventID)

	for _, uuid := range []string{"", "${file_uuid}"} {
		noUUID, err := a.ParseWebhook(nil, []byte(`{"event":"assignment.attachment_added","assignment_id":"6029116324","file_uuid":"`+uuid+`","now":"x"}`))
		require.NoError(t, err)
		assert.Equal(t, vendors.KindUpdate, noUUID[0].Kind, "without the uuid (%q) the sync lists the attachments", uuid)
	}

	for body, field := range map[string]string{
		`{"event":"assignment.accepted","status":"active"}`: "assignment_id",
		`{"assignment_id":"1"}`:                             "event",
		`"text"`:                                            "body",
	} {
		_, err := a.ParseWebhook(nil, []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field)
	}
}

// TestMapTheReferenceAssignment: every row of vendors.md's WorkMarket table, on its example.
func TestMapTheReferenceAssignment(t *testing.T) {
	e, err := workmarket.Map(assignment(t, nil), now)
	require.NoError(t, err)
	assert.Equal(t, "6029116324", e.EngagementID)
	assert.Equal(t, vendors.Contractor{SourceID: "98765432", FirstName: "Sam", LastName: "Worker", Email: "sam@example.com",
		Phone: "2125550100", Line1: "1 Main St", City: "Brooklyn", Region: "NY", PostalCode: "11201", Country: "US"}, e.Contractor)
	assert.Equal(t, vendors.Job{Name: "Install POS", Description: "Install and test 4 terminals", ClientID: "5317", Category: "Technology",
		Wage: 5000, WageType: "hourly", Region: "NY", Country: "US"}, e.Job)
	assert.Equal(t, int64(1796374800), e.Start)
	assert.Equal(t, int64(1796403600), e.End)
	assert.Equal(t, map[string]string{"workmarket_worker_id": "98765432"}, e.Metadata.Contractor)
	assert.Equal(t, map[string]string{"work_order_id": "6029116324"}, e.Metadata.Job)
	assert.Empty(t, e.Terminal)
}

func TestPricingLabels(t *testing.T) {
	for _, tc := range []struct {
		pricing  map[string]any
		wage     int64
		wageType string
	}{
		{map[string]any{"type": "FLAT FEE", "flat_price": 325.0}, 32500, "flatfee"},
		{map[string]any{"type": "PER HOUR", "per_hour_price": 64.35}, 6435, "hourly"},
		{map[string]any{"type": "BLENDED PER HOUR", "initial_per_hour_price": 85.5}, 8550, "hourly"},
		{map[string]any{"type": "PER UNIT", "per_unit_price": 12.5, "max_number_of_units": 4}, 5000, "flatfee"},
	} {
		e, err := workmarket.Map(assignment(t, func(m map[string]any) { m["pricing"] = tc.pricing }), now)
		require.NoError(t, err, tc.pricing["type"])
		assert.Equal(t, tc.wage, e.Job.Wage, tc.pricing["type"])
		assert.Equal(t, tc.wageType, e.Job.WageType, tc.pricing["type"])
	}
	for _, typ := range []string{"NONE", "BLENDED PER UNIT"} {
		_, err := workmarket.Map(assignment(t, func(m map[string]any) { m["pricing"] = map[string]any{"type": typ, "per_unit_price": 10} }), now)
		assert.ErrorContains(t, err, `pricing.type "`+typ+`"`, "parks naming the type")
	}
	_, err := workmarket.Map(assignment(t, func(m map[string]any) { m["pricing"] = map[string]any{"type": "FLAT FEE"} }), now)
	assert.ErrorContains(t, err, `pricing.type "FLAT FEE"`, "a missing price parks naming the type")
	e, err := workmarket.Map(assignment(t, func(m map[string]any) { m["pricing"] = map[string]any{"type": "INTERNAL / LANE 1"} }), now)
	require.NoError(t, err)
	assert.NotEmpty(t, e.OutOfScope, "internal work is ignored")
}

func TestStatusesAndWindow(t *testing.T) {
	for status, want := range map[string]vendors.EventKind{
		"active": "", "inprogress": "", "complete": vendors.KindEnd, "paymentPending": vendors.KindEnd, "paid": vendors.KindEnd,
		"cancelled": vendors.KindCancel, "cancelledPayPending": vendors.KindCancel, "cancelledWithPay": vendors.KindCancel,
		"void": vendors.KindCancel, "deleted": vendors.KindCancel,
	} {
		e, err := workmarket.Map(assignment(t, func(m map[string]any) { m["status"] = status }), now)
		require.NoError(t, err)
		assert.Equal(t, want, e.Terminal, status)
	}
	before, _ := workmarket.Map(assignment(t, func(m map[string]any) { m["status"] = "abandoned" }), now)
	assert.Equal(t, vendors.KindCancel, before.Terminal, "abandoned before the start cancels")
	after, _ := workmarket.Map(assignment(t, func(m map[string]any) { m["status"] = "abandoned" }), time.Unix(1796380000, 0))
	assert.Equal(t, vendors.KindEnd, after.Terminal, "abandoned after the start ends")
	for _, status := range []string{"draft", "sent", "declined"} {
		e, _ := workmarket.Map(assignment(t, func(m map[string]any) { m["status"] = status }), now)
		assert.NotEmpty(t, e.OutOfScope, status)
	}
	e, err := workmarket.Map(assignment(t, func(m map[string]any) {
		m["assignment_window_start"], m["assignment_window_end"], m["scheduled_time"] = nil, nil, 1796374800
	}), now)
	require.NoError(t, err)
	assert.Equal(t, int64(1796374800), e.Start)
	assert.Equal(t, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC).Unix(), e.End, "2026-12-04 09:00 UTC runs to the next 00:00 UTC")
}

// serveFixtures answers the reference's examples, checking the token exchange and that the
// access token travels as a query parameter.
func serveFixtures(t *testing.T, auths *atomic.Int32) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+workmarket.PathAuthorize, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("token") != "api-token" || r.PostForm.Get("secret") != "api-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		auths.Add(1)
		w.Write(fixture(t, "authorization.json"))
	})
	serve := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("access_token") != "6f1c2a9e0b7d4e3f" || r.Header.Get("Authorization") != "" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if r.URL.Query().Get("id") == "missing" {
				w.WriteHeader(http.StatusNotFound)
				w.Write(fixture(t, "not_found.json"))
				return
			}
			w.Write(fixture(t, name))
		}
	}
	mux.HandleFunc("GET "+workmarket.PathAssignment, serve("assignment.json"))
	mux.HandleFunc("GET "+workmarket.PathAttachments, serve("attachments.json"))
	mux.HandleFunc("GET "+workmarket.PathListUpdated, serve("list_updated.json"))
	mux.HandleFunc("GET "+workmarket.PathAttachment, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("uuid") != "5b6f0c1e-9a1d-4b7e-8f00-3c2d1e0f9a8b" {
			w.WriteHeader(http.StatusNotFound)
			w.Write(fixture(t, "not_found.json"))
			return
		}
		serve("attachment.json")(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestAgainstTheReferenceAnswers(t *testing.T) {
	var auths atomic.Int32
	srv := serveFixtures(t, &auths)
	a := workmarket.New(workmarket.Config{APIURL: srv.URL, Token: "api-token", Secret: "api-secret", Now: func() time.Time { return now }})
	ctx := context.Background()
	e, err := a.FetchEngagement(ctx, "6029116324")
	require.NoError(t, err)
	assert.Equal(t, []string{"5b6f0c1e-9a1d-4b7e-8f00-3c2d1e0f9a8b"}, e.Documents, "\"COI.pdf\" matches the default pattern")
	doc, err := a.FetchDocument(ctx, "6029116324", "5b6f0c1e-9a1d-4b7e-8f00-3c2d1e0f9a8b")
	require.NoError(t, err)
	assert.Equal(t, "COI.pdf", doc.FileName)
	assert.Equal(t, "%PDF-1.4 coi", string(doc.Data), "the base64 file decoded")
	_, err = a.FetchEngagement(ctx, "missing")
	var nf *vendors.NotFoundError
	assert.ErrorAs(t, err, &nf, "a 404 envelope")
	evs, mark, err := a.ListChanges(ctx, now.Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, vendors.KindStart, evs[0].Kind)
	assert.NotEmpty(t, evs[0].Version)
	assert.Equal(t, e.Version, evs[0].Version, "list_updated and assignments/get give the record the same version")
	assert.Equal(t, now, mark)
	assert.Equal(t, int32(1), auths.Load(), "one token exchange, kept while it works")

	strict := workmarket.New(workmarket.Config{APIURL: srv.URL, Token: "api-token", Secret: "api-secret", COIPattern: `(?i)^w-?9`})
	e, err = strict.FetchEngagement(ctx, "6029116324")
	require.NoError(t, err)
	assert.Empty(t, e.Documents, "WORKMARKET_COI_PATTERN decides which attachments are certificates")
}

// TestSimulatorAgreesWithTheAdapter: the local simulator's answers decode into the adapter's
// types, through the token exchange, paging, attachments, payment and a re-authentication.
func TestSimulatorAgreesWithTheAdapter(t *testing.T) {
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{"workmarket": "api-token"}, WorkMarketSecret: "api-secret"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	a := workmarket.New(workmarket.Config{APIURL: srv.URL + "/workmarket", Token: "api-token", Secret: "api-secret"})
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	var first platformsim.Example
	for i := range 30 { // more than one page of list_updated
		ex := platformsim.Example{ID: "wm-" + string(rune('a'+i)), ContractorID: "w1", Email: "W@Example.com", Rate: "325.00", Start: start, End: start.AddDate(0, 0, 5)}
		require.NoError(t, sim.Seed("workmarket", ex))
		if i == 0 {
			first = ex
		}
	}
	ctx := context.Background()
	e, err := a.FetchEngagement(ctx, first.ID)
	require.NoError(t, err)
	assert.Equal(t, "w@example.com", e.Contractor.Email)
	assert.Equal(t, int64(32500), e.Job.Wage)
	for field, v := range map[string]string{"line1": e.Contractor.Line1, "country": e.Contractor.Country, "phone": e.Contractor.Phone, "client": e.Job.ClientID} {
		assert.NotEmpty(t, v, field)
	}
	rows, err := a.ListUpdated(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Len(t, rows, 30, "paged 25 at a time to the end")
	evs, _, err := a.ListChanges(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	assert.Equal(t, first.ID, evs[0].EngagementID)
	assert.Equal(t, e.Version, evs[0].Version, "the simulator's listing and record agree on the version")

	require.NoError(t, sim.SeedDocument("workmarket", first, "uuid-1", "certificate-of-insurance.pdf", []byte("%PDF-1.4")))
	require.NoError(t, sim.SeedDocument("workmarket", first, "uuid-2", "coi-scan.pdf", []byte("GIF89a not a pdf")))
	e, err = a.FetchEngagement(ctx, first.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"uuid-1", "uuid-2"}, e.Documents)
	doc, err := a.FetchDocument(ctx, first.ID, "uuid-1")
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4", string(doc.Data))
	assert.Equal(t, "certificate-of-insurance.pdf", doc.FileName)
	_, err = a.FetchDocument(ctx, first.ID, "uuid-2")
	assert.ErrorContains(t, err, "coi-scan.pdf is not a PDF")

	require.NoError(t, sim.SeedInvoice("workmarket", first, "", "1,250.50"))
	inv, err := a.FetchInvoice(ctx, first.ID, workmarket.InvoiceID(first.ID))
	require.NoError(t, err)
	assert.Equal(t, int64(125050), inv.GrossPay, "exact cents")

	sim.ExpireJobDivaTokens() // forgets every issued token: the next call gets 401 and re-authenticates
	_, err = a.FetchEngagement(ctx, first.ID)
	require.NoError(t, err)
}

// Per-unit pricing multiplies with exact big-number arithmetic: fractional units, no overflow
// (the old int64 cents x units wrapped around), and an out-of-range product or a negative
// count is an error naming the values, so the engagement parks with that reason.
func TestPerUnitWageIsExact(t *testing.T) {
	now := time.Unix(1796198400, 0)
	wage := func(price, units any) (int64, error) {
		e, err := workmarket.Map(assignment(t, func(m map[string]any) {
			m["pricing"] = map[string]any{"type": "PER UNIT", "per_unit_price": price, "max_number_of_units": units}
		}), now)
		return e.Job.Wage, err
	}
	got, err := wage(json.Number("12.50"), json.Number("2.5"))
	require.NoError(t, err)
	assert.Equal(t, int64(3125), got, "12.50 x 2.5 = 31.25")
	got, err = wage("1,000.00", json.Number("1000000"))
	require.NoError(t, err)
	assert.Equal(t, int64(100_000_000_000), got, "1,000.00 x 1,000,000 = 1,000,000,000.00")

	_, err = wage(json.Number("1000000.00"), json.Number("100000000000"))
	require.Error(t, err, "10^17 dollars")
	assert.Contains(t, err.Error(), "rate 1000000.00 x 100000000000 units is out of range")
	_, err = wage(json.Number("92233720368547758.07"), json.Number("1"))
	assert.ErrorContains(t, err, "out of range")
	_, err = wage(json.Number("0.03"), json.Number("0.5"))
	assert.ErrorContains(t, err, "fraction of a cent")
	_, err = wage(json.Number("10"), json.Number("-3"))
	assert.ErrorContains(t, err, "unit count")
	_, err = wage(json.Number("10"), json.Number("1e999999999"))
	assert.ErrorContains(t, err, "unit count", "an absurd exponent is refused, never expanded")
	_, err = wage(json.Number("10"), json.Number("1"+strings.Repeat("0", 60)))
	assert.ErrorContains(t, err, "too long")
}
