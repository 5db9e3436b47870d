package vendors_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/vendors"
)

// Dedupe keys and versions, computed with
//
//	python3 -c 'import hashlib;h=lambda *p:hashlib.sha256(b"".join(x.encode()+b"\0" for x in p)).hexdigest();print("h:"+h("a","b")[:32],"h:"+h("ab")[:32],"h:"+h()[:32],"v:"+h("a","b")[:16])'
//
// every part ends with a NUL byte, so ("a","b") and ("ab") differ.
func TestHashEventIDKnownAnswers(t *testing.T) {
	assert.Equal(t, "h:8fb20ef63ced4145fc2e983ffe597d1d", vendors.HashEventID("a", "b"))
	assert.Equal(t, "h:969caaeb3626c0d5695eefa6aea53305", vendors.HashEventID("ab"))
	assert.Equal(t, "h:e3b0c44298fc1c149afbf4c8996fb924", vendors.HashEventID())
	assert.Equal(t, "v:8fb20ef63ced4145", vendors.RecordVersion("a", "b"))
}

func TestIDRuleRefusals(t *testing.T) {
	rule := vendors.IDRule{What: "assignment id", MaxLen: 10}
	for _, ok := range []string{"6029116324", "a", "A.b_c~d-1", "0123456789"} {
		assert.NoError(t, rule.Check(ok), ok)
	}
	for id, want := range map[string]string{
		"":                             `assignment id "" is not valid: empty`,
		"01234567890":                  `assignment id "01234567890" is not valid: longer than 10 characters`,
		"a..b":                         `assignment id "a..b" is not valid: ".." is not part of an id`,
		"a/b":                          `assignment id "a/b" is not valid: only letters, digits and . _ ~ - are accepted`,
		"-a":                           `assignment id "-a" is not valid: only letters, digits and . _ ~ - are accepted`,
		"é":                            `assignment id "\u00e9" is not valid: only letters, digits and . _ ~ - are accepted`,
		strings.Repeat("x", 32) + "\n": `assignment id "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… is not valid: longer than 10 characters`,
	} {
		err := rule.Check(id)
		var ie *vendors.IDError
		if assert.ErrorAs(t, err, &ie, "%q", id) {
			assert.Equal(t, want, err.Error())
		}
	}
	exactly32 := strings.Repeat("y", 32)
	long := vendors.IDRule{What: "id", MaxLen: 5}
	assert.Equal(t, `id "`+exactly32+`" is not valid: longer than 5 characters`, long.Check(exactly32).Error(), "32 bytes are repeated whole")
	digits := vendors.IDRule{What: "start id", MaxLen: 20, Pattern: regexpDigits}
	assert.NoError(t, digits.Check("778899"))
	assert.Error(t, digits.Check("77a"))
}

func TestClassify(t *testing.T) {
	kinds := map[string]vendors.EventKind{"x.start": vendors.KindStart, "x.coi": vendors.KindCOI}
	ev, err := vendors.Classify(vendors.Event{Name: "x.other"}, kinds, "eid", "doc", "")
	require.NoError(t, err)
	assert.Equal(t, vendors.Event{Name: "x.other", Kind: vendors.KindIgnore, Reason: "event x.other needs no action"}, ev)
	_, err = vendors.Classify(vendors.Event{Name: "x.start"}, kinds, "eid", "doc", "")
	var pe *vendors.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, `field "eid": missing`, err.Error())
	ev, err = vendors.Classify(vendors.Event{Name: "x.start", EngagementID: "e"}, kinds, "eid", "doc", "d1")
	require.NoError(t, err)
	assert.Equal(t, vendors.Event{Name: "x.start", EngagementID: "e", Kind: vendors.KindStart}, ev, "only a COI takes the document")
	_, err = vendors.Classify(vendors.Event{Name: "x.coi", EngagementID: "e"}, kinds, "eid", "doc", "")
	assert.EqualError(t, err, `field "doc": missing`)
	ev, err = vendors.Classify(vendors.Event{Name: "x.coi", EngagementID: "e"}, kinds, "eid", "doc", "d1")
	require.NoError(t, err)
	assert.Equal(t, "d1", ev.DocumentID)
}

