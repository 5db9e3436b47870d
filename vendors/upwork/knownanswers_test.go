package upwork_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
)

// Known answers computed outside the code under test (python3; the command beside each) or
// taken from shared/reference/vendors.md.

// The relay MAC of testdata/relay_started.json under "upwork_relay_secret" (vendors.md):
// python3 -c "import hmac,hashlib;print(hmac.new(b'upwork_relay_secret',open('testdata/relay_started.json','rb').read(),hashlib.sha256).hexdigest())"
const relayMAC = "481d59c35d6c91058471113edb41a689a9b16615aef74c96393afca41a0cd95d"

func TestRelayVerifierRefusesMalformedMACs(t *testing.T) {
	body := fixture(t, "relay_started.json")
	a := upwork.New(upwork.Config{WebhookSecret: "upwork_relay_secret"})
	verify := func(header string) error {
		h := http.Header{}
		if header != "" {
			h.Set(upwork.HeaderSignature, header)
		}
		return a.VerifyWebhook(h, body)
	}
	require.NoError(t, verify("sha256="+relayMAC))
	for name, header := range map[string]string{
		"no header":                "",
		"empty MAC":                "sha256=",
		"truncated by one digit":   "sha256=" + relayMAC[:63],
		"truncated by one byte":    "sha256=" + relayMAC[:62],
		"truncated to SHA-1 size":  "sha256=" + relayMAC[:40],
		"no algorithm prefix":      relayMAC,
		"sha1= prefix":             "sha1=" + relayMAC,
		"upper-case prefix":        "SHA256=" + relayMAC,
		"upper-case hex":           "sha256=" + strings.ToUpper(relayMAC),
		"one upper-case hex digit": "sha256=" + relayMAC[:63] + "D",
		"one digit changed":        "sha256=481d59c35d6c91058471113edb41a689a9b16615aef74c96393afca41a0cd95e",
		"not hex":                  "sha256=" + strings.Repeat("g", 64),
		// HMAC-SHA1 of the same body and secret, in the sha256= slot:
		// python3 -c "import hmac,hashlib;print(hmac.new(b'upwork_relay_secret',open('testdata/relay_started.json','rb').read(),hashlib.sha1).hexdigest())"
		"HMAC-SHA1 as sha256": "sha256=8cf9c01cc910526d10e4b94f11d35541c85325a9",
	} {
		err := verify(header)
		assert.True(t, vendors.IsSignatureError(err), "%s (%q) must be refused with a SignatureError, got %v", name, header, err)
	}
	h := http.Header{}
	h.Set(upwork.HeaderSignature, "sha256="+relayMAC)
	assert.True(t, vendors.IsSignatureError(upwork.New(upwork.Config{WebhookSecret: "upwork_relay_secreT"}).VerifyWebhook(h, body)))
	assert.True(t, vendors.IsSignatureError(upwork.New(upwork.Config{}).VerifyWebhook(h, body)), "no secret configured")
	assert.NoError(t, upwork.New(upwork.Config{WebhookSecret: "old,upwork_relay_secret"}).VerifyWebhook(h, body))
}

// TestRelayEventIDs: event_id is the dedupe key; without it, vendors.HashEventID of the body
// ("h:" + 32 hex digits of SHA-256 over each part and a NUL):
// python3 -c "import hashlib;h=hashlib.sha256();[h.update(p+b'\0') for p in (b'upwork',b'{\"event\":\"contract.started\",\"contract_id\":\"41815410\"}')];print('h:'+h.hexdigest()[:32])"
func TestRelayEventIDs(t *testing.T) {
	a := upwork.New(upwork.Config{})
	evs, err := a.ParseWebhook(nil, fixture(t, "relay_started.json"))
	require.NoError(t, err)
	assert.Equal(t, []vendors.Event{{Vendor: "upwork", Kind: vendors.KindStart, Name: "contract.started", EngagementID: "41815410", EventID: "evt_01J9"}}, evs,
		"occurred_at is checked but orders nothing")
	evs, err = a.ParseWebhook(nil, []byte(`{"event":"contract.started","contract_id":"41815410"}`))
	require.NoError(t, err)
	assert.Equal(t, []vendors.Event{{Vendor: "upwork", Kind: vendors.KindStart, Name: "contract.started", EngagementID: "41815410",
		EventID: "h:59e39cc6123e9910125bd063cb89df66"}}, evs)

	evs, err = a.ParseWebhook(nil, []byte(`{"event":"contract.ended","event_id":"e2","contract_id":"9","occurred_at":"2026-11-20T10:00:00+02:00"}`))
	require.NoError(t, err)
	assert.Equal(t, []vendors.Event{{Vendor: "upwork", Kind: vendors.KindUpdate, Name: "contract.ended", EngagementID: "9", EventID: "e2", NoStart: true}}, evs,
		"an end is a hint: the contract is re-read, and it starts nothing")
	evs, err = a.ParseWebhook(nil, []byte(`{"event":"contract.updated","event_id":"e3","contract_id":"9"}`))
	require.NoError(t, err)
	assert.Equal(t, []vendors.Event{{Vendor: "upwork", Kind: vendors.KindUpdate, Name: "contract.updated", EngagementID: "9", EventID: "e3"}}, evs)
	evs, err = a.ParseWebhook(nil, []byte(`{"event":"offer.sent","event_id":"e4"}`))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, vendors.KindIgnore, evs[0].Kind, "an unknown event needs no contract id")
	assert.Equal(t, "e4", evs[0].EventID)

	for body, field := range map[string]string{
		`[]`:                                 "body",
		`{"event_id":"e","contract_id":"1"}`: "event",
		`{"event":"contract.updated","event_id":"e"}`:                               "contract_id",
		`{"event":"contract.started","contract_id":"1","occurred_at":"2026-11-20"}`: "occurred_at",
		`{"event":"contract.started","contract_id":"1","occurred_at":"yesterday"}`:  "occurred_at",
	} {
		evs, err := a.ParseWebhook(nil, []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field, body)
		assert.Nil(t, evs, body)
	}
}

