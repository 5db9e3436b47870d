package workmarket_test

import (
	"context"
	"errors"
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

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// TestVerifyWebhookLiteralSecrets: WorkMarket signs nothing; the template's X-WorkMarket-Secret
// must equal one configured secret exactly (case, length, blanks). Refusals are *SignatureError.
func TestVerifyWebhookLiteralSecrets(t *testing.T) {
	const secret = "wm-hook-7Q2xK9vLr4TzN8bC1dFgH6jS"
	a := workmarket.New(workmarket.Config{WebhookSecret: "wm-hook-retired0000000000000000, " + secret})
	for _, ok := range []string{secret, "wm-hook-retired0000000000000000"} {
		assert.NoError(t, a.VerifyWebhook(http.Header{"X-Workmarket-Secret": {ok}}, nil), ok)
	}
	for name, got := range map[string]string{
		"empty": "", "truncated": secret[:len(secret)-1], "first 8": secret[:8], "upper case": strings.ToUpper(secret),
		"lower case": strings.ToLower(secret), "one more": secret + "x", "padded": secret + " ", "both secrets": "wm-hook-retired0000000000000000, " + secret,
		"a prefix like a MAC": "sha256=" + secret, "unexpanded template": "${secret}",
	} {
		h := http.Header{}
		h.Set(workmarket.HeaderSecret, got)
		assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, nil)), name)
	}
	h := http.Header{}
	h.Set(workmarket.HeaderSecret, secret)
	assert.True(t, vendors.IsSignatureError(workmarket.New(workmarket.Config{}).VerifyWebhook(h, nil)), "no secret configured")
}

// TestDedupeKeysAndVersionsAreLiterals: dedupe key = HashEventID(vendor, event, assignment_id,
// now) (vendors.md "Dedupe key"); the version covers status and last_modified_on. Computed with
//
//	python3 -c 'import hashlib;h=lambda *p:hashlib.sha256(b"".join(x.encode()+b"\0" for x in p)).hexdigest(); print("h:"+h("workmarket","assignment.attachment_added","6029116324","2026-11-20T10:00:00Z")[:32]); print("h:"+h("workmarket","assignment.paid","6029116324","2026-11-20T10:00:00Z")[:32]); v="v:"+h("workmarket","6029116324","active","1796198400")[:16]; print(v, "h:"+h("workmarket","poll","6029116324",v)[:32]); p="v:"+h("workmarket","6029116324","paid","1796198400")[:16]; print(p, "h:"+h("workmarket","poll","6029116324",p)[:32])'
func TestDedupeKeysAndVersionsAreLiterals(t *testing.T) {
	a := workmarket.New(workmarket.Config{})
	evs, err := a.ParseWebhook(nil, fixture(t, "webhook_attachment_added.json"))
	require.NoError(t, err)
	assert.Equal(t, []vendors.Event{{Vendor: "workmarket", Kind: vendors.KindCOI, Name: "assignment.attachment_added", EngagementID: "6029116324",
		EventID: "h:0e5dea814727d3999d86201c6cf0a9d7", DocumentID: "5b6f0c1e-9a1d-4b7e-8f00-3c2d1e0f9a8b", ContractorID: "98765432"}}, evs)

	paid, err := a.ParseWebhook(nil, []byte(`{"event":"assignment.paid","assignment_id":"6029116324","status":"paid","resource_id":"98765432","now":"2026-11-20T10:00:00Z"}`))
	require.NoError(t, err)
	base := vendors.Event{Vendor: "workmarket", Name: "assignment.paid", EngagementID: "6029116324", ContractorID: "98765432", NoStart: true}
	invoice, end := base, base
	invoice.Kind, invoice.InvoiceID, invoice.EventID = vendors.KindInvoice, "wm-6029116324", "h:bdae8505ca649b9f28f05bbec389912f:invoice"
	end.Kind, end.EventID = vendors.KindUpdate, "h:bdae8505ca649b9f28f05bbec389912f"
	assert.Equal(t, []vendors.Event{invoice, end}, paid)

	assert.Equal(t, "v:a2b5848d1c374762", workmarket.Version("6029116324", "active", 1796198400))
	assert.Equal(t, "v:a2b5848d1c374762", workmarket.Version("6029116324", "ACTIVE", 1796198400), "status case is not a change")
	assert.Equal(t, "v:6bf0ec8aacfa9048", workmarket.Version("6029116324", "paid", 1796198400))
	e, err := workmarket.Map(assignment(t, nil), now)
	require.NoError(t, err)
	assert.Equal(t, "v:a2b5848d1c374762", e.Version)
	assert.Equal(t, "98765432", e.Contractor.SourceID, "the source contractor id (workmarket-worker-<id>) is active_resource.id")
	assert.Equal(t, time.Unix(1796198400, 0).UTC(), e.UpdatedAt)

	srv := serveFixtures(t, new(atomic.Int32))
	polled, mark, err := workmarket.New(workmarket.Config{APIURL: srv.URL, Token: "api-token", Secret: "api-secret", Now: func() time.Time { return now }}).
		ListChanges(context.Background(), now.Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []vendors.Event{{Vendor: "workmarket", Kind: vendors.KindStart, Name: "poll:active", EngagementID: "6029116324",
		EventID: "h:3ddf99ed07495e3c5afdb64a81578f2d", OccurredAt: now, Version: "v:a2b5848d1c374762"}}, polled)
	assert.Equal(t, now, mark)
}

