package remote_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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

func TestVerifyWebhook(t *testing.T) {
	a := adapter("")
	body := []byte(`{"event_type":"contract.finalized","company_id":"co_1","contract_id":"ct_8f21","contractor_id":"ctr_9a81"}`)
	assert.NoError(t, a.VerifyWebhook(signed(body, now), body))
	assert.NoError(t, a.VerifyWebhook(signed(body, now.Add(-72*time.Hour)), body), "Remote keeps the first timestamp on retries")
	assert.NoError(t, a.VerifyWebhook(signed(body, now.Add(4*time.Minute)), body))

	for name, h := range map[string]http.Header{
		"tampered": signed(body, now),
		"wrong secret": func() http.Header {
			sig, ts := remote.Sign("other", body, now)
			h := http.Header{}
			h.Set(remote.HeaderSignature, sig)
			h.Set(remote.HeaderTimestamp, ts)
			return h
		}(),
		"missing header":   {},
		"future timestamp": signed(body, now.Add(6*time.Minute)),
		"no timestamp":     func() http.Header { h := signed(body, now); h.Del(remote.HeaderTimestamp); return h }(),
	} {
		b := body
		if name == "tampered" {
			b = []byte(`{"event_type":"contract.cancelled","company_id":"co_1","contract_id":"ct_8f21","contractor_id":"ctr_9a81"}`)
		}
		err := a.VerifyWebhook(h, b)
		assert.True(t, vendors.IsSignatureError(err), "%s: %v", name, err)
	}
}