// TestTermsArePayTypes: vendors.md "wage": the last hourly term -> hourly rawValue; else the
// last fixed-price term -> flatfee fixedAmount; rawValue a decimal string in major units.
func TestTermsArePayTypes(t *testing.T) {
	hourly := func(v any) map[string]any {
		return map[string]any{"hourlyRate": map[string]any{"rawValue": v, "currency": "USD"}}
	}
	fixed := func(v any) map[string]any {
		return map[string]any{"fixedAmount": map[string]any{"rawValue": v, "currency": "USD"}}
	}
	for _, c := range []struct {
		name     string
		h, f     []any
		wage     int64
		wageType string
	}{
		{"one hourly", []any{hourly("75.00")}, nil, 7500, "hourly"},
		{"the last hourly term", []any{hourly("60.00"), hourly("75.25")}, nil, 7525, "hourly"},
		{"hourly beside fixed", []any{hourly("75.00")}, []any{fixed("1000.00")}, 7500, "hourly"},
		{"one fixed", nil, []any{fixed("1250.50")}, 125050, "flatfee"},
		{"the last fixed term", []any{}, []any{fixed("100"), fixed("2,000.10")}, 200010, "flatfee"},
		{"a JSON number", []any{hourly(85.5)}, nil, 8550, "hourly"},
	} {
		e, err := upwork.Map(contract(t, func(m map[string]any) {
			m["terms"] = map[string]any{"hourlyTerms": c.h, "fixedPriceTerms": c.f}
		}), beforeStart)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.wage, e.Job.Wage, c.name)
		assert.Equal(t, c.wageType, e.Job.WageType, c.name)
	}
	for name, terms := range map[string]map[string]any{
		"terms":          {"hourlyTerms": []any{}, "fixedPriceTerms": []any{}},
		"terms rawValue": {"hourlyTerms": []any{hourly("75.005")}},
	} {
		_, err := upwork.Map(contract(t, func(m map[string]any) { m["terms"] = terms }), beforeStart)
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, name)
		assert.Equal(t, "upwork contract 41815410 "+name, ae.What)
	}
	_, err := upwork.Map(contract(t, func(m map[string]any) { m["terms"] = map[string]any{"fixedPriceTerms": []any{fixed(nil)}} }), beforeStart)
	assert.ErrorContains(t, err, "terms rawValue", "no rate at all parks naming it")
}

