package remote_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/remote"
)

// vendors.md's Remote vector: key, timestamp and body (testdata/webhook_onboarding_completed.json).
const (
	vectorKey = "wkyzvs764ifdrpct2naqhksmq4"
	vectorTS  = "1700000000000"
	vectorMAC = "ed5f28c6a629b9931933f822829b30c55bf5f2cc54080f142b45826c8d315438"
	// python3 -c 'import hmac,hashlib;print(hmac.new(b"wkyzvs764ifdrpct2naqhksmq4", open("testdata/webhook_onboarding_completed.json","rb").read()+b":TS", hashlib.sha256).hexdigest())'
	// with TS = 1700000300000 (exactly 5 minutes ahead), 1700000300001 (1 ms more), 1699740800000 (3 days before)
	macFiveMinutesAhead  = "4b353afa7890f1e58bb8e3685ca1d64d4c22ff327a0e6e38c27286a73308a121"
	macFiveMinutesAnd1ms = "e01e200e776376918f4c2dda145144dc3472db38bc8af4cc84dd41741cafe765"
	macThreeDaysBefore   = "52b9e4e6cdb57baed30beeff6eb1859f102c897a8a013ffb4b0a89be8a5b9607"
	// hmac.new(key, body + b":" + TS, hashlib.sha1).hexdigest(): the right input, the wrong algorithm
	macSHA1 = "0ce54b8e7a73ddbc541488166f3a063f9bf084f2"
	// hmac.new(key, body, hashlib.sha256).hexdigest(): the body without ":" + timestamp
	macBodyOnly = "4f95447c67287f82c2423d8ce46dd26c3560203ef01ef58d96b7c83d1c1c72a1"
)

func vectorAdapter() *remote.Adapter {
	return remote.New(remote.Config{WebhookSecret: vectorKey, Now: func() time.Time { return time.UnixMilli(1700000000000) }})
}

func headers(sig, ts string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set(remote.HeaderSignature, sig)
	}
	if ts != "" {
		h.Set(remote.HeaderTimestamp, ts)
	}
	return h
}

// TestVerifyWebhookLiteralHeaders: literal headers only; every refusal is a *SignatureError.
func TestVerifyWebhookLiteralHeaders(t *testing.T) {
	a := vectorAdapter()
	body := fixture(t, "webhook_onboarding_completed.json")
	for name, h := range map[string]http.Header{
		"the vector":                  headers(vectorMAC, vectorTS),
		"exactly 5 minutes ahead":     headers(macFiveMinutesAhead, "1700000300000"),
		"3 days old (Remote's retry)": headers(macThreeDaysBefore, "1699740800000"),
	} {
		assert.NoError(t, a.VerifyWebhook(h, body), name)
	}
	for name, tc := range map[string]struct {
		h    http.Header
		want string
	}{
		"no signature":                {headers("", vectorTS), "missing X-Remote-Signature"},
		"no timestamp":                {headers(vectorMAC, ""), "missing X-Remote-Timestamp"},
		"1 ms past 5 minutes ahead":   {headers(macFiveMinutesAnd1ms, "1700000300001"), "more than 5 minutes in the future"},
		"timestamp in seconds":        {headers(vectorMAC, "1700000000"), "does not match"},
		"timestamp not a number":      {headers(vectorMAC, "1.7e12"), "not Unix milliseconds"},
		"timestamp with a blank":      {headers(vectorMAC, vectorTS+" "), "not Unix milliseconds"},
		"timestamp RFC 3339":          {headers(vectorMAC, "2023-11-14T22:13:20Z"), "not Unix milliseconds"},
		"truncated MAC":               {headers(vectorMAC[:32], vectorTS), "does not match"},
		"MAC one byte short":          {headers(vectorMAC[:62], vectorTS), "does not match"},
		"MAC with an odd digit count": {headers(vectorMAC[:63], vectorTS), "lower-case hex"},
		"upper-case MAC":              {headers(strings.ToUpper(vectorMAC), vectorTS), "lower-case hex"},
		"algorithm prefix":            {headers("sha256="+vectorMAC, vectorTS), "lower-case hex"},
		"SHA-1 MAC":                   {headers(macSHA1, vectorTS), "does not match"},
		"MAC of the body alone":       {headers(macBodyOnly, vectorTS), "does not match"},
		"MAC of another timestamp":    {headers(macThreeDaysBefore, vectorTS), "does not match"},
		"MAC for the wrong timestamp": {headers(vectorMAC, "1700000000001"), "does not match"},
	} {
		err := a.VerifyWebhook(tc.h, body)
		if assert.True(t, vendors.IsSignatureError(err), "%s: %v", name, err) {
			assert.Contains(t, err.Error(), tc.want, name)
		}
	}
	err := remote.New(remote.Config{Now: time.Now}).VerifyWebhook(headers(vectorMAC, vectorTS), body)
	assert.True(t, vendors.IsSignatureError(err), "no secret configured: %v", err)
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(headers(vectorMAC, vectorTS), append(body, '\n'))), "one byte more in the body")
}

