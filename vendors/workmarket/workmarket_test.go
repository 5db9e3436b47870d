package workmarket_test

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
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

const secret = "wm-long-random-secret"

func adapter(url string) *workmarket.Adapter {
	return workmarket.New(workmarket.Config{APIURL: url, Token: "wm-token", WebhookSecret: secret})
}

func TestVerifyWebhook(t *testing.T) {
	a := adapter("")
	h := http.Header{}
	h.Set(workmarket.HeaderSecret, secret)
	assert.NoError(t, a.VerifyWebhook(h, nil))
	for name, v := range map[string]string{"wrong secret": "nope", "missing header": "", "prefix": secret[:5]} {
		h := http.Header{}
		if v != "" {
			h.Set(workmarket.HeaderSecret, v)
		}
		assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, nil)), name)
	}
	assert.True(t, vendors.IsSignatureError(workmarket.New(workmarket.Config{}).VerifyWebhook(h, nil)), "no secret configured refuses everything")
}

func TestParseWebhook(t *testing.T) {
	a := adapter("")
	for name, kind := range map[string]vendors.EventKind{
		"work_order.assigned": vendors.KindStart, "work_order.in_progress": vendors.KindStart, "work_order.rescheduled": vendors.KindUpdate,
		"work_order.completed": vendors.KindEnd, "work_order.approved": vendors.KindEnd, "work_order.cancelled": vendors.KindCancel,
		"work_order.voided": vendors.KindCancel, "work_order.sent": vendors.KindIgnore,
	} {
		body := []byte(`{"event":"` + name + `","event_id":"wm-evt-1","work_order_id":"12345","worker_id":"wk_421","status":"active","occurred_at":"2026-11-20T10:00:00Z"}`)
		evs, err := a.ParseWebhook(nil, body)
		require.NoError(t, err, name)
		require.Len(t, evs, 1, name)
		assert.Equal(t, kind, evs[0].Kind, name)
		assert.Equal(t, "wm-evt-1", evs[0].EventID)
		assert.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), evs[0].OccurredAt)
	}
	paid, err := a.ParseWebhook(nil, []byte(`{"event":"work_order.paid","event_id":"e9","work_order_id":"12345"}`))
	require.NoError(t, err)
	require.Len(t, paid, 2, "paid records the invoice and ends")
	assert.Equal(t, vendors.KindInvoice, paid[0].Kind)
	assert.Equal(t, "payment:12345", paid[0].InvoiceID)
	assert.Equal(t, vendors.KindEnd, paid[1].Kind)
	assert.NotEqual(t, paid[0].EventID, paid[1].EventID)
	coi, err := a.ParseWebhook(nil, []byte(`{"event":"work_order.attachment_added","event_id":"e2","work_order_id":"12345","attachment_id":"att_1"}`))
	require.NoError(t, err)
	assert.Equal(t, "att_1", coi[0].DocumentID)
	for body, field := range map[string]string{
		`{"work_order_id":"1"}`: "event", `{"event":"work_order.assigned"}`: "work_order_id",
		`{"event":"work_order.attachment_added","work_order_id":"1"}`:           "attachment_id",
		`{"event":"work_order.assigned","work_order_id":"1","occurred_at":"x"}`: "occurred_at", `nope`: "body",
	} {
		_, err := a.ParseWebhook(nil, []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field, body)
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"event":"work_order.paid","event_id":"e","work_order_id":"1"}`))
	f.Add([]byte(`{"event":"work_order.attachment_added","work_order_id":"1","attachment_id":"a"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := adapter("").ParseWebhook(nil, body)
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

func workOrder(t *testing.T, pricing string) workmarket.WorkOrder {
	var wo workmarket.WorkOrder
	require.NoError(t, json.Unmarshal([]byte(`{"id":"12345","title":"Low Voltage Cabling","description":"Install Cat6","client_id":"acct_9","category":"low_voltage","pricing":`+pricing+`,"scheduled_start":1796198400,"scheduled_end":1796284800,"location":{"state":"CA","country":"US"},"status":"active","worker_id":"wk_421","payment":{"total_cost":"340.00","paid_on":null}}`), &wo))
	return wo
}

func TestMapPricing(t *testing.T) {
	w := workmarket.Worker{WorkerID: "wk_421", FirstName: "Alex", LastName: "Nguyen", Email: new("Alex@Example.com"), Country: "US", Region: "CA"}
	for _, tc := range []struct {
		pricing  string
		wage     int64
		wageType string
	}{
		{`{"type":"FLAT","flat_price":"325.00","per_hour_price":null,"max_number_of_hours":null}`, 32500, "flatfee"},
		{`{"type":"PER_HOUR","flat_price":null,"per_hour_price":"45.50","max_number_of_hours":"8"}`, 4550, "hourly"},
		{`{"type":"BLENDED_PER_HOUR","per_hour_price":19.99}`, 1999, "hourly"},
		{`{"type":"PER_UNIT","per_unit_price":"12.50","max_number_of_units":"3"}`, 3750, "flatfee"},
	} {
		e, err := workmarket.Map(workOrder(t, tc.pricing), w)
		require.NoError(t, err, tc.pricing)
		assert.Equal(t, tc.wage, e.Job.Wage, tc.pricing)
		assert.Equal(t, tc.wageType, e.Job.WageType, tc.pricing)
	}
	e, err := workmarket.Map(workOrder(t, `{"type":"INTERNAL"}`), w)
	require.NoError(t, err)
	assert.Contains(t, e.OutOfScope, "INTERNAL")

	e, err = workmarket.Map(workOrder(t, `{"type":"FLAT","flat_price":"325.00"}`), w)
	require.NoError(t, err)
	assert.Equal(t, int64(1796198400), e.Start)
	assert.Equal(t, int64(1796284800), e.End, "Unix times are kept as they are")
	assert.Equal(t, "alex@example.com", e.Contractor.Email)
	assert.Equal(t, "CA", e.Job.Region)
	assert.Equal(t, map[string]string{"workmarket_worker_id": "wk_421"}, e.Metadata.Contractor)
	for _, m := range []map[string]string{e.Metadata.Job, e.Metadata.Quote, e.Metadata.Session, e.Metadata.Assignment} {
		assert.Equal(t, map[string]string{"work_order_id": "12345"}, m)
	}
	wo := workOrder(t, `{"type":"FLAT","flat_price":"325.00"}`)
	wo.Status = "voided"
	e, _ = workmarket.Map(wo, w)
	assert.Equal(t, vendors.KindCancel, e.Terminal)
	wo.Status = "paid"
	e, _ = workmarket.Map(wo, w)
	assert.Equal(t, vendors.KindEnd, e.Terminal)
	_, err = workmarket.Map(workOrder(t, `{"type":"FLAT","flat_price":"3.255"}`), w)
	assert.Error(t, err, "a fraction of a cent is refused")
}

func TestFetchOverHTTP(t *testing.T) {
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{"workmarket": "wm-token"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	a := adapter(srv.URL + "/workmarket")
	ex := platformsim.Example{ID: "12345", ContractorID: "wk_421", Email: "alex@example.com", Rate: "325.00",
		Start: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)}
	require.NoError(t, sim.Seed("workmarket", ex))
	e, err := a.FetchEngagement(context.Background(), "12345")
	require.NoError(t, err)
	assert.Equal(t, int64(32500), e.Job.Wage)
	assert.Equal(t, ex.End.Unix(), e.End)

	require.NoError(t, sim.SeedDocument("workmarket", ex, "att_1", "coi.pdf", []byte("%PDF-1.7")))
	doc, err := a.FetchDocument(context.Background(), "12345", "att_1")
	require.NoError(t, err)
	assert.Equal(t, "coi.pdf", doc.FileName)

	require.NoError(t, sim.SeedInvoice("workmarket", ex, "", "340.00"))
	inv, err := a.FetchInvoice(context.Background(), "12345", workmarket.PaymentInvoiceID("12345"))
	require.NoError(t, err)
	assert.Equal(t, int64(34000), inv.GrossPay)

	sim.AddFault("workmarket", 429, 3, 1)
	_, err = a.FetchEngagement(context.Background(), "12345")
	var re *vendors.RetryableError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 3*time.Second, re.RetryAfter)

	evs, _, err := a.ListChanges(context.Background(), time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "12345", evs[0].EngagementID)
}