// TestClosedBeforeOrAfterTheStart: vendors.md "status": CLOSED cancels when closed before the
// start date (2026-12-01 00:00 UTC = 1796083200: python3 -c "import calendar;print(calendar.timegm((2026,12,1,0,0,0)))"),
// else ends; the end date is the day after endDate (2027-03-01 = 1803859200: python3 -c "import calendar;print(calendar.timegm((2027,3,1,0,0,0)))").
func TestClosedBeforeOrAfterTheStart(t *testing.T) {
	start := time.Unix(1796083200, 0).UTC()
	for _, c := range []struct {
		status string
		now    time.Time
		want   vendors.EventKind
	}{
		{"CLOSED", start.Add(-time.Second), vendors.KindCancel},
		{"CLOSED", start, vendors.KindEnd},
		{"CLOSED", start.Add(time.Second), vendors.KindEnd},
		{"ACTIVE", start.Add(-time.Second), ""},
		{"PAUSED", start.Add(time.Second), ""},
	} {
		e, err := upwork.Map(contract(t, func(m map[string]any) { m["status"] = c.status }), c.now)
		require.NoError(t, err)
		assert.Equal(t, c.want, e.Terminal, "%s at %s", c.status, c.now)
		assert.Equal(t, int64(1796083200), e.Start)
		assert.Equal(t, int64(1803859200), e.End)
		assert.Equal(t, c.status, e.Status)
	}
	for _, status := range []string{"closed", "Active", "", "SUSPENDED"} {
		_, err := upwork.Map(contract(t, func(m map[string]any) { m["status"] = status }), start)
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, status)
		assert.Equal(t, "upwork contract 41815410 status", ae.What)
		assert.Equal(t, "unknown status "+status, ae.Body)
	}
}

func TestWindowAndShapes(t *testing.T) {
	for end, want := range map[any]int64{"2027-02-28": 1803859200, nil: 0, "": 0, "2027-02-28T10:00:00Z": 1803808800} { // python3 -c "import calendar;print(calendar.timegm((2027,2,28,10,0,0)))"
		e, err := upwork.Map(contract(t, func(m map[string]any) { m["endDate"] = end }), beforeStart)
		require.NoError(t, err, end)
		assert.Equal(t, want, e.End, end)
	}
	for field, mutate := range map[string]func(m map[string]any){
		"startDate":  func(m map[string]any) { m["startDate"] = nil },
		"endDate":    func(m map[string]any) { m["endDate"] = "28/02/2027" },
		"freelancer": func(m map[string]any) { delete(m, "freelancer") },
	} {
		_, err := upwork.Map(contract(t, mutate), beforeStart)
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, field)
		assert.Equal(t, "upwork contract 41815410 "+field, ae.What)
	}
	e, err := upwork.Map(contract(t, func(m map[string]any) { delete(m, "clientOrganization"); m["modifyDate"] = "not a time" }), beforeStart)
	require.NoError(t, err)
	assert.Empty(t, e.Job.ClientID)
	assert.True(t, e.UpdatedAt.IsZero())
	e, err = upwork.Map(contract(t, nil), beforeStart)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), e.UpdatedAt)
	assert.Equal(t, "v:d78d7307da2644d7", e.Version, "the same version as contractList gives (TestRefreshIsKnownAnswers)")
	assert.Equal(t, upwork.Vendor, e.Vendor)
	assert.Equal(t, "41815410", e.EngagementID)
	for _, kind := range []string{"PAYROLL"} {
		out, err := upwork.Map(contract(t, func(m map[string]any) { m["kind"] = kind; m["status"] = "SUSPENDED" }), beforeStart)
		require.NoError(t, err, "payroll is out of scope whatever its status")
		assert.Equal(t, "payroll contract (W-2)", out.OutOfScope)
		assert.Zero(t, out.Start)
	}
	for _, kind := range []string{"WEEKLY_RETAINER", "STAFF_AUG", "DIRECT_CONTRACT"} {
		out, err := upwork.Map(contract(t, func(m map[string]any) { m["kind"] = kind }), beforeStart)
		require.NoError(t, err, kind)
		assert.Empty(t, out.OutOfScope, kind)
	}
}

