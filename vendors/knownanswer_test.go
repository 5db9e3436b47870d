package vendors_test

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Known answers of vendors.md, checked again with python3 on this machine:
//
//	python3 -c 'import hmac,hashlib;print(hmac.new(b"wkyzvs764ifdrpct2naqhksmq4", open("remote/testdata/webhook_onboarding_completed.json","rb").read()+b":1700000000000", hashlib.sha256).hexdigest())'
//	python3 -c 'import hmac,hashlib;print(hmac.new(b"jobdiva", b"{\"type\":\"candidate\",\"operation\":\"Update\",\"id\":\"12345\",\"data\":[]}", hashlib.sha1).hexdigest())'
const (
	remoteKey  = "wkyzvs764ifdrpct2naqhksmq4"
	remoteBody = `{"event_type":"employment.onboarding.completed","company_id":"9f3c1a2b-4d5e-4f60-8a7b-0c1d2e3f4a5b","employment_id":"2614f814-b08e-4c8e-8c4d-ddbcc4692d99"}`
	remoteMAC  = "ed5f28c6a629b9931933f822829b30c55bf5f2cc54080f142b45826c8d315438"
	// the same key and input through HMAC-SHA1 (hashlib.sha1 in the command above)
	remoteMACSHA1 = "0ce54b8e7a73ddbc541488166f3a063f9bf084f2"
	jobdivaBody   = `{"type":"candidate","operation":"Update","id":"12345","data":[]}`
	jobdivaMAC    = "d993778d5c4171aab887ae3ebe050ef5a3b07915"
)

func TestSignHMACKnownAnswers(t *testing.T) {
	assert.Equal(t, remoteMAC, hex.EncodeToString(vendors.SignHMAC(sha256.New, remoteKey, []byte(remoteBody), []byte(":1700000000000"))),
		"the parts are concatenated in order")
	assert.Equal(t, jobdivaMAC, hex.EncodeToString(vendors.SignHMAC(sha1.New, "jobdiva", []byte(jobdivaBody))))
}

// TestVerifyHMACRefusesEveryForgeryShape: only the full, lower-case MAC of the right algorithm
// over the right parts verifies; an empty, truncated, prefixed, re-cased or other-algorithm
// MAC is a *SignatureError.
func TestVerifyHMACRefusesEveryForgeryShape(t *testing.T) {
	parts := [][]byte{[]byte(remoteBody), []byte(":1700000000000")}
	require.NoError(t, vendors.VerifyHMAC(sha256.New, remoteKey, remoteMAC, parts...))
	require.NoError(t, vendors.VerifyHMAC(sha256.New, remoteKey, " "+remoteMAC+" ", parts...), "surrounding blanks of a header value")
	require.NoError(t, vendors.VerifyHMAC(sha1.New, "jobdiva", jobdivaMAC, []byte(jobdivaBody)))
	for name, mac := range map[string]string{
		"empty":                    "",
		"blank":                    "   ",
		"first 32 hex digits":      remoteMAC[:32],
		"one byte short":           remoteMAC[:62],
		"one digit short (odd)":    remoteMAC[:63],
		"one byte too many":        remoteMAC + "00",
		"first byte only":          remoteMAC[:2],
		"upper case":               strings.ToUpper(remoteMAC),
		"one digit upper case":     "ED5f28c6a629b9931933f822829b30c55bf5f2cc54080f142b45826c8d315438",
		"algorithm prefix":         "sha256=" + remoteMAC,
		"SHA-1 of the same input":  remoteMACSHA1,
		"last digit changed":       remoteMAC[:63] + "9",
		"first digit changed":      "fd5f28c6a629b9931933f822829b30c55bf5f2cc54080f142b45826c8d315438",
		"not hex":                  strings.Repeat("zz", 32),
		"MAC of the body alone":    "4f95447c67287f82c2423d8ce46dd26c3560203ef01ef58d96b7c83d1c1c72a1", // hmac.new(key, body, sha256), no ":ts"
		"JobDiva's MAC for Remote": jobdivaMAC,
	} {
		err := vendors.VerifyHMAC(sha256.New, remoteKey, mac, parts...)
		assert.True(t, vendors.IsSignatureError(err), "%s: %v", name, err)
	}
	for name, mac := range map[string]string{
		"empty": "", "truncated to 8": jobdivaMAC[:8], "truncated by one byte": jobdivaMAC[:38], "upper case": strings.ToUpper(jobdivaMAC),
		"prefix kept": "sha1=" + jobdivaMAC,
	} {
		assert.True(t, vendors.IsSignatureError(vendors.VerifyHMAC(sha1.New, "jobdiva", mac, []byte(jobdivaBody))), "sha1 %s", name)
	}
	// The right MAC under the wrong algorithm, key or parts.
	assert.True(t, vendors.IsSignatureError(vendors.VerifyHMAC(sha1.New, remoteKey, remoteMAC, parts...)))
	assert.True(t, vendors.IsSignatureError(vendors.VerifyHMAC(sha256.New, remoteKey+"x", remoteMAC, parts...)))
	assert.True(t, vendors.IsSignatureError(vendors.VerifyHMAC(sha256.New, remoteKey, remoteMAC, []byte(remoteBody), []byte(":1700000000001"))))
	// Rotation: the right key anywhere in the list verifies; no key at all refuses.
	assert.NoError(t, vendors.VerifyHMAC(sha256.New, "old-key, "+remoteKey, remoteMAC, parts...))
	assert.NoError(t, vendors.VerifyHMAC(sha256.New, remoteKey+",old-key", remoteMAC, parts...))
	err := vendors.VerifyHMAC(sha256.New, " , ", remoteMAC, parts...)
	require.True(t, vendors.IsSignatureError(err))
	assert.Contains(t, err.Error(), "no webhook secret configured")
}

