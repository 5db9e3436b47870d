package config

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// ParseDays reads COVERAGE_HORIZON ("90d" or a Go duration): it never panics, and "<n>d" it
// accepts is exactly n days.
func FuzzParseDays(f *testing.F) {
	for _, s := range []string{"90d", "14d", " 45d ", "2160h", "1080h30m", "0d", "-3d", "d", "9999999999d", "1.5d", "", "90"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDays(s)
		if err != nil {
			return
		}
		if n, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
			days, convErr := strconv.Atoi(n)
			if convErr != nil || d/(24*time.Hour) != time.Duration(days) || d%(24*time.Hour) != 0 {
				t.Fatalf("%q read as %v", s, d)
			}
		}
	})
}

// 213594 days wrap around int64 nanoseconds to about 90 days (213594 x 86400e9 mod 2^64 =
// 7777526290448384 ns, python3: 90.02 days): refused, not read as a 90-day horizon.
func TestCoverageHorizonThatWrapsAroundIsRefused(t *testing.T) {
	t.Setenv("POLICY_API_KEY", "k")
	t.Setenv("POLICY_WEBHOOK_SECRET", "s")
	t.Setenv("COVERAGE_HORIZON", "213594d")
	_, err := Load()
	if err == nil || !strings.Contains(err.Error(), "COVERAGE_HORIZON") {
		t.Fatalf("COVERAGE_HORIZON=213594d: got %v, want a refusal naming it", err)
	}
}