// graphQLServer answers /graphql with the given body for every query and records the requests.
func graphQLServer(t *testing.T, answer func(vars map[string]any) string) (*httptest.Server, *[]map[string]any) {
	var seen []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != upwork.PathGraphQL || r.Method != http.MethodPost || r.Header.Get(upwork.HeaderTenant) != "tenant-1" ||
			r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		require.NoError(t, json.Unmarshal(body, &req))
		seen = append(seen, req.Variables)
		w.Write([]byte(answer(req.Variables)))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func contractJSON(t *testing.T) string {
	var env struct {
		Data struct {
			ContractDetails json.RawMessage `json:"contractDetails"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, "contract_details.json"), &env))
	return string(env.Data.ContractDetails)
}

// TestRefreshIsKnownAnswers: contractList in batches of 10; each contract becomes an update
// that starts nothing, keyed by its version. The version is vendors.RecordVersion of id,
// status, endDate, the terms (as cents and currency) and modifyDate:
// python3 -c "import hashlib;f=lambda *p:(lambda h:[h.update(x.encode()+b'\0') for x in p] and h.hexdigest())(hashlib.sha256());v='v:'+f('upwork','41815410','ACTIVE','2027-02-28','hourly 7500 USD','2026-11-20T10:00:00Z')[:16];print(v,'h:'+f('upwork','poll','41815410',v)[:32])"
// and with 'hourly 8000 USD' for the raised rate.
func TestRefreshIsKnownAnswers(t *testing.T) {
	rate := "75.00"
	srv, seen := graphQLServer(t, func(vars map[string]any) string {
		c := strings.Replace(contractJSON(t), `"75.00"`, `"`+rate+`"`, 1)
		return `{"data":{"contractList":{"contracts":[` + c + `]}}}`
	})
	a := upwork.New(upwork.Config{APIURL: srv.URL, AccessToken: "tok", TenantID: "tenant-1"})
	ids := make([]string, 21)
	for i := range ids {
		ids[i] = "41815410"
	}
	evs, err := a.Refresh(context.Background(), ids)
	require.NoError(t, err)
	require.Len(t, *seen, 3, "21 ids: batches of 10, 10 and 1")
	assert.Len(t, (*seen)[0]["ids"], 10)
	assert.Len(t, (*seen)[1]["ids"], 10)
	assert.Len(t, (*seen)[2]["ids"], 1)
	require.Len(t, evs, 3)
	assert.Equal(t, vendors.Event{Vendor: "upwork", Kind: vendors.KindUpdate, Name: "poll:ACTIVE", EngagementID: "41815410", NoStart: true,
		OccurredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), EventID: "h:0fea42c1ff84c44be412901260cc9cfb", Version: "v:d78d7307da2644d7"}, evs[0])

	rate = "80.00"
	evs, err = a.Refresh(context.Background(), ids[:1])
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "v:8cdb46a058c82a15", evs[0].Version, "a new rate alone is a new version")
	assert.Equal(t, "h:6495f8c1de91c09243d5a4950d9a46bc", evs[0].EventID)

	evs, err = a.Refresh(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, evs)
	assert.Len(t, *seen, 4, "no ids: no call")
}

// TestGraphQLErrorsKnownAnswers: vendors.md "a 200 with a non-empty errors[] is a failure even
// when data holds something"; every error NOT_FOUND is a not-found.
func TestGraphQLErrorsKnownAnswers(t *testing.T) {
	type details struct {
		ContractDetails *upwork.Contract `json:"contractDetails"`
	}
	var out details
	err := upwork.DecodeAnswer(fixture(t, "not_found.json"), &out)
	var nf *vendors.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "not found: upwork graphql: Contract 41815410 not found", err.Error())

	for answer, body := range map[string]string{
		`{"data":{"contractDetails":{"id":"1"}},"errors":[{"message":"Rate limited","extensions":{"code":"THROTTLED"}}]}`: "upwork graphql: Rate limited",
		`{"errors":[{"message":"a","extensions":{"code":"NOT_FOUND"}},{"message":"b"}]}`:                                  "upwork graphql: a; b",
		`{"errors":[{"message":"Variable \"$id\" of type \"String!\" used in position expecting type \"ID!\"."}]}`:        `upwork graphql: Variable "$id" of type "String!" used in position expecting type "ID!".`,
		`{"errors":[{}]}`: "upwork graphql: ",
	} {
		out := details{}
		err := upwork.DecodeAnswer([]byte(answer), &out)
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, answer)
		assert.Equal(t, http.StatusOK, ae.Status, answer)
		assert.Equal(t, "graphql", ae.What, answer)
		assert.Equal(t, body, ae.Body, answer)
		assert.Nil(t, out.ContractDetails, "the data beside errors[] is never used: %s", answer)
	}
	err = upwork.DecodeAnswer([]byte(`{"errors":[{"message":"x","extensions":{"code":"NOT_FOUND"}},{"message":"y","extensions":{"code":"NOT_FOUND"}}]}`), &out)
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "not found: upwork graphql: x; y", err.Error())

	for _, answer := range []string{`not json`, `{}`, `{"errors":[]}`, `{"data":{"contractDetails":"x"}}`, `{"data":[1]}`, `{"errors":{"message":"x"}}`} {
		err := upwork.DecodeAnswer([]byte(answer), &details{})
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, answer)
		assert.Equal(t, http.StatusOK, ae.Status, answer)
		assert.Contains(t, ae.Body, "undecodable answer", answer)
	}
	for _, answer := range []string{`{"data":{"contractDetails":null}}`, `{"data":null,"errors":[]}`, `{"data":{"contractDetails":null},"errors":null}`} {
		out := details{}
		require.NoError(t, upwork.DecodeAnswer([]byte(answer), &out), answer)
		assert.Nil(t, out.ContractDetails, answer)
	}
	out = details{}
	require.NoError(t, upwork.DecodeAnswer(fixture(t, "contract_details.json"), &out))
	require.NotNil(t, out.ContractDetails)
	assert.Equal(t, "41815410", out.ContractDetails.ID)

	// Through the adapter: errors[] beside data fails the read.
	srv, _ := graphQLServer(t, func(map[string]any) string {
		return `{"data":{"contractDetails":` + contractJSON(t) + `},"errors":[{"message":"partial","extensions":{"code":"INTERNAL"}}]}`
	})
	a := upwork.New(upwork.Config{APIURL: srv.URL, AccessToken: "tok", TenantID: "tenant-1"})
	_, err = a.FetchEngagement(context.Background(), "41815410")
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "upwork graphql: partial", ae.Body)
	_, err = a.Refresh(context.Background(), []string{"41815410"})
	require.ErrorAs(t, err, &ae)
}

// TestFetchEngagementPaths: a closed, out-of-scope or unreadable contract is answered without
// reading the freelancer's location; a refused or empty userDetails leaves the address empty;
// a transient userDetails failure fails the read.
func TestFetchEngagementPaths(t *testing.T) {
	var userAnswer string
	var userStatus int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Query == upwork.UserDetailsQuery {
			if userStatus != 0 {
				w.WriteHeader(userStatus)
			}
			w.Write([]byte(userAnswer))
			return
		}
		c := contractJSON(t)
		switch req.Variables["id"] {
		case "closed":
			c = strings.Replace(c, `"ACTIVE"`, `"CLOSED"`, 1)
		case "payroll":
			c = strings.Replace(c, `"DIRECT_CONTRACT"`, `"PAYROLL"`, 1)
		case "null":
			w.Write([]byte(`{"data":{"contractDetails":null}}`))
			return
		}
		w.Write([]byte(`{"data":{"contractDetails":` + c + `}}`))
	}))
	defer srv.Close()
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	a := upwork.New(upwork.Config{APIURL: srv.URL, AccessToken: "tok", Now: func() time.Time { return now }})
	ctx := context.Background()

	userStatus, userAnswer = http.StatusServiceUnavailable, `{}`
	e, err := a.FetchEngagement(ctx, "closed")
	require.NoError(t, err, "a closed contract needs no location")
	assert.Equal(t, vendors.KindEnd, e.Terminal)
	e, err = a.FetchEngagement(ctx, "payroll")
	require.NoError(t, err)
	assert.NotEmpty(t, e.OutOfScope)
	_, err = a.FetchEngagement(ctx, "null")
	var nf *vendors.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "not found: upwork contract null", err.Error())

	_, err = a.FetchEngagement(ctx, "41815410")
	var re *vendors.RetryableError
	require.ErrorAs(t, err, &re, "a transient userDetails failure is retried")

	for _, answer := range []string{
		`{"errors":[{"message":"Forbidden: PII","extensions":{"code":"FORBIDDEN"}}]}`,
		`{"data":{"userDetails":null}}`,
		`{"data":{"userDetails":{"id":"~01abc2def3","location":null}}}`,
	} {
		userStatus, userAnswer = 0, answer
		e, err := a.FetchEngagement(ctx, "41815410")
		require.NoError(t, err, answer)
		assert.Equal(t, vendors.Contractor{SourceID: "~01abc2def3", FirstName: "Ava", LastName: "Nguyen"}, e.Contractor, answer)
	}
	userStatus, userAnswer = 0, string(fixture(t, "user_details.json"))
	e, err = a.FetchEngagement(ctx, "41815410")
	require.NoError(t, err)
	assert.Equal(t, "1 Market St", e.Contractor.Line1)
	assert.Equal(t, "US", e.Contractor.Country)
}

func TestNothingToFetchOrList(t *testing.T) {
	a := upwork.New(upwork.Config{})
	_, err := a.FetchDocument(context.Background(), "1", "doc-1")
	var nf *vendors.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, err.Error(), "doc-1")
	_, err = a.FetchInvoice(context.Background(), "1", "inv-1")
	require.ErrorAs(t, err, &nf)
	since := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	evs, mark, err := a.ListChanges(context.Background(), since)
	require.NoError(t, err)
	assert.Empty(t, evs)
	assert.Equal(t, since, mark, "the watermark stays")
	assert.Equal(t, "upwork", a.Vendor())
	assert.NoError(t, upwork.EngagementID.Check(strings.Repeat("4", 40)))
	assert.ErrorContains(t, upwork.EngagementID.Check(strings.Repeat("4", 41)), "contract id")
}