// TestDedupeKeysAreLiterals: the dedupe key is HashEventID over (vendor, event, employment,
// invoice, timestamp header), vendors.md "Dedupe key". Computed with
//
//	python3 -c 'import hashlib;print("h:"+hashlib.sha256(b"".join(p.encode()+b"\0" for p in ["remote","employment.onboarding.completed","2614f814-b08e-4c8e-8c4d-ddbcc4692d99","","1700000000000"])).hexdigest()[:32])'
//
// and likewise with "contractor_invoice.paid_out" and the invoice id.
func TestDedupeKeysAreLiterals(t *testing.T) {
	a := vectorAdapter()
	for file, want := range map[string]vendors.Event{
		"webhook_onboarding_completed.json": {Vendor: "remote", Kind: vendors.KindStart, Name: "employment.onboarding.completed",
			EngagementID: "2614f814-b08e-4c8e-8c4d-ddbcc4692d99", EventID: "h:40c0d2cb246352ac56a4435e32d33e90",
			OccurredAt: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)},
		"webhook_invoice_paid_out.json": {Vendor: "remote", Kind: vendors.KindInvoice, Name: "contractor_invoice.paid_out",
			EngagementID: "2614f814-b08e-4c8e-8c4d-ddbcc4692d99", EventID: "h:42ebc5bfc1b6886a5c2f7804a35090f1",
			InvoiceID: "663e0b79-c893-45ff-a1b2-f6dcabc098b5", OccurredAt: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)},
	} {
		evs, err := a.ParseWebhook(headers(vectorMAC, vectorTS), fixture(t, file))
		require.NoError(t, err, file)
		assert.Equal(t, []vendors.Event{want}, evs, file)
	}
	// Without a timestamp header the time is unknown (zero), never made up.
	evs, err := a.ParseWebhook(http.Header{}, fixture(t, "webhook_onboarding_completed.json"))
	require.NoError(t, err)
	assert.True(t, evs[0].OccurredAt.IsZero())
}

// TestVersionIsALiteral: the employment's version covers the rate's amount (vendors.md
// fixture, contractor_rate as sent), so the poll's event id is a literal too:
//
//	python3 -c 'import hashlib;h=lambda *p:hashlib.sha256(b"".join(x.encode()+b"\0" for x in p)).hexdigest(); rate="{\"amount\":{\"amount\":85.5,\"currency\":{\"code\":\"USD\"}},\"pay_frequency\":\"monthly\",\"type\":\"hourly\"}"; v="v:"+h("remote","2614f814-b08e-4c8e-8c4d-ddbcc4692d99","active","2026-11-20T10:00:00Z",rate,"2026-12-01","2026-12-31","")[:16]; print(v, "h:"+h("remote","poll","2614f814-b08e-4c8e-8c4d-ddbcc4692d99",v)[:32])'
func TestVersionIsALiteral(t *testing.T) {
	m := employment(t, nil)
	assert.Equal(t, "v:df22a7c1cd01e75c", m.Version())
	e, err := remote.Map(m)
	require.NoError(t, err)
	assert.Equal(t, "v:df22a7c1cd01e75c", e.Version, "the fetch and the poll agree")
	other := employment(t, func(m map[string]any) {
		m["contractor_rate"].(map[string]any)["amount"].(map[string]any)["amount"] = 90
	})
	assert.NotEqual(t, m.Version(), other.Version(), "another amount is another version")

	srv := serveFixtures(t, new(atomic.Int32))
	evs, _, err := remote.New(remote.Config{APIURL: srv.URL, ClientID: "app", ClientSecret: "app-secret", RefreshToken: "rt"}).ListChanges(context.Background(), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "h:464e92b1bb6d321f4ce207d131ccec5b", evs[0].EventID)
	assert.Equal(t, "v:df22a7c1cd01e75c", evs[0].Version)
}

