package vendors_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// checkAmount: a refused amount is an *AmountError; an accepted one is whole cents within
// 0..MaxCents and reads back the same from its own decimal text.
func checkAmount(t *testing.T, what string, cents int64, err error) {
	t.Helper()
	if err != nil {
		var ae *vendors.AmountError
		if !errors.As(err, &ae) || ae.Reason == "" {
			t.Fatalf("%s: refused with %T %v, not an *AmountError", what, err, err)
		}
		return
	}
	if cents < 0 || cents > vendors.MaxCents {
		t.Fatalf("%s: %d cents is outside 0..MaxCents", what, cents)
	}
	again, err := vendors.Cents(fmt.Sprintf("%d.%02d", cents/100, cents%100))
	if err != nil || again != cents {
		t.Fatalf("%s: %d cents does not read back (%d, %v)", what, cents, again, err)
	}
}

// FuzzCents: any amount text, as a string or as raw JSON (how the adapters' Amount passes it).
func FuzzCents(f *testing.F) {
	for _, seed := range []string{"85.5", "64.35", `"1,250.50"`, "$12.34", "0.015", "-5", "1e2", "1e400", "null", "", "0x10",
		"10000000000.00", "10000000000.01", "440.0", `{"a":1}`, "1/3", "  7 "} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := vendors.Cents(s)
		checkAmount(t, fmt.Sprintf("Cents(%q)", s), c, err)
		c, err = vendors.Cents(json.RawMessage(s))
		checkAmount(t, fmt.Sprintf("Cents(raw %q)", s), c, err)
		var n json.Number = json.Number(s)
		c, err = vendors.Cents(n)
		checkAmount(t, fmt.Sprintf("Cents(number %q)", s), c, err)
	})
}

// FuzzMultiply: any price and quantity as JSON sends them (WorkMarket's PER UNIT wage).
func FuzzMultiply(f *testing.F) {
	for _, seed := range [][2]string{{"12.5", "4"}, {`"12.50"`, `"3"`}, {"19.99", "0.5"}, {"100000", "100000"}, {"1e20", "1e20"},
		{"null", "3"}, {"-1", "2"}, {`"abc"`, "1"}, {"0.333", "3"}, {"1e-30", "1e30"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, price, units string) {
		var p, n vendors.Amount
		if p.UnmarshalJSON([]byte(price)) != nil || n.UnmarshalJSON([]byte(units)) != nil {
			t.Fatal("UnmarshalJSON keeps any raw text")
		}
		c, err := p.Multiply(n)
		checkAmount(t, fmt.Sprintf("%s x %s", price, units), c, err)
	})
}

// FuzzRetryAfter: any Retry-After value gives a delay that is never negative.
func FuzzRetryAfter(f *testing.F) {
	for _, seed := range []string{"120", "0", "-1", "1.5", "Fri, 04 Dec 2026 21:01:30 GMT", "Friday, 04-Dec-26 21:00:45 GMT",
		"Fri Dec  4 21:01:30 2026", "soon", "", "1e300", "NaN", "Inf"} {
		f.Add(seed)
	}
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set("Retry-After", v)
		if d := vendors.RetryAfterSeconds(h, now); d < 0 {
			t.Fatalf("Retry-After %q: negative delay %s", v, d)
		}
	})
}
