package workflows

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// The coverage window as the platforms send it (a date, a date-time with a zone, one without)
// and the event times of webhook bodies are outside input the workflow's window is built from.
// Seeds: the shapes vendors.md shows for each platform, and near misses.
var windowSeeds = []string{
	"2027-01-11", " 2027-02-09 ", "2027-01-11T00:00:00Z", "2027-01-20T14:00:00-08:00", "2027-01-20T14:00:00",
	"2027-02-29", "2027-13-01", "27-01-11", "", "   ", "2027-01-11T24:00:00Z", "2027-01-11T00:00:00.5Z",
}

// WindowStart and WindowEnd never panic; what they accept follows SPEC §2 step 4: a date-only
// start is that day's 00:00 UTC, a date-only (or midnight) end the next day's, any other time
// is kept as it is.
func FuzzWindowStartAndEnd(f *testing.F) {
	for _, s := range windowSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, errStart := vendors.WindowStart(s)
		end, errEnd := vendors.WindowEnd(s)
		if (errStart == nil) != (errEnd == nil) {
			t.Fatalf("%q: start error %v, end error %v", s, errStart, errEnd)
		}
		if errStart != nil {
			if msg := errStart.Error(); msg != "date is missing" && !strings.HasPrefix(msg, "date ") {
				t.Fatalf("%q refused without naming the date: %v", s, errStart)
			}
			return
		}
		const day = 24 * 3600
		midnight := start%day == 0
		switch {
		case midnight && end != start+day:
			t.Fatalf("%q: a midnight start %d ends at %d, not the next day's 00:00", s, start, end)
		case !midnight && end != start:
			t.Fatalf("%q: an instant %d read as end %d", s, start, end)
		}
		if v := strings.TrimSpace(s); len(v) == len(vendors.LayoutDate) {
			if got := time.Unix(start, 0).UTC().Format(vendors.LayoutDate); got != v {
				t.Fatalf("date-only %q read as %s", s, got)
			}
		}
	})
}

// ParseEventTime never panics; it refuses only with a ParseError naming the field, and an
// accepted time is in UTC and formats back to the same instant.
func FuzzEventTime(f *testing.F) {
	for _, s := range append(windowSeeds, "2027-01-20T14:00:00+01:00", "2027-01-20T14:00:00.123456789Z") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := vendors.ParseEventTime("occurred_at", s)
		if err != nil {
			var pe *vendors.ParseError
			if !errors.As(err, &pe) || pe.Field != "occurred_at" {
				t.Fatalf("%q refused with %v, not a ParseError on occurred_at", s, err)
			}
			return
		}
		if s == "" {
			if !at.IsZero() {
				t.Fatalf("empty read as %v", at)
			}
			return
		}
		if at.Location() != time.UTC {
			t.Fatalf("%q read in %v, not UTC", s, at.Location())
		}
		back, err := time.Parse(time.RFC3339Nano, at.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(at) {
			t.Fatalf("%q read as %v, which does not read back (%v)", s, at, err)
		}
	})
}
