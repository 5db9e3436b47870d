package jobdiva_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/vendorstest"
)

// FuzzParseWebhook: a JobDiva notification body never panics; it is refused only with a
// ParseError; every accepted event carries its id, and an event for a start its start id
// (for a timesheet its timesheet id), a candidate change its candidate id.
func FuzzParseWebhook(f *testing.F) {
	for _, b := range vendorstest.Fixtures(f) {
		f.Add(b)
	}
	for _, s := range []string{
		`{"type":"billing","operation":"Update","id":"1","data":[{"STARTID":"1","DATEUPDATED":"11/21/2026 09:00:00"},{"STARTID":"2"}]}`,
		`{"type":"salary","operation":"insert","id":"1","data":[{"STARTID":""}]}`,
		`{"type":"timesheet","operation":"Insert","id":"1","data":[{"TIMESHEETID":"5","STARTID":"1"},{"STARTID":"1"}]}`,
		`{"type":"candidate","operation":"Insert","id":""}`, `{"type":"billing","operation":"Delete","id":"1"}`,
		`{"type":"expense","operation":"Insert","id":"1","data":[]}`, `{"type":"","operation":""}`, `null`, `[]`, `{"data":[null]}`,
	} {
		f.Add([]byte(s))
	}
	a := jobdiva.New(jobdiva.Config{Now: func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }})
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := a.ParseWebhook(http.Header{}, body)
		if err != nil {
			var pe *vendors.ParseError
			if !errors.As(err, &pe) || pe.Field == "" {
				t.Fatalf("refused with %T %v, want a ParseError naming a field", err, err)
			}
			if evs != nil {
				t.Fatalf("events beside an error: %v", evs)
			}
			return
		}
		if len(evs) == 0 {
			t.Fatal("accepted without an event")
		}
		ids := map[string]bool{}
		for _, ev := range evs {
			if ev.EventID == "" || ev.Vendor != jobdiva.Vendor || ev.Name == "" {
				t.Fatalf("event without id, vendor or name: %+v", ev)
			}
			if ids[ev.EventID] {
				t.Fatalf("two events with id %s", ev.EventID)
			}
			ids[ev.EventID] = true
			switch ev.Kind {
			case vendors.KindUpdate:
				if ev.EngagementID == "" || !ev.NoStart {
					t.Fatalf("a start's update without its start id, or starting one: %+v", ev)
				}
			case vendors.KindInvoice:
				if ev.EngagementID == "" || ev.InvoiceID == "" || !ev.NoStart {
					t.Fatalf("a timesheet without its start or timesheet id: %+v", ev)
				}
			case vendors.KindContractorUpdate:
				if ev.ContractorID == "" {
					t.Fatalf("a candidate change without the candidate id: %+v", ev)
				}
			case vendors.KindIgnore:
				if ev.Reason == "" {
					t.Fatalf("ignored without a reason: %+v", ev)
				}
			default:
				t.Fatalf("a webhook never starts or ends a start by itself: %+v", ev)
			}
		}
	})
}

// FuzzParseTime: a report date never panics; an accepted one is UTC, whole seconds apart from
// the fraction Go's parser tolerates, and prints back as a date of the same instant.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"11/20/2026 10:00:00", " 12/15/2026 00:00:00 ", "02/29/2028 23:59:59", "", "2026-11-20T10:00:00Z",
		"13/01/2026 00:00:00", "11/20/2026 10:00:00.5", "1/2/2026 3:04:05"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := jobdiva.ParseTime(s)
		if err != nil {
			var pe *time.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("refused with %T %v, want a *time.ParseError", err, err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("%q: not UTC: %v", s, got)
		}
		again, err := jobdiva.ParseTime(got.Format(jobdiva.LayoutReport))
		if err != nil || !again.Equal(got.Truncate(time.Second)) {
			t.Fatalf("%q -> %v does not print back (%v, %v)", s, got, again, err)
		}
	})
}

// FuzzIDDecoder: an id is a JSON number (its text) or a JSON string (its value); anything else
// is refused naming what it wants, never a panic.
func FuzzIDDecoder(f *testing.F) {
	for _, s := range []string{`778899`, `"778899"`, `"~ab"`, `null`, `true`, `{}`, `[1]`, `1e3`, `-0.5`, `"\u00e9"`, ``, `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var id jobdiva.ID
		err := id.UnmarshalJSON(raw)
		var v any
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		plain := dec.Decode(&v) == nil
		if _, err := dec.Token(); err != io.EOF {
			plain = false // more than one JSON value
		}
		switch want := v.(type) {
		case string:
			if plain && (err != nil || id.String() != want) {
				t.Fatalf("%q: got %q, %v; want the string %q", raw, id, err, want)
			}
		case json.Number:
			if plain && (err != nil || id.String() != want.String()) {
				t.Fatalf("%q: got %q, %v; want the number %q", raw, id, err, want)
			}
		case nil:
			if plain && (err != nil || id != "") {
				t.Fatalf("%q: null is no id, got %q, %v", raw, id, err)
			}
		default:
			if plain && err == nil {
				t.Fatalf("%q (%T) accepted as %q", raw, v, id)
			}
		}
		if err != nil && !strings.Contains(err.Error(), "want a number or a string") {
			t.Fatalf("%q: refusal does not say what it wants: %v", raw, err)
		}
	})
}