func TestParseWebhook(t *testing.T) {
	a := adapter("")
	for _, tc := range []struct {
		body string
		kind vendors.EventKind
	}{
		{`{"event_type":"contract.finalized","contract_id":"ct_1"}`, vendors.KindStart},
		{`{"event_type":"contract.signed","contract_id":"ct_1"}`, vendors.KindStart},
		{`{"event_type":"contractor.start_date.confirmed","contract_id":"ct_1"}`, vendors.KindStart},
		{`{"event_type":"invoice_schedule.created","contract_id":"ct_1","invoice_schedule_id":"cis_1"}`, vendors.KindStart},
		{`{"event_type":"invoice_schedule.updated","contract_id":"ct_1","invoice_schedule_id":"cis_1"}`, vendors.KindStart},
		{`{"event_type":"contract.updated","contract_id":"ct_1"}`, vendors.KindUpdate},
		{`{"event_type":"contract.terminated","contract_id":"ct_1"}`, vendors.KindEnd},
		{`{"event_type":"contract.ended","contract_id":"ct_1"}`, vendors.KindEnd},
		{`{"event_type":"contract.cancelled","contract_id":"ct_1"}`, vendors.KindCancel},
		{`{"event_type":"document.uploaded","contract_id":"ct_1","document_id":"doc_1","document_type":"coi"}`, vendors.KindCOI},
		{`{"event_type":"document.uploaded","contract_id":"ct_1","document_id":"doc_1","document_type":"w9"}`, vendors.KindIgnore},
		{`{"event_type":"contractor_invoice.paid_out","contract_id":"ct_1","invoice_id":"inv_1"}`, vendors.KindInvoice},
		{`{"event_type":"employment.onboarding.completed","contract_id":"em_1"}`, vendors.KindIgnore},
		{`{"event_type":"contract.finalized","contract_id":"ct_1","employment_type":"eor"}`, vendors.KindIgnore},
		{`{"event_type":"payroll.run","contract_id":"ct_1"}`, vendors.KindIgnore},
	} {
		b := []byte(tc.body)
		evs, err := a.ParseWebhook(signed(b, now), b)
		require.NoError(t, err, tc.body)
		require.Len(t, evs, 1)
		assert.Equal(t, tc.kind, evs[0].Kind, tc.body)
		assert.NotEmpty(t, evs[0].EventID)
		if tc.kind == vendors.KindIgnore {
			assert.NotEmpty(t, evs[0].Reason)
		}
	}
	b := []byte(`{"event_type":"contract.finalized","contract_id":"ct_1"}`)
	e1, _ := a.ParseWebhook(signed(b, now), b)
	e2, _ := a.ParseWebhook(signed(b, now), b)
	e3, _ := a.ParseWebhook(signed(b, now.Add(time.Second)), b)
	assert.Equal(t, e1[0].EventID, e2[0].EventID, "a retry (same timestamp) dedupes")
	assert.NotEqual(t, e1[0].EventID, e3[0].EventID)
	assert.Equal(t, now, e1[0].OccurredAt)

	for body, field := range map[string]string{
		`{"contract_id":"ct_1"}`: "event_type", `{"event_type":"contract.finalized"}`: "contract_id",
		`{"event_type":"document.uploaded","contract_id":"ct_1","document_type":"coi"}`: "document_id",
		`{"event_type":"contractor_invoice.paid_out","contract_id":"ct_1"}`:             "invoice_id",
		`[]`: "body",
	} {
		_, err := a.ParseWebhook(signed([]byte(body), now), []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field, body)
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"event_type":"contract.finalized","contract_id":"ct_1"}`), "1795600000000")
	f.Add([]byte(`{"event_type":"document.uploaded","contract_id":"c","document_type":"coi"}`), "x")
	f.Fuzz(func(t *testing.T, body []byte, ts string) {
		h := http.Header{}
		h.Set(remote.HeaderTimestamp, ts)
		evs, err := adapter("").ParseWebhook(h, body)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.EventID == "" || (ev.Kind != vendors.KindIgnore && ev.EngagementID == "") {
				t.Fatalf("accepted an event without id or engagement: %+v", ev)
			}
		}
	})
}

func TestMapReferenceExample(t *testing.T) {
	var c remote.Contract
	require.NoError(t, json.Unmarshal([]byte(`{"id":"ct_8f21","contractor_id":"ctr_9a81","title":"Q4 Launch Assets","description":"Landing page and brand kit","client_id":"acct_77","role":"marketing_design","rate":{"amount":"5000.00","currency":"USD","type":"fixed"},"start_date":"2026-12-01","end_date":"2026-12-31","invoice_schedule_id":"cis_44fd","status":"finalized","region":"CA"}`), &c))
	var p remote.Contractor
	require.NoError(t, json.Unmarshal([]byte(`{"id":"ctr_9a81","first_name":"Jordan","last_name":"Cruz","email":null,"country":"US","region":"CA","city":"Oakland","employment_type":"contractor"}`), &p))
	e, err := remote.Map(c, p)
	require.NoError(t, err)
	assert.Equal(t, int64(500000), e.Job.Wage)
	assert.Equal(t, "flatfee", e.Job.WageType)
	assert.Equal(t, int64(1796083200), e.Start) // 2026-12-01T00:00:00Z
	assert.Equal(t, int64(1798761600), e.End)   // 2027-01-01T00:00:00Z
	assert.Equal(t, "", e.Contractor.Email, "no email: the activity puts the proxy")
	assert.Equal(t, "Oakland", e.Contractor.City)
	assert.Equal(t, "acct_77", e.Job.ClientID)
	assert.Equal(t, "marketing_design", e.Job.Category)
	assert.Equal(t, "CA", e.Job.Region)
	assert.Equal(t, map[string]string{"remote_contractor_id": "ctr_9a81"}, e.Metadata.Contractor)
	assert.Equal(t, map[string]string{"contract_id": "ct_8f21", "contractor_id": "ctr_9a81", "invoice_schedule_id": "cis_44fd"}, e.Metadata.Job)
	assert.Equal(t, map[string]string{"contract_id": "ct_8f21"}, e.Metadata.Quote)
	assert.Equal(t, map[string]string{"contract_id": "ct_8f21", "invoice_schedule_id": "cis_44fd"}, e.Metadata.Session)
	assert.Equal(t, map[string]string{"contract_id": "ct_8f21"}, e.Metadata.Assignment)
	assert.Empty(t, e.Terminal)

	for rateType, want := range map[string]string{"hourly": "hourly", "fixed": "flatfee", "daily": "flatfee", "weekly": "flatfee", "monthly": "flatfee"} {
		c.Rate.Type = rateType
		e, err := remote.Map(c, p)
		require.NoError(t, err)
		assert.Equal(t, want, e.Job.WageType, rateType)
	}
	c.Status = "terminated"
	e, _ = remote.Map(c, p)
	assert.Equal(t, vendors.KindEnd, e.Terminal)
	c.Status = "cancelled"
	e, _ = remote.Map(c, p)
	assert.Equal(t, vendors.KindCancel, e.Terminal)
	p.EmploymentType = "employee"
	e, _ = remote.Map(c, p)
	assert.NotEmpty(t, e.OutOfScope)
}

func newSim(t *testing.T) (*platformsim.Server, *remote.Adapter) {
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{"remote": "remote-token"}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, adapter(srv.URL + "/remote")
}

func TestFetchOverHTTP(t *testing.T) {
	sim, a := newSim(t)
	ex := platformsim.Example{ID: "ct_8f21", ContractorID: "ctr_9a81", Rate: "1,250.50", Hourly: true,
		Start: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, sim.Seed("remote", ex))
	e, err := a.FetchEngagement(context.Background(), "ct_8f21")
	require.NoError(t, err)
	assert.Equal(t, int64(125050), e.Job.Wage)
	assert.Equal(t, "hourly", e.Job.WageType)

	require.NoError(t, sim.SeedDocument("remote", ex, "doc_1", "coi.pdf", []byte("%PDF-1.4")))
	doc, err := a.FetchDocument(context.Background(), "ct_8f21", "doc_1")
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4", string(doc.Data))

	require.NoError(t, sim.SeedInvoice("remote", ex, "inv_1", "1200.00"))
	inv, err := a.FetchInvoice(context.Background(), "ct_8f21", "inv_1")
	require.NoError(t, err)
	assert.Equal(t, int64(120000), inv.GrossPay)
	assert.Equal(t, ex.Start.Unix(), inv.PeriodStart)

	_, err = a.FetchEngagement(context.Background(), "ct_missing")
	var nf *vendors.NotFoundError
	assert.ErrorAs(t, err, &nf)

	sim.AddFault("remote", 429, 7, 1)
	_, err = a.FetchEngagement(context.Background(), "ct_8f21")
	var re *vendors.RetryableError
	require.ErrorAs(t, err, &re)
	assert.InDelta(t, 7*time.Second, re.RetryAfter, float64(2*time.Second), "x-ratelimit-reset (ms) is honoured")

	bad := remote.New(remote.Config{APIURL: a2url(t, sim), Token: "wrong"})
	_, err = bad.FetchEngagement(context.Background(), "ct_8f21")
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 401, ae.Status)
}

func a2url(t *testing.T, sim *platformsim.Server) string {
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL + "/remote"
}

func TestListChangesPages(t *testing.T) {
	sim, a := newSim(t)
	since := time.Now().Add(-time.Minute)
	for i := range 60 {
		require.NoError(t, sim.Seed("remote", platformsim.Example{ID: "ct_" + string(rune('a'+i/26)) + string(rune('a'+i%26)), ContractorID: "ctr_1", Rate: "10",
			Start: time.Now().AddDate(0, 0, 5), End: time.Now().AddDate(0, 1, 0)}))
	}
	evs, mark, err := a.ListChanges(context.Background(), since)
	require.NoError(t, err)
	assert.Len(t, evs, 60, "two pages")
	assert.True(t, mark.After(since))
	assert.Equal(t, vendors.KindStart, evs[0].Kind)
	seen := map[string]bool{}
	for _, ev := range evs {
		seen[ev.EventID] = true
	}
	again, _, err := a.ListChanges(context.Background(), mark)
	require.NoError(t, err)
	for _, ev := range again {
		assert.True(t, seen[ev.EventID], "the watermark is inclusive; a repeat has the same dedupe key")
	}
}