func TestHintOnly(t *testing.T) {
	for kind, want := range map[vendors.EventKind]vendors.Event{
		vendors.KindEnd:     {Kind: vendors.KindUpdate, NoStart: true},
		vendors.KindCancel:  {Kind: vendors.KindUpdate, NoStart: true},
		vendors.KindStart:   {Kind: vendors.KindStart},
		vendors.KindInvoice: {Kind: vendors.KindInvoice},
	} {
		assert.Equal(t, want, vendors.HintOnly(vendors.Event{Kind: kind}), kind)
	}
}

func TestParseEventTimeAndDecode(t *testing.T) {
	at, err := vendors.ParseEventTime("occurred_at", "2026-11-20T10:00:00-08:00")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC), at)
	assert.Equal(t, time.UTC, at.Location())
	at, err = vendors.ParseEventTime("occurred_at", "")
	require.NoError(t, err)
	assert.True(t, at.IsZero())
	_, err = vendors.ParseEventTime("occurred_at", "2026-11-20")
	assert.EqualError(t, err, `field "occurred_at": not RFC 3339`)
	var v struct{ A int }
	err = vendors.DecodeWebhook([]byte(`[1]`), &v)
	var pe *vendors.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "body", pe.Field)
	require.NoError(t, vendors.DecodeWebhook([]byte(`{"A":3}`), &v))
	assert.Equal(t, 3, v.A)
}

func TestStatusesAndHelpers(t *testing.T) {
	ends, cancels := []string{"archived", "complete"}, []string{"deleted"}
	for status, want := range map[string]vendors.EventKind{"archived": vendors.KindEnd, " Complete ": vendors.KindEnd, "DELETED": vendors.KindCancel, "active": ""} {
		assert.Equal(t, want, vendors.TerminalFromStatus(status, ends, cancels), status)
	}
	assert.Equal(t, vendors.KindStart, vendors.KindFromStatus("active", ends, cancels))
	assert.Equal(t, vendors.KindEnd, vendors.KindFromStatus("archived", ends, cancels))
	assert.Equal(t, vendors.KindCancel, vendors.KindFromStatus("deleted", ends, cancels))
	assert.Equal(t, "b", vendors.FirstNonEmpty("", "  ", "b", "c"))
	assert.Equal(t, "", vendors.FirstNonEmpty("", " "))
	for in, want := range map[string]string{"US": "US", "usa": "US", " United Kingdom ": "GB", "PHL": "PH", "Atlantis": "", "": ""} {
		assert.Equal(t, want, vendors.Country(in), in)
	}
	r := vendors.Registry{"b": nil, "a": nil}
	assert.Equal(t, []string{"a", "b"}, r.Names())
	assert.EqualError(t, (&vendors.NotFoundError{What: "x"}), "not found: x")
	assert.EqualError(t, (&vendors.SignatureError{Reason: "r"}), "signature: r")
	inner := errors.New("boom")
	re := &vendors.RetryableError{Err: inner}
	assert.Equal(t, "boom", re.Error())
	assert.ErrorIs(t, re, inner)
	assert.False(t, vendors.IsSignatureError(inner))
	assert.True(t, vendors.IsSignatureError(fmt.Errorf("wrapped: %w", &vendors.SignatureError{})))
	assert.Equal(t, "remote: HTTP 400: x", (&vendors.APIError{Status: 400, What: "remote", Body: "x"}).Error())
	assert.NotContains(t, (&vendors.APIError{Status: 400, What: "remote", Body: "answer for ada@example.com"}).Error(), "ada@example.com", "redacted")
}

