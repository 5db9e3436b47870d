package remote

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// rateLimitReset with literal headers at a fixed now, 2026-12-04T21:00:00Z = 1796418000000 ms:
//
//	python3 -c 'import datetime;n=datetime.datetime(2026,12,4,21,tzinfo=datetime.timezone.utc);print(int(n.timestamp()*1000), int((n+datetime.timedelta(seconds=30)).timestamp()*1000))'
//
// x-ratelimit-reset is the instant of the reset in Unix ms (1796418030000 is 30 s ahead);
// small values are a wait in ms; without it (or unreadable) Retry-After decides.
func TestRateLimitResetKnownAnswers(t *testing.T) {
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		reset, retryAfter string
		want              time.Duration
	}{
		{"1796418030000", "", 30 * time.Second},
		{" 1796418030000 ", "", 30 * time.Second},
		{"1796418000250", "", 250 * time.Millisecond},
		{"1796418000000", "", 0},                   // now
		{"1796417990000", "5", 0},                  // already past: no wait, and Retry-After is not read
		{"1796418030000", "120", 30 * time.Second}, // the reset header wins
		{"1500", "", 1500 * time.Millisecond},      // a small value is a wait
		{"100000000000", "", 100000000000 * time.Millisecond},
		{"100000000001", "", 0}, // 1973: an instant long past
		{"", "7", 7 * time.Second},
		{"", "Fri, 04 Dec 2026 21:01:30 GMT", 90 * time.Second},
		{"soon", "Fri, 04 Dec 2026 21:01:30 GMT", 90 * time.Second},
		{"0", "3", 3 * time.Second},
		{"-5", "3", 3 * time.Second},
		{"1796418030000.5", "4", 4 * time.Second},
		{"", "", 0},
	} {
		h := http.Header{}
		if tc.reset != "" {
			h.Set("x-ratelimit-reset", tc.reset)
		}
		if tc.retryAfter != "" {
			h.Set("Retry-After", tc.retryAfter)
		}
		assert.Equal(t, tc.want, rateLimitReset(h, now), "reset %q, Retry-After %q", tc.reset, tc.retryAfter)
	}
}

// FuzzRateLimitReset: any header values give a delay that is never negative.
func FuzzRateLimitReset(f *testing.F) {
	for _, seed := range [][2]string{{"1796418030000", ""}, {"1500", ""}, {"", "120"}, {"", "Fri, 04 Dec 2026 21:01:30 GMT"},
		{"9223372036854775807", ""}, {"-1", "1e300"}, {"x", "Inf"}} {
		f.Add(seed[0], seed[1])
	}
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, reset, retryAfter string) {
		h := http.Header{}
		h.Set("x-ratelimit-reset", reset)
		h.Set("Retry-After", retryAfter)
		if d := rateLimitReset(h, now); d < 0 {
			t.Fatalf("reset %q, Retry-After %q: negative delay %s", reset, retryAfter, d)
		}
	})
}