// TestPayTypesLiteralTable: vendors.md "WorkMarket" wage row, pricing as the assignment
// fixture carries it (numbers) and as strings: PER HOUR and BLENDED PER HOUR are hourly,
// FLAT FEE and PER UNIT flatfee; any other type, or its price missing, parks naming the type.
func TestPayTypesLiteralTable(t *testing.T) {
	for _, tc := range []struct {
		pricing  map[string]any
		wage     int64
		wageType string
	}{
		{map[string]any{"type": "PER HOUR", "per_hour_price": 50.0, "max_number_of_hours": 8.0}, 5000, "hourly"}, // the fixture
		{map[string]any{"type": "per hour", "per_hour_price": "50.00"}, 5000, "hourly"},
		{map[string]any{"type": " FLAT FEE ", "flat_price": "1,250.50"}, 125050, "flatfee"},
		{map[string]any{"type": "FLAT FEE", "flat_price": 325, "per_hour_price": 99}, 32500, "flatfee"},
		{map[string]any{"type": "BLENDED PER HOUR", "initial_per_hour_price": 40.25, "additional_per_hour_price": 60}, 4025, "hourly"},
		{map[string]any{"type": "PER UNIT", "per_unit_price": "0.29", "max_number_of_units": "100"}, 2900, "flatfee"},
		{map[string]any{"type": "Per Unit", "per_unit_price": 64.35, "max_number_of_units": 3}, 19305, "flatfee"},
	} {
		e, err := workmarket.Map(assignment(t, func(m map[string]any) { m["pricing"] = tc.pricing }), now)
		require.NoError(t, err, "%v", tc.pricing)
		assert.Equal(t, tc.wage, e.Job.Wage, "%v", tc.pricing)
		assert.Equal(t, tc.wageType, e.Job.WageType, "%v", tc.pricing)
	}
	for _, tc := range []struct {
		pricing map[string]any
		want    string
	}{
		{map[string]any{"type": "BLENDED PER UNIT", "per_unit_price": 10, "max_number_of_units": 2}, `pricing.type "BLENDED PER UNIT" carries no rate the product can use`},
		{map[string]any{"type": ""}, `pricing.type "" carries no rate the product can use`},
		{map[string]any{"type": "PER HOUR", "flat_price": 10}, `pricing.type "PER HOUR": amount is missing`},
		{map[string]any{"type": "BLENDED PER HOUR", "per_hour_price": 10}, `pricing.type "BLENDED PER HOUR": amount is missing`},
		{map[string]any{"type": "PER UNIT", "per_unit_price": 10}, `pricing.type "PER UNIT": unit count: amount is missing`},
		{map[string]any{"type": "FLAT FEE", "flat_price": "12.345"}, `pricing.type "FLAT FEE": amount "12.345" has a fraction of a cent`},
	} {
		_, err := workmarket.Map(assignment(t, func(m map[string]any) { m["pricing"] = tc.pricing }), now)
		var ae *vendors.APIError
		if assert.ErrorAs(t, err, &ae, "%v", tc.pricing) {
			assert.Equal(t, "assignment 6029116324 pricing", ae.What)
			assert.Equal(t, tc.want, ae.Body)
		}
	}
}