func TestCompareSecretRefusesEveryNearMiss(t *testing.T) {
	const want = "wm-9f1c2a7e4b6d8c0e1f3a5b7d9c2e4f6a"
	require.NoError(t, vendors.CompareSecret(want, want))
	require.NoError(t, vendors.CompareSecret("retired-secret, "+want, want), "rotation")
	for name, got := range map[string]string{
		"empty": "", "truncated": want[:len(want)-1], "prefix only": want[:3], "upper case": strings.ToUpper(want),
		"longer": want + "0", "blank padded": " " + want, "the whole setting": "retired-secret, " + want,
	} {
		assert.True(t, vendors.IsSignatureError(vendors.CompareSecret("retired-secret, "+want, got)), name)
	}
	err := vendors.CompareSecret(want, "")
	assert.Contains(t, err.Error(), "missing secret header")
	err = vendors.CompareSecret("", want)
	assert.Contains(t, err.Error(), "no webhook secret configured")
	assert.Contains(t, vendors.CompareSecret(want, "x").Error(), "does not match")
}

// TestCentsKnownAnswers: vendors.md "Common rules" (money): decimal text exactly, "," dropped,
// a non-zero digit below one cent refused, never negative, at most MaxCents ($10 billion).
func TestCentsKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int64
	}{
		{json.RawMessage(`85.5`), 8550}, {json.RawMessage(`64.35`), 6435}, {float64(64.35), 6435}, {float64(1.005e2), 10050},
		{json.RawMessage(`0.29`), 29}, {float64(0.29), 29}, {"4.35", 435}, {"1.10", 110}, {"1.230", 123}, {"0", 0}, {"0.00", 0},
		{json.RawMessage(`440.0`), 44000}, {json.RawMessage(`1e2`), 10000}, {json.Number("2.5E1"), 2500},
		{"12,345,678.90", 1234567890}, {"$1,000", 100000}, {json.RawMessage(`"$1,250.50"`), 125050},
		{"10000000000", 1_000_000_000_000}, {"10000000000.00", vendors.MaxCents}, {int64(10_000_000_000), vendors.MaxCents},
		{strings.Repeat("0", 39) + "1", 100}, // 40 characters: the longest text read
		{"-0", 0}, {"+5", 500}, {".5", 50}, {"5.", 500}, {"2.5e-1", 25},
	} {
		got, err := vendors.Cents(tc.in)
		if assert.NoError(t, err, "%v", tc.in) {
			assert.Equal(t, tc.want, got, "%v", tc.in)
		}
	}
	for _, tc := range []struct {
		in   any
		want string
	}{
		{"10000000000.01", "out of range"}, {int64(10_000_000_001), "out of range"}, {"99999999999999999999", "out of range"},
		{"0.001", "fraction of a cent"}, {"0.015", "fraction of a cent"}, {"1.2345", "fraction of a cent"}, {float64(0.1) + float64(0.2), "fraction of a cent"},
		{"-0.01", "negative"}, {json.RawMessage(`-5`), "negative"}, {-1, "negative"},
		{"", "missing"}, {" ", "missing"}, {"$", "missing"}, {nil, "missing"}, {json.RawMessage(`null`), "missing"}, {json.RawMessage(`"null"`), "missing"},
		{"abc", "not a number"}, {"1.2.3", "not a number"}, {"0x10", "not a number"}, {"0b101", "not a number"}, {"1_000", "not a number"}, {"10/4", "not a number"}, {"1e", "not a number"}, {".", "not a number"}, {json.RawMessage(`{"amount":1}`), "not a number"},
		{strings.Repeat("0", 40) + "1", "too long"}, {"1e999999999", "not a number"}, {"1e100000", "out of range"},
		{true, "unsupported type"}, {[]byte("1"), "unsupported type"},
	} {
		_, err := vendors.Cents(tc.in)
		if assert.Error(t, err, "%v", tc.in) {
			assert.Contains(t, err.Error(), tc.want, "%v", tc.in)
		}
	}
}

