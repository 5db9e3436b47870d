package remote_test

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
	"github.com/coverage-orchestrator/coverage/vendors/remote"
)

const secret = "remote-secret"

var now = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func adapter(url string) *remote.Adapter {
	return remote.New(remote.Config{APIURL: url, Token: "remote-token", WebhookSecret: secret, Now: func() time.Time { return now }})
}

func signed(body []byte, at time.Time) http.Header {
	sig, ts := remote.Sign(secret, body, at)
	h := http.Header{}
	h.Set(remote.HeaderSignature, sig)
	h.Set(remote.HeaderTimestamp, ts)
	return h
}

// TestSignatureKnownAnswer is the vector of vendors.md (from Remote's own example).
func TestSignatureKnownAnswer(t *testing.T) {
	body := fixture(t, "webhook_onboarding_completed.json")
	a := remote.New(remote.Config{WebhookSecret: "wkyzvs764ifdrpct2naqhksmq4", Now: func() time.Time { return time.UnixMilli(1700000000000) }})
	h := http.Header{}
	h.Set(remote.HeaderSignature, "ed5f28c6a629b9931933f822829b30c55bf5f2cc54080f142b45826c8d315438")
	h.Set(remote.HeaderTimestamp, "1700000000000")
	assert.NoError(t, a.VerifyWebhook(h, body))
	sig, ts := remote.Sign("wkyzvs764ifdrpct2naqhksmq4", body, time.UnixMilli(1700000000000))
	assert.Equal(t, "ed5f28c6a629b9931933f822829b30c55bf5f2cc54080f142b45826c8d315438", sig)
	assert.Equal(t, "1700000000000", ts)
}

func TestVerifyWebhook(t *testing.T) {
	a := adapter("")
	body := fixture(t, "webhook_onboarding_completed.json")
	assert.NoError(t, a.VerifyWebhook(signed(body, now), body))
	assert.NoError(t, a.VerifyWebhook(signed(body, now.Add(-72*time.Hour)), body), "Remote keeps the first timestamp on retries")
	for name, h := range map[string]http.Header{
		"tampered":         signed(body, now),
		"missing header":   {},
		"future timestamp": signed(body, now.Add(6*time.Minute)),
		"no timestamp":     func() http.Header { h := signed(body, now); h.Del(remote.HeaderTimestamp); return h }(),
	} {
		b := body
		if name == "tampered" {
			b = []byte(strings.Replace(string(body), "onboarding.completed", "onboarding.cancelled", 1))
		}
		assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, b)), name)
	}
}

func TestParseWebhook(t *testing.T) {
	a := adapter("")
	const id = `"employment_id":"e1"`
	for _, tc := range []struct {
		event string
		kind  vendors.EventKind
	}{
		{"employment.onboarding.completed", vendors.KindStart},
		{"employment.user_status.activated", vendors.KindStart},
		{"contract_document.status.changed", vendors.KindStart},
		{"employment.start_date.changed", vendors.KindStart},
		{"employment.updated", vendors.KindStart},
		{"employment.details.updated", vendors.KindStart},
		{"employment_contract.active_contract_updated", vendors.KindStart},
		{"contract_amendment.done", vendors.KindStart},
		{"contract.termination_date_reached", vendors.KindUpdate},
		{"employment.contractor_of_record_termination.executed", vendors.KindUpdate},
		{"offboarding.submitted_to_payroll", vendors.KindUpdate},
		{"offboarding.completed", vendors.KindEnd},
		{"employment.onboarding.cancelled", vendors.KindCancel},
		// the guide's names, kept as aliases
		{"contract.finalized", vendors.KindStart},
		{"contract.signed", vendors.KindStart},
		{"invoice_schedule.created", vendors.KindStart},
		{"invoice_schedule.updated", vendors.KindStart},
		{"contract.terminated", vendors.KindEnd},
		{"contract.cancelled", vendors.KindCancel},
		{"benefit_renewal_request.created", vendors.KindIgnore},
	} {
		body := []byte(`{"event_type":"` + tc.event + `","company_id":"c",` + id + `}`)
		evs, err := a.ParseWebhook(signed(body, now), body)
		require.NoError(t, err, tc.event)
		require.Len(t, evs, 1)
		assert.Equal(t, tc.kind, evs[0].Kind, tc.event)
		if tc.kind != vendors.KindIgnore {
			assert.Equal(t, "e1", evs[0].EngagementID)
		}
		if tc.kind == vendors.KindEnd || tc.kind == vendors.KindCancel {
			assert.True(t, evs[0].NoStart, "%s: an end or cancel for an unseen employment starts nothing (and closes no id)", tc.event)
		}
	}

	body := fixture(t, "webhook_invoice_paid_out.json")
	evs, err := a.ParseWebhook(signed(body, now), body)
	require.NoError(t, err)
	assert.Equal(t, vendors.KindInvoice, evs[0].Kind)
	assert.Equal(t, "663e0b79-c893-45ff-a1b2-f6dcabc098b5", evs[0].InvoiceID)

	for body, field := range map[string]string{
		`{"event_type":"employment.updated","company_id":"c"}`:    "employment_id",
		`{"company_id":"c",` + id + `}`:                           "event_type",
		`{"event_type":"contractor_invoice.paid_out",` + id + `}`: "contractor_invoice_id",
		`["not an object"]`:                                       "body",
	} {
		_, err := a.ParseWebhook(signed([]byte(body), now), []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field, body)
	}

	// Same body, same timestamp (a retry): same dedupe key; another timestamp: another delivery.
	b := fixture(t, "webhook_onboarding_completed.json")
	one, _ := a.ParseWebhook(signed(b, now), b)
	two, _ := a.ParseWebhook(signed(b, now), b)
	three, _ := a.ParseWebhook(signed(b, now.Add(time.Second)), b)
	assert.Equal(t, one[0].EventID, two[0].EventID)
	assert.NotEqual(t, one[0].EventID, three[0].EventID)
}