func readFixture(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

// FuzzParseWebhook: any templated body: no panic, a refusal is a *ParseError naming a field,
// and an event that acts has its event id and assignment id (a COI its document id, an
// invoice its invoice id); ends and cancels never start an engagement.
func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"webhook_attachment_added.json", "assignment.json", "not_found.json"} {
		b, _ := readFixture(name)
		f.Add(b)
	}
	for _, event := range workmarket.Events {
		f.Add([]byte(`{"event":"` + event + `","assignment_id":"6029116324","status":"active","resource_id":"98765432","now":"2026-11-20T10:00:00Z","file_uuid":"${file_uuid}"}`))
	}
	f.Add([]byte(`{"event":"assignment.paid","assignment_id":""}`))
	f.Add([]byte(`{"event":"assignment.attachment_added","assignment_id":"","file_uuid":""}`))
	f.Add([]byte(`{"event":1}`))
	a := workmarket.New(workmarket.Config{})
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := a.ParseWebhook(nil, body)
		if err != nil {
			var pe *vendors.ParseError
			if !errors.As(err, &pe) || pe.Field == "" {
				t.Fatalf("refused with %T %v", err, err)
			}
			return
		}
		if len(evs) == 0 || len(evs) > 2 {
			t.Fatalf("%d events", len(evs))
		}
		for _, ev := range evs {
			if ev.Vendor != workmarket.Vendor || ev.EventID == "" || ev.Name == "" {
				t.Fatalf("event without vendor, id or name: %+v", ev)
			}
			if ev.Kind == vendors.KindIgnore {
				continue
			}
			switch {
			case ev.EngagementID == "":
				t.Fatalf("%s acts without an assignment id", ev.Kind)
			case ev.Kind == vendors.KindCOI && ev.DocumentID == "":
				t.Fatal("a COI event without its document id")
			case ev.Kind == vendors.KindInvoice && ev.InvoiceID != workmarket.InvoiceID(ev.EngagementID):
				t.Fatalf("invoice id %q", ev.InvoiceID)
			case ev.Kind == vendors.KindEnd || ev.Kind == vendors.KindCancel:
				t.Fatalf("%s from a body (a hint only)", ev.Kind)
			}
		}
	})
}

// A worker without phone numbers or address is mapped without them.
func TestWorkerWithoutPhoneOrAddress(t *testing.T) {
	e, err := workmarket.Map(assignment(t, func(m map[string]any) {
		r := m["active_resource"].(map[string]any)
		r["phone_numbers"], r["address"] = []any{}, nil
	}), now)
	require.NoError(t, err)
	assert.Equal(t, vendors.Contractor{SourceID: "98765432", FirstName: "Sam", LastName: "Worker", Email: "sam@example.com"}, e.Contractor)
}

// TestAuthorizationAnswers: the token exchange's answers: 429 and 5xx retried, any other
// refusal names the settings (never the body, which may echo them), an envelope without a
// token refused.
func TestAuthorizationAnswers(t *testing.T) {
	for _, tc := range []struct {
		status    int
		body      string
		retryable bool
		want      string
	}{
		{http.StatusTooManyRequests, `{}`, true, "HTTP 429"},
		{http.StatusBadGateway, `{}`, true, "HTTP 502"},
		{http.StatusInternalServerError, `{}`, true, "HTTP 500"},
		{499, `{}`, false, "HTTP 499"},
		{http.StatusForbidden, `{"echo":"secret=api-secret"}`, false, "refused; check WORKMARKET_API_TOKEN and WORKMARKET_API_SECRET"},
		{http.StatusOK, `{"meta":{"status_code":200},"response":{}}`, false, "answer has no access_token"},
		{http.StatusOK, `{"meta":{"status_code":401,"errors":[{"code":"auth","message":"bad"}]},"response":{}}`, false, "auth bad"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			w.Write([]byte(tc.body))
		}))
		_, err := workmarket.New(workmarket.Config{APIURL: srv.URL, Token: "api-token", Secret: "api-secret"}).FetchEngagement(context.Background(), "6029116324")
		srv.Close()
		require.Error(t, err, "%d %s", tc.status, tc.body)
		var re *vendors.RetryableError
		assert.Equal(t, tc.retryable, errors.As(err, &re), "%d %s: %v", tc.status, tc.body, err)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "api-secret")
	}
	_, err := workmarket.New(workmarket.Config{APIURL: "http://127.0.0.1:1", Token: "t", Secret: "s"}).FetchEngagement(context.Background(), "1")
	var re *vendors.RetryableError
	assert.ErrorAs(t, err, &re, "an unreachable host is retried")
}

// Abandoned at the very second the window starts: the work had begun, so it ends.
func TestAbandonedAtTheStartEnds(t *testing.T) {
	e, err := workmarket.Map(assignment(t, func(m map[string]any) { m["status"] = "abandoned" }), time.Unix(1796374800, 0))
	require.NoError(t, err)
	assert.Equal(t, vendors.KindEnd, e.Terminal)
	e, err = workmarket.Map(assignment(t, func(m map[string]any) { m["status"] = "abandoned" }), time.Unix(1796374799, 0))
	require.NoError(t, err)
	assert.Equal(t, vendors.KindCancel, e.Terminal)
}