func amount(t *testing.T, raw string) vendors.Amount {
	t.Helper()
	var a vendors.Amount
	require.NoError(t, json.Unmarshal([]byte(raw), &a))
	return a
}

// TestMultiplyKnownAnswers: WorkMarket's PER UNIT wage, per_unit_price x max_number_of_units
// (vendors.md), exact: numbers and strings alike, a product below a cent refused naming both
// values, nothing above MaxCents.
func TestMultiplyKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		price, units string
		want         int64
	}{
		{`12.5`, `4`, 5000}, {`"12.50"`, `"3"`, 3750}, {`64.35`, `3`, 19305}, {`0.29`, `100`, 2900}, {`"1,250.50"`, `2`, 250100},
		{`10`, `2.5`, 2500}, {`"0.10"`, `0.5`, 5}, {`50.0`, `"8"`, 40000}, {`7`, `0`, 0}, {`0`, `1000000`, 0},
		{`100000`, `100000`, vendors.MaxCents}, {`1e3`, `1e2`, 10_000_000},
	} {
		got, err := amount(t, tc.price).Multiply(amount(t, tc.units))
		if assert.NoError(t, err, "%s x %s", tc.price, tc.units) {
			assert.Equal(t, tc.want, got, "%s x %s", tc.price, tc.units)
		}
	}
	for _, tc := range []struct{ price, units, want string }{
		{`19.99`, `0.5`, "rate 19.99 x 0.5 units has a fraction of a cent"},
		{`0.333`, `3`, "rate 0.333 x 3 units has a fraction of a cent"},
		{`100000`, `100000.01`, "rate 100000 x 100000.01 units is out of range (more than 10000000000.00)"},
		{`1000000`, `1000000`, "is out of range"},
		{`null`, `3`, "amount is missing"},
		{`12.5`, `null`, "unit count: amount is missing"},
		{`12.5`, `"-2"`, "unit count: amount \"-2\" is negative"},
		{`-12.5`, `2`, "negative"},
		{`"twelve"`, `2`, "not a number"},
		{`12.5`, `"two"`, "unit count: amount \"two\" is not a number"},
	} {
		_, err := amount(t, tc.price).Multiply(amount(t, tc.units))
		if assert.Error(t, err, "%s x %s", tc.price, tc.units) {
			assert.Contains(t, err.Error(), tc.want, "%s x %s", tc.price, tc.units)
		}
	}
	var unset vendors.Amount
	_, err := unset.Multiply(amount(t, `2`))
	assert.ErrorContains(t, err, "missing", "an absent price")
	assert.False(t, unset.Set())
	assert.True(t, amount(t, `0`).Set())
}