func employment(t *testing.T, mutate func(m map[string]any)) remote.Employment {
	t.Helper()
	var env struct {
		Data struct {
			Employment map[string]any `json:"employment"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, "employment.json"), &env))
	if mutate != nil {
		mutate(env.Data.Employment)
	}
	raw, _ := json.Marshal(env.Data.Employment)
	var m remote.Employment
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// TestMapTheReferenceEmployment: every row of vendors.md's Remote table, on its example.
func TestMapTheReferenceEmployment(t *testing.T) {
	e, err := remote.Map(employment(t, nil))
	require.NoError(t, err)
	const id = "2614f814-b08e-4c8e-8c4d-ddbcc4692d99"
	assert.Equal(t, id, e.EngagementID)
	assert.Equal(t, vendors.Contractor{SourceID: id, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Phone: "+1 415 555 0100", Line1: "1 Main St", City: "Oakland", Region: "CA", PostalCode: "94607", Country: "US"}, e.Contractor)
	assert.Equal(t, vendors.Job{Name: "Data Engineer", Description: "Data Engineer", ClientID: "9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b",
		Category: "Data Engineer", Wage: 8550, WageType: "hourly", Region: "CA", Country: "US"}, e.Job)
	assert.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix(), e.Start)
	assert.Equal(t, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), e.End, "a date-only end covers its last day")
	assert.Equal(t, map[string]string{"remote_contractor_id": id}, e.Metadata.Contractor)
	assert.Equal(t, map[string]string{"contract_id": id, "contractor_id": id}, e.Metadata.Job)
	assert.Equal(t, map[string]string{"contract_id": id}, e.Metadata.Quote)
	assert.Empty(t, e.Terminal)
	assert.Empty(t, e.OutOfScope)
}

func TestMapRules(t *testing.T) {
	t.Run("employees are out of scope", func(t *testing.T) {
		for _, typ := range []string{"employee", "direct_employee", "global_payroll_employee"} {
			e, err := remote.Map(employment(t, func(m map[string]any) { m["type"] = typ }))
			require.NoError(t, err)
			assert.NotEmpty(t, e.OutOfScope, typ)
		}
	})
	t.Run("no end date is open-ended; termination_date when there is no expiration", func(t *testing.T) {
		e, err := remote.Map(employment(t, func(m map[string]any) { m["expiration_date"] = nil }))
		require.NoError(t, err)
		assert.Zero(t, e.End)
		e, err = remote.Map(employment(t, func(m map[string]any) { m["expiration_date"] = nil; m["termination_date"] = "2026-12-20" }))
		require.NoError(t, err)
		assert.Equal(t, time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC).Unix(), e.End)
	})
	t.Run("flat rates and a missing rate", func(t *testing.T) {
		e, err := remote.Map(employment(t, func(m map[string]any) {
			m["contractor_rate"] = map[string]any{"amount": map[string]any{"amount": 64.35, "currency": map[string]string{"code": "USD"}}, "type": "monthly"}
		}))
		require.NoError(t, err)
		assert.Equal(t, int64(6435), e.Job.Wage, "exact decimal, never a float")
		assert.Equal(t, "flatfee", e.Job.WageType)
		_, err = remote.Map(employment(t, func(m map[string]any) { m["contractor_rate"] = nil }))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "contractor_rate")
	})
	t.Run("email falls back from personal to work to login", func(t *testing.T) {
		e, err := remote.Map(employment(t, func(m map[string]any) { m["personal_email"] = nil; m["work_email"] = "Ada@Work.example" }))
		require.NoError(t, err)
		assert.Equal(t, "ada@work.example", e.Contractor.Email)
		e, err = remote.Map(employment(t, func(m map[string]any) { m["personal_email"], m["work_email"], m["login_email"] = "", "", "" }))
		require.NoError(t, err)
		assert.Empty(t, e.Contractor.Email, "the activity then uses the proxy")
	})
	t.Run("statuses", func(t *testing.T) {
		for status, want := range map[string]vendors.EventKind{"active": "", "archived": vendors.KindEnd, "offboarding": vendors.KindEnd, "deleted": vendors.KindCancel} {
			e, err := remote.Map(employment(t, func(m map[string]any) { m["status"] = status }))
			require.NoError(t, err)
			assert.Equal(t, want, e.Terminal, status)
		}
	})
}

// serveFixtures answers the reference's examples exactly as vendors.md shows them.
func serveFixtures(t *testing.T, calls *atomic.Int32) *httptest.Server {
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			if r.Header.Get("Authorization") != "Bearer eyJhbGciOiJIUzI1NiJ9.remote" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	file := func(name string) http.HandlerFunc {
		return auth(func(w http.ResponseWriter, _ *http.Request) { w.Write(fixture(t, name)) })
	}
	mux.HandleFunc("POST "+remote.TokenPath, func(w http.ResponseWriter, r *http.Request) {
		id, sec, _ := r.BasicAuth()
		_ = r.ParseForm()
		if id != "app" || sec != "app-secret" || r.PostForm.Get("refresh_token") != "rt" || r.PostForm.Get("grant_type") != "refresh_token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write(fixture(t, "token.json"))
	})
	mux.HandleFunc("GET /v1/employments/{id}", file("employment.json"))
	mux.HandleFunc("GET /v1/employments", file("employments_list.json"))
	mux.HandleFunc("GET /v1/webhook-events", file("webhook_events.json"))
	mux.HandleFunc("GET /v1/contractor-invoices/{id}", file("contractor_invoice.json"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestAgainstTheReferenceAnswers: the partner grant, the employment, the invoice (already
// cents) and the listing, read from answers written from vendors.md.
func TestAgainstTheReferenceAnswers(t *testing.T) {
	var calls atomic.Int32
	srv := serveFixtures(t, &calls)
	a := remote.New(remote.Config{APIURL: srv.URL, ClientID: "app", ClientSecret: "app-secret", RefreshToken: "rt"})
	ctx := context.Background()
	e, err := a.FetchEngagement(ctx, "2614f814-b08e-4c8e-8c4d-ddbcc4692d99")
	require.NoError(t, err)
	assert.Equal(t, int64(8550), e.Job.Wage)
	inv, err := a.FetchInvoice(ctx, e.EngagementID, "663e0b79-c893-45ff-a1b2-f6dcabc098b5")
	require.NoError(t, err)
	assert.Equal(t, int64(120000), inv.GrossPay, "Remote's invoice amounts are cents: never x100")
	assert.Equal(t, time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC).Unix(), inv.PeriodStart)
	ids, err := a.ListOpen(ctx)
	require.NoError(t, err)
	assert.Equal(t, []vendors.Listed{{ID: "2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}}, ids)
	evs, _, err := a.ListChanges(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Len(t, evs, 1, "updated after the watermark")
	assert.NotEmpty(t, evs[0].Version)
	assert.Equal(t, e.Version, evs[0].Version, "the poll and the fetch give the same record the same version")
	evs, _, err = a.ListChanges(ctx, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Empty(t, evs, "nothing changed since, and no failed delivery")
}

// TestSimulatorAgreesWithTheAdapter: what the local simulator serves decodes into the
// adapter's types with every field the mapping needs.
func TestSimulatorAgreesWithTheAdapter(t *testing.T) {
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{"remote": "remote-token"},
		RemoteClient: [3]string{"app", "app-secret", "rt"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	ex := platformsim.Example{ID: "emp-1", Email: "Sim@Example.com", Rate: "85.50", Hourly: true,
		Start: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, sim.Seed("remote", ex))
	require.NoError(t, sim.Seed("remote", platformsim.Example{ID: "emp-2", Type: "employee", Rate: "1.00", Start: ex.Start}))
	require.NoError(t, sim.SeedInvoice("remote", ex, "inv-1", "1,250.50"))
	for name, a := range map[string]*remote.Adapter{
		"company token": adapter(srv.URL + "/remote"),
		"partner app":   remote.New(remote.Config{APIURL: srv.URL + "/remote", ClientID: "app", ClientSecret: "app-secret", RefreshToken: "rt"}),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e, err := a.FetchEngagement(ctx, "emp-1")
			require.NoError(t, err)
			assert.Equal(t, "sim@example.com", e.Contractor.Email)
			assert.Equal(t, int64(8550), e.Job.Wage)
			assert.Equal(t, "hourly", e.Job.WageType)
			for field, v := range map[string]string{"first": e.Contractor.FirstName, "last": e.Contractor.LastName, "line1": e.Contractor.Line1,
				"city": e.Contractor.City, "region": e.Contractor.Region, "postal": e.Contractor.PostalCode, "country": e.Contractor.Country,
				"phone": e.Contractor.Phone, "client": e.Job.ClientID, "category": e.Job.Category} {
				assert.NotEmpty(t, v, field)
			}
			out, err := a.FetchEngagement(ctx, "emp-2")
			require.NoError(t, err)
			assert.NotEmpty(t, out.OutOfScope, "the employee is ignored")
			inv, err := a.FetchInvoice(ctx, "emp-1", "inv-1")
			require.NoError(t, err)
			assert.Equal(t, int64(125050), inv.GrossPay)
			ids, err := a.ListOpen(ctx)
			require.NoError(t, err)
			assert.Equal(t, []vendors.Listed{{ID: "emp-1"}}, ids, "contractors only")
			_, err = a.FetchEngagement(ctx, "missing")
			var nf *vendors.NotFoundError
			assert.ErrorAs(t, err, &nf)
		})
	}
}

// TestListChangesRescansAfterAFailedDelivery: the webhook-events feed shows a delivery that
// failed, so the poll hands over every open employment, not only those updated since.
func TestListChangesRescansAfterAFailedDelivery(t *testing.T) {
	// The simulator's clock runs two minutes ahead, so its deliveries fall after the watermark
	// while the employment's last update falls before it.
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{"remote": "remote-token"},
		Now: func() time.Time { return time.Now().Add(2 * time.Minute) }})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	require.NoError(t, sim.Seed("remote", platformsim.Example{ID: "emp-1", Rate: "10.00", Start: time.Now().AddDate(0, 0, 3)}))
	a := adapter(srv.URL + "/remote")
	since := time.Now().Add(time.Minute)
	evs, _, err := a.ListChanges(context.Background(), since)
	require.NoError(t, err)
	assert.Empty(t, evs, "nothing updated since the watermark")
	sim.RecordRemoteDelivery("employment.updated", true)
	evs, _, err = a.ListChanges(context.Background(), since)
	require.NoError(t, err)
	assert.Empty(t, evs, "a delivered webhook needs no rescan")
	sim.RecordRemoteDelivery("employment.updated", false)
	evs, _, err = a.ListChanges(context.Background(), since)
	require.NoError(t, err)
	require.Len(t, evs, 1, "a failed delivery: every open employment is handed over")
	assert.Equal(t, "emp-1", evs[0].EngagementID)
	e, err := a.FetchEngagement(context.Background(), "emp-1")
	require.NoError(t, err)
	assert.Equal(t, e.Version, evs[0].Version, "with the version the engagement applies, so the poller can leave it out")
}
