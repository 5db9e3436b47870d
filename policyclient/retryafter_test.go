package policyclient_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/coverage-orchestrator/coverage/policyclient"
)

// retryNow is 1796198400, "Wed, 02 Dec 2026 08:00:00 GMT".
var retryNow = time.Unix(1796198400, 0)

// TestParseRetryAfter: RFC 9110 §10.2.3, delay-seconds or an HTTP date in any of its three
// forms. The dates are 120 s after retryNow, written by Python, not by Go:
//
//	python3 -c 'import email.utils; print(email.utils.formatdate(1796198520, usegmt=True))'       # IMF-fixdate
//	python3 -c 'import time; print(time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(1796198520)))'  # RFC 850
//	python3 -c 'import time; print(time.asctime(time.gmtime(1796198520)))'                          # asctime
//
// and the same formatdate for 1796198400 (now) and 1796198340 (a minute ago).
func TestParseRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"86400", 24 * time.Hour},
		{"Wed, 02 Dec 2026 08:02:00 GMT", 2 * time.Minute},
		{"Wednesday, 02-Dec-26 08:02:00 GMT", 2 * time.Minute},
		{"Wed Dec  2 08:02:00 2026", 2 * time.Minute},
		{"Wed, 02 Dec 2026 08:00:00 GMT", 0},
		{"Wed, 02 Dec 2026 07:59:00 GMT", 0},
		{"", 0},
		{"-5", 0},
		{"soon", 0},
		{"2026-12-02T08:02:00Z", 0}, // not an HTTP date
		{"NaN", 0},
		{"1e300", math.MaxInt64},
		{"Inf", math.MaxInt64},
		{"9223372036.854775807", math.MaxInt64}, // the longest Duration, in seconds
	} {
		assert.Equal(t, tc.want, pc.ParseRetryAfter(tc.in, retryNow), "%q", tc.in)
	}
}

// The client reads Retry-After from a 429 or 503, as seconds or as an HTTP date.
func TestClientReadsRetryAfter(t *testing.T) {
	var retryAfter string
	status := http.StatusTooManyRequests
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", retryAfter)
		w.WriteHeader(status)
		w.Write([]byte(`{"message":"slow down"}`))
	}))
	defer srv.Close()
	c := pc.New(pc.Config{BaseURL: srv.URL, APIKey: "k"})

	retryAfter = "30"
	_, err := c.GetPolicy(context.Background(), "pl_1")
	pe, ok := pc.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, 30*time.Second, pe.RetryAfter)
	assert.True(t, pe.Retryable)

	status = http.StatusServiceUnavailable
	retryAfter = time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	_, err = c.GetPolicy(context.Background(), "pl_1")
	pe, ok = pc.AsError(err)
	require.True(t, ok, "%v", err)
	assert.InDelta(t, time.Hour.Seconds(), pe.RetryAfter.Seconds(), 2, "an HTTP date an hour ahead")
	assert.True(t, pe.Retryable)
}

// FuzzParseRetryAfter: any header value; never panics, never a negative delay, and a
// delay-seconds value is read as exactly that many seconds.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"7", "0", "Wed, 02 Dec 2026 08:02:00 GMT", "Wednesday, 02-Dec-26 08:02:00 GMT",
		"Wed Dec  2 08:02:00 2026", "-1", "1e300", "NaN", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := pc.ParseRetryAfter(v, retryNow)
		if d < 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, negative", v, d)
		}
		if n, err := strconv.ParseUint(v, 10, 32); err == nil && d != time.Duration(n)*time.Second {
			t.Fatalf("ParseRetryAfter(%q) = %v, want %d s", v, d, n)
		}
	})
}