// Retry-After as seconds or as an HTTP date (RFC 9110 §10.2.3). The date was made with
//
//	python3 -c 'import email.utils,datetime;print(email.utils.format_datetime(datetime.datetime(2026,12,4,21,1,30,tzinfo=datetime.timezone.utc),usegmt=True))'
func TestRetryAfterSecondsKnownAnswers(t *testing.T) {
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	for value, want := range map[string]time.Duration{
		"120":                            120 * time.Second,
		" 7 ":                            7 * time.Second,
		"0":                              0,
		"Fri, 04 Dec 2026 21:01:30 GMT":  90 * time.Second,
		"Fri, 04 Dec 2026 20:59:00 GMT":  0,                // already past
		"Friday, 04-Dec-26 21:00:45 GMT": 45 * time.Second, // RFC 850, obsolete but allowed
		"":                               0,
		"soon":                           0,
	} {
		h := http.Header{}
		if value != "" {
			h.Set("Retry-After", value)
		}
		assert.Equal(t, want, vendors.RetryAfterSeconds(h, now), "%q", value)
	}
}

// TestHTTPClientAnswers: each kind of platform answer becomes its error, with the delay the
// platform asks for on 429 and 5xx.
func TestHTTPClientAnswers(t *testing.T) {
	var retryAfter string
	var status int
	var seen http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		w.Write([]byte(`{"message":"` + strings.Repeat("x", 250) + `"}`))
	}))
	defer srv.Close()
	c := &vendors.HTTPClient{Base: srv.URL + "/", HTTP: srv.Client(), Headers: map[string]string{"X-Api-Version": "2"},
		Token: func(context.Context) (string, error) { return "tok-abcdef", nil }}
	do := func() error {
		_, _, err := c.Do(context.Background(), http.MethodPost, "/v1/x", nil, map[string]int{"a": 1})
		return err
	}

	status, retryAfter = http.StatusTooManyRequests, "17"
	err := do()
	var re *vendors.RetryableError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 17*time.Second, re.RetryAfter)
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusTooManyRequests, ae.Status)
	assert.Equal(t, "POST /v1/x", ae.What)
	assert.Len(t, ae.Body, 200+len("…"), "a long answer is cut to 200 bytes")
	assert.Equal(t, "Bearer tok-abcdef", seen.Get("Authorization"))
	assert.Equal(t, "application/json", seen.Get("Content-Type"))
	assert.Equal(t, "application/json", seen.Get("Accept"))
	assert.Equal(t, "2", seen.Get("X-Api-Version"))

	// An HTTP date 60 s ahead (second precision: between 59 and 60 s from now).
	retryAfter = time.Now().Add(61 * time.Second).UTC().Format(http.TimeFormat)
	require.ErrorAs(t, do(), &re)
	assert.Greater(t, re.RetryAfter, 58*time.Second, "an HTTP-date Retry-After is honoured")
	assert.LessOrEqual(t, re.RetryAfter, 61*time.Second)

	for _, s := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable} {
		status, retryAfter = s, ""
		require.ErrorAs(t, do(), &re, "%d", s)
		assert.Zero(t, re.RetryAfter)
	}
	status = http.StatusNotFound
	var nf *vendors.NotFoundError
	require.ErrorAs(t, do(), &nf)
	assert.Equal(t, "not found: POST /v1/x", nf.Error())
	for _, s := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusConflict, 499, http.StatusMultipleChoices, http.StatusMultipleChoices + 4} {
		status = s
		err := do()
		require.ErrorAs(t, err, &ae, "%d", s)
		assert.False(t, errors.As(err, &re), "%d is not retried", s)
		assert.Equal(t, s, ae.Status)
	}
	status = http.StatusNoContent
	assert.NoError(t, do())
	status = 299
	assert.NoError(t, do())
}

// TestHTTPClientReauthenticatesOnceOn401: one 401 re-authenticates and repeats the call; a
// second 401 is the error.
func TestHTTPClientReauthenticatesOnceOn401(t *testing.T) {
	var calls, reauths int
	var failures int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls <= failures {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := &vendors.HTTPClient{Base: srv.URL, HTTP: srv.Client(), Reauth: func(context.Context) error { reauths++; return nil }}
	failures = 1
	var out map[string]bool
	require.NoError(t, c.GetJSON(context.Background(), "/x", nil, &out))
	assert.Equal(t, 2, calls)
	assert.Equal(t, 1, reauths)
	calls, reauths, failures = 0, 0, 5
	err := c.GetJSON(context.Background(), "/x", nil, &out)
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusUnauthorized, ae.Status)
	assert.Equal(t, 2, calls, "one repeat only")
	assert.Equal(t, 1, reauths)
	c.Reauth = func(context.Context) error { return errors.New("grant refused") }
	calls = 0
	assert.EqualError(t, c.GetJSON(context.Background(), "/x", nil, &out), "grant refused")
	failures = 0
	calls = 0
	err = c.PostJSON(context.Background(), "/x", map[string]int{}, &[]int{})
	require.ErrorAs(t, err, &ae, "an answer that does not decode")
	assert.Contains(t, err.Error(), "undecodable answer")
}

// An Amount marshals as the text it arrived as (a record's version marshals the rate holding it).
func TestAmountMarshalsAsItArrived(t *testing.T) {
	b, err := json.Marshal(struct{ A, B, C vendors.Amount }{A: amount(t, `"1,250.50"`), B: amount(t, `85.5`)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"A":"1,250.50","B":85.5,"C":null}`, string(b))
}

// TestHTTPClientRequestShape: the query (with the token as a parameter when TokenParam is
// set, instead of a bearer header), JSON headers only with a body, no Authorization without a
// token, and a token failure stops the call.
func TestHTTPClientRequestShape(t *testing.T) {
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Clone(context.Background()))
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	wm := &vendors.HTTPClient{Base: srv.URL, HTTP: srv.Client(), TokenParam: "access_token",
		Token: func(context.Context) (string, error) { return "wm-access", nil }}
	_, _, err := wm.Do(ctx, http.MethodGet, "/api/v1/assignments/get", url.Values{"id": {"6029116324"}}, nil)
	require.NoError(t, err)
	r := seen[0]
	assert.Equal(t, "access_token=wm-access&id=6029116324", r.URL.RawQuery)
	assert.Empty(t, r.Header.Get("Authorization"))
	assert.Empty(t, r.Header.Get("Content-Type"), "no body, no Content-Type")
	assert.Equal(t, "application/json", r.Header.Get("Accept"))

	plain := &vendors.HTTPClient{Base: srv.URL, HTTP: srv.Client()}
	_, _, err = plain.Do(ctx, http.MethodGet, "/x", nil, nil)
	require.NoError(t, err)
	assert.Empty(t, seen[1].URL.RawQuery)
	assert.Equal(t, "/x", seen[1].RequestURI, "no query, no \"?\"")
	assert.Empty(t, seen[1].Header.Get("Authorization"), "no token, no header")
	_, _, err = plain.Do(ctx, http.MethodGet, "/x", url.Values{"page": {"2"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, "page=2", seen[2].URL.RawQuery)

	failing := &vendors.HTTPClient{Base: srv.URL, HTTP: srv.Client(), Token: func(context.Context) (string, error) { return "", errors.New("no token") }}
	_, _, err = failing.Do(ctx, http.MethodGet, "/x", nil, nil)
	assert.EqualError(t, err, "no token")
	assert.Len(t, seen, 3, "nothing sent without a token")
	_, _, err = plain.Do(ctx, http.MethodPost, "/x", nil, func() {})
	assert.Error(t, err, "a body that does not marshal")
	assert.Len(t, seen, 3)
}

// An answer of exactly 200 bytes is quoted whole; 201 bytes are cut to 200 and marked.
func TestAnswerQuotedUpTo200Bytes(t *testing.T) {
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	c := &vendors.HTTPClient{Base: srv.URL, HTTP: srv.Client()}
	for n, want := range map[int]string{200: strings.Repeat("b", 200), 201: strings.Repeat("b", 200) + "…"} {
		body = " " + strings.Repeat("b", n) + "\n"
		_, _, err := c.Do(context.Background(), http.MethodGet, "/x", nil, nil)
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, want, ae.Body, "%d bytes", n)
	}
}