// TestPayTypes: vendors.md "Remote" wage row over the generated type's values of
// contractor_rate.type: hourly -> hourly; daily, weekly, monthly, one_off -> flatfee, the
// amount (85.5 in the fixture) as the wage either way.
func TestPayTypes(t *testing.T) {
	for typ, want := range map[string]string{"hourly": "hourly", "HOURLY": "hourly", "daily": "flatfee", "weekly": "flatfee",
		"monthly": "flatfee", "one_off": "flatfee", "": "flatfee"} {
		e, err := remote.Map(employment(t, func(m map[string]any) { m["contractor_rate"].(map[string]any)["type"] = typ }))
		require.NoError(t, err, typ)
		assert.Equal(t, want, e.Job.WageType, typ)
		assert.Equal(t, int64(8550), e.Job.Wage, typ)
	}
	for amount, want := range map[any]string{"85.555": "fraction of a cent", -1: "negative", "n/a": "not a number"} {
		_, err := remote.Map(employment(t, func(m map[string]any) {
			m["contractor_rate"].(map[string]any)["amount"].(map[string]any)["amount"] = amount
		}))
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, "%v", amount)
		assert.Contains(t, ae.What, "contractor_rate.amount.amount")
		assert.Contains(t, ae.Body, want)
	}
	_, err := remote.Map(employment(t, func(m map[string]any) {
		m["contractor_rate"].(map[string]any)["amount"].(map[string]any)["amount"] = nil
	}))
	assert.ErrorContains(t, err, "contractor_rate")
}

