package upwork_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/vendorstest"
)

// FuzzParseWebhook: a relay body never panics; it is refused only with a ParseError; an
// accepted event has an id, and every one but an ignored event its contract id; an end is
// only a hint (vendors.md Common rules).
func FuzzParseWebhook(f *testing.F) {
	for _, b := range vendorstest.Fixtures(f) {
		f.Add(b)
	}
	for _, s := range []string{
		`{"event":"contract.ended","event_id":"e","contract_id":"1","occurred_at":"2026-11-20T10:00:00+02:00"}`,
		`{"event":"contract.updated","contract_id":"1"}`, `{"event":"contract.started","event_id":"e"}`,
		`{"event":"offer.sent"}`, `{"event":"contract.started","contract_id":"1","occurred_at":"x"}`, `null`, `[]`, `{"event":""}`,
	} {
		f.Add([]byte(s))
	}
	a := upwork.New(upwork.Config{})
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := a.ParseWebhook(http.Header{}, body)
		if err != nil {
			var pe *vendors.ParseError
			if !errors.As(err, &pe) || pe.Field == "" {
				t.Fatalf("refused with %T %v, want a ParseError naming a field", err, err)
			}
			return
		}
		if len(evs) != 1 {
			t.Fatalf("want one event, got %v", evs)
		}
		ev := evs[0]
		if ev.EventID == "" || ev.Vendor != upwork.Vendor {
			t.Fatalf("event without id or vendor: %+v", ev)
		}
		switch ev.Kind {
		case vendors.KindIgnore:
			if ev.Reason == "" {
				t.Fatalf("ignored without a reason: %+v", ev)
			}
		case vendors.KindStart, vendors.KindUpdate:
			if ev.EngagementID == "" {
				t.Fatalf("an event for a contract without its id: %+v", ev)
			}
		default:
			t.Fatalf("a relayed event never ends a contract by itself: %+v", ev)
		}
		if !ev.OccurredAt.IsZero() {
			t.Fatalf("occurred_at orders nothing, yet it was kept: %+v", ev)
		}
	})
}

// FuzzDecodeAnswer: a GraphQL answer never panics; it fails only with a NotFoundError or an
// APIError, always when errors[] is non-empty (then the data beside it is never used), and
// only with a NotFoundError when every error is NOT_FOUND.
func FuzzDecodeAnswer(f *testing.F) {
	for _, b := range vendorstest.Fixtures(f) {
		f.Add(b)
	}
	for _, s := range []string{
		`{"data":{"contractDetails":{"id":"1"}},"errors":[{"message":"partial","extensions":{"code":"INTERNAL"}}]}`,
		`{"errors":[{"message":"a","extensions":{"code":"NOT_FOUND"}},{"message":"b"}]}`, `{"errors":[]}`, `{"data":null}`, `{}`,
		`{"data":{"contractList":{"contracts":[{"id":"1","terms":{"hourlyTerms":[{"hourlyRate":{"rawValue":"75.00"}}]}}]}}}`,
		`{"data":{"contractDetails":"x"}}`, `{"errors":[{"extensions":{"code":7}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, answer []byte) {
		var out struct {
			ContractDetails *upwork.Contract `json:"contractDetails"`
			ContractList    *struct {
				Contracts []upwork.Contract `json:"contracts"`
			} `json:"contractList"`
		}
		err := upwork.DecodeAnswer(answer, &out)
		var nf *vendors.NotFoundError
		var ae *vendors.APIError
		if err != nil && !errors.As(err, &nf) && !errors.As(err, &ae) {
			t.Fatalf("failed with %T %v, want a NotFoundError or an APIError", err, err)
		}
		var envelope struct {
			Errors []struct {
				Extensions struct {
					Code any `json:"code"`
				} `json:"extensions"`
			} `json:"errors"`
		}
		if json.Unmarshal(answer, &envelope) != nil || len(envelope.Errors) == 0 {
			return
		}
		if err == nil {
			t.Fatalf("errors[] %s accepted", answer)
		}
		if out.ContractDetails != nil || out.ContractList != nil {
			t.Fatalf("data beside errors[] was used: %s", answer)
		}
		allNotFound := true
		for _, e := range envelope.Errors {
			allNotFound = allNotFound && e.Extensions.Code == "NOT_FOUND"
		}
		if allNotFound != (nf != nil) {
			t.Fatalf("%s: every error NOT_FOUND is %v, yet the error is %T", answer, allNotFound, err)
		}
	})
}