func TestMapInvoice(t *testing.T) {
	amount := amount(t, `"1,200.00"`)
	inv, err := vendors.MapInvoice("i1", amount, "2026-12-01", "2026-12-15")
	require.NoError(t, err)
	assert.Equal(t, vendors.Invoice{ID: "i1", GrossPay: 120000, PeriodStart: 1796083200, PeriodEnd: 1797292800}, inv,
		"pay periods use the days as given (00:00 UTC of each)")
	for _, tc := range []struct{ amount, start, end, want string }{
		{`"x"`, "2026-12-01", "2026-12-15", "invoice i1 amount"},
		{`1`, "12/01/2026", "2026-12-15", "invoice i1 period start"},
		{`1`, "2026-12-01", "", "invoice i1 period end"},
	} {
		_, err := vendors.MapInvoice("i1", amountOf(t, tc.amount), tc.start, tc.end)
		var ae *vendors.APIError
		if assert.ErrorAs(t, err, &ae, tc.want) {
			assert.Equal(t, tc.want, ae.What)
		}
	}
}

var regexpDigits = regexp.MustCompile(`^[0-9]+$`)

func amountOf(t *testing.T, raw string) vendors.Amount { return amount(t, raw) }

// TestWindowEndRules: vendors.md "Dates": a date-only end or a midnight end is 00:00 UTC of
// the next day; any other time is kept, to the second.
func TestWindowEndRules(t *testing.T) {
	for in, want := range map[string]int64{
		"2026-12-31":           1798761600, // python3 -c 'import calendar,datetime;print(calendar.timegm(datetime.datetime(2027,1,1).timetuple()))' and likewise
		"2026-12-31T00:00:00Z": 1798761600,
		"2026-12-31T00:00:01Z": 1798675201,
		"2026-12-31T00:01:00Z": 1798675260,
		"2026-12-31T01:00:00Z": 1798678800,
		" 2026-12-31 ":         1798761600,
	} {
		got, err := vendors.WindowEnd(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := vendors.WindowEnd("")
	assert.EqualError(t, err, "date is missing")
	_, err = vendors.WindowEnd("31.12.2026")
	assert.EqualError(t, err, `date "31.12.2026": want one of 2006-01-02, 2006-01-02T15:04:05Z07:00, 2006-01-02T15:04:05`)
	_, err = vendors.WindowStart("2026-13-01", vendors.LayoutDate)
	assert.EqualError(t, err, `date "2026-13-01": want one of 2006-01-02`)
}

// TestSameHostRedirects: at most five redirects, each to the first request's scheme and host.
func TestSameHostRedirects(t *testing.T) {
	req := func(u string) *http.Request { p, _ := url.Parse(u); return &http.Request{URL: p} }
	first := req("https://api.example.com/a")
	assert.NoError(t, vendors.SameHostRedirects(req("https://api.example.com/b"), []*http.Request{first}))
	via := []*http.Request{first, first, first, first}
	assert.NoError(t, vendors.SameHostRedirects(req("https://api.example.com/b"), via), "the fifth")
	assert.EqualError(t, vendors.SameHostRedirects(req("https://api.example.com/b"), append(via, first)), "stopped after 5 redirects")
	assert.ErrorContains(t, vendors.SameHostRedirects(req("http://api.example.com/b"), []*http.Request{first}), "redirect to http://api.example.com refused")
	assert.ErrorContains(t, vendors.SameHostRedirects(req("https://evil.example.com/b"), []*http.Request{first}), "refused")
}

// ProxyEmail keeps a-z, 0-9, ".", "_" and "-" and replaces everything else, the characters
// next to those ranges ("`", "{", "/", ":") included.
func TestProxyEmailCharacterRanges(t *testing.T) {
	assert.Equal(t, "x-az09._------@d.example", vendors.ProxyEmail("x", "az09._`{/:@ ", "D.example"))
	assert.Equal(t, "x-az@d", vendors.ProxyEmail("X", "AZ", "d"))
}