// TestContractorSourceIDIsTheEmployment: Remote has no contractor id; the employment id is
// the source contractor id (vendors.md: remote_contractor_id and remote-contractor-<id>).
func TestContractorSourceIDIsTheEmployment(t *testing.T) {
	e, err := remote.Map(employment(t, nil))
	require.NoError(t, err)
	assert.Equal(t, "2614f814-b08e-4c8e-8c4d-ddbcc4692d99", e.Contractor.SourceID)
	assert.Equal(t, map[string]string{"remote_contractor_id": "2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}, e.Metadata.Contractor)
}

// TestRateLimitResetIsAnInstant: on a 429 the adapter waits until x-ratelimit-reset (Unix
// ms of the reset), never that many ms.
func TestRateLimitResetIsAnInstant(t *testing.T) {
	var reset, retryAfter string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reset != "" {
			w.Header().Set("x-ratelimit-reset", reset)
		}
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	wait := func() time.Duration {
		_, err := adapter(srv.URL).FetchEngagement(context.Background(), "e1")
		var re *vendors.RetryableError
		require.True(t, errors.As(err, &re), "a 429 is retried: %v", err)
		return re.RetryAfter
	}
	reset = strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10)
	got := wait()
	assert.Greater(t, got, 25*time.Second)
	assert.LessOrEqual(t, got, 30*time.Second)
	reset, retryAfter = "", time.Now().Add(45*time.Second).UTC().Format(http.TimeFormat)
	got = wait()
	assert.Greater(t, got, 40*time.Second, "an HTTP-date Retry-After is honoured")
	assert.LessOrEqual(t, got, 45*time.Second)
	reset, retryAfter = "", "12"
	assert.Equal(t, 12*time.Second, wait())
}

// independentMAC is HMAC-SHA256 with the standard library directly (not vendors.SignHMAC).
func independentMAC(key string, body []byte, ts string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	m.Write([]byte(":" + ts))
	return hex.EncodeToString(m.Sum(nil))
}

// FuzzVerifyWebhook: whatever signature and timestamp headers arrive, the verifier never
// panics, refuses only with a *SignatureError, and accepts only the lower-case MAC of body +
// ":" + timestamp for a timestamp in Unix ms at most 5 minutes ahead.
func FuzzVerifyWebhook(f *testing.F) {
	body, _ := readFixture("webhook_onboarding_completed.json")
	f.Add(vectorMAC, vectorTS, body)
	f.Add(macFiveMinutesAnd1ms, "1700000300001", body)
	f.Add(strings.ToUpper(vectorMAC), vectorTS, body)
	f.Add("sha256="+vectorMAC, "-1", []byte("{}"))
	f.Add("", "99999999999999999999", []byte(nil))
	a := vectorAdapter()
	f.Fuzz(func(t *testing.T, sig, ts string, body []byte) {
		h := http.Header{}
		h.Set(remote.HeaderSignature, sig)
		h.Set(remote.HeaderTimestamp, ts)
		err := a.VerifyWebhook(h, body)
		if err != nil {
			if !vendors.IsSignatureError(err) {
				t.Fatalf("refused with %T %v", err, err)
			}
			return
		}
		ms, perr := strconv.ParseInt(h.Get(remote.HeaderTimestamp), 10, 64)
		if perr != nil || ms > 1700000000000+5*60*1000 {
			t.Fatalf("accepted timestamp %q", ts)
		}
		if strings.TrimSpace(h.Get(remote.HeaderSignature)) != independentMAC(vectorKey, body, h.Get(remote.HeaderTimestamp)) {
			t.Fatalf("accepted signature %q", sig)
		}
	})
}

// FuzzParseWebhook: any body and timestamp header: no panic, a refusal is a *ParseError
// naming a field, and an event that acts has its event id and employment id.
func FuzzParseWebhook(f *testing.F) {
	for _, name := range []string{"webhook_onboarding_completed.json", "webhook_invoice_paid_out.json", "webhook_events.json", "employment.json"} {
		b, _ := readFixture(name)
		f.Add(b, vectorTS)
	}
	f.Add([]byte(`{"event_type":"contract.cancelled","employment_id":""}`), "x")
	f.Add([]byte(`{"event_type":"contractor_invoice.paid_out","employment_id":"e"}`), "")
	f.Add([]byte(`{"event_type":7}`), "1")
	f.Add([]byte(`null`), "-9223372036854775808")
	a := vectorAdapter()
	f.Fuzz(func(t *testing.T, body []byte, ts string) {
		h := http.Header{}
		h.Set(remote.HeaderTimestamp, ts)
		evs, err := a.ParseWebhook(h, body)
		if err != nil {
			var pe *vendors.ParseError
			if !errors.As(err, &pe) || pe.Field == "" {
				t.Fatalf("refused with %T %v", err, err)
			}
			return
		}
		if len(evs) != 1 {
			t.Fatalf("%d events", len(evs))
		}
		ev := evs[0]
		if ev.Vendor != remote.Vendor || ev.EventID == "" || ev.Name == "" {
			t.Fatalf("event without vendor, id or name: %+v", ev)
		}
		if ev.Kind != vendors.KindIgnore && ev.EngagementID == "" {
			t.Fatalf("%s acts without an employment id", ev.Kind)
		}
		if ev.Kind == vendors.KindInvoice && ev.InvoiceID == "" {
			t.Fatal("an invoice event without its invoice id")
		}
		if (ev.Kind == vendors.KindEnd || ev.Kind == vendors.KindCancel) && !ev.NoStart {
			t.Fatalf("%s may start an engagement", ev.Kind)
		}
	})
}

// readFixture is fixture for a fuzz seed (no *testing.T there).
func readFixture(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }
