package jobdiva_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
)

// Known answers computed outside the code under test (python3; the command beside each) or
// taken from shared/reference/vendors.md.

// The MAC of testdata/webhook_candidate.json under the secret "jobdiva" (vendors.md):
// python3 -c "import hmac,hashlib;print(hmac.new(b'jobdiva',open('testdata/webhook_candidate.json','rb').read(),hashlib.sha1).hexdigest())"
const candidateMAC = "d993778d5c4171aab887ae3ebe050ef5a3b07915"

func TestVerifierRefusesMalformedMACs(t *testing.T) {
	body := fixture(t, "webhook_candidate.json")
	a := jobdiva.New(jobdiva.Config{WebhookSecret: "jobdiva"})
	verify := func(header string) error {
		h := http.Header{}
		if header != "" {
			h.Set(jobdiva.HeaderSignature, header)
		}
		return a.VerifyWebhook(h, body)
	}
	require.NoError(t, verify("sha1="+candidateMAC))
	for name, header := range map[string]string{
		"no header":                "",
		"empty MAC":                "sha1=",
		"truncated by one digit":   "sha1=" + candidateMAC[:39],
		"truncated by one byte":    "sha1=" + candidateMAC[:38],
		"truncated to half":        "sha1=" + candidateMAC[:20],
		"no algorithm prefix":      candidateMAC,
		"sha256= prefix":           "sha256=" + candidateMAC,
		"upper-case prefix":        "SHA1=" + candidateMAC,
		"upper-case hex":           "sha1=" + strings.ToUpper(candidateMAC),
		"one upper-case hex digit": "sha1=D" + candidateMAC[1:],
		"one digit changed":        "sha1=d993778d5c4171aab887ae3ebe050ef5a3b07916",
		"MAC appended twice":       "sha1=" + candidateMAC + candidateMAC,
		"not hex":                  "sha1=" + strings.Repeat("zz", 20),
		// HMAC-SHA256 of the same body and secret, in the sha1= slot:
		// python3 -c "import hmac,hashlib;print(hmac.new(b'jobdiva',open('testdata/webhook_candidate.json','rb').read(),hashlib.sha256).hexdigest())"
		"HMAC-SHA256 as sha1": "sha1=7be3b917b1004f762549b8be916b32fef1b1042e0692879a4c10c798f84a6014",
	} {
		err := verify(header)
		assert.True(t, vendors.IsSignatureError(err), "%s (%q) must be refused with a SignatureError, got %v", name, header, err)
	}
	// Another body under the right MAC, and the right MAC under another secret.
	h := http.Header{}
	h.Set(jobdiva.HeaderSignature, "sha1="+candidateMAC)
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, append(append([]byte{}, body...), ' '))))
	assert.True(t, vendors.IsSignatureError(jobdiva.New(jobdiva.Config{WebhookSecret: "jobdivA"}).VerifyWebhook(h, body)))
	assert.True(t, vendors.IsSignatureError(jobdiva.New(jobdiva.Config{}).VerifyWebhook(h, body)), "no secret configured")
	assert.NoError(t, jobdiva.New(jobdiva.Config{WebhookSecret: "retired,jobdiva"}).VerifyWebhook(h, body), "any secret of a rotation verifies")
}

// Event ids (the dedupe keys) as literals. vendors.HashEventID is "h:" + the first 32 hex
// digits of SHA-256 over each part followed by a NUL byte:
// python3 -c "import hashlib;h=hashlib.sha256();[h.update(p+b'\0') for p in (b'jobdiva',open('testdata/webhook_billing.json','rb').read())];print('h:'+h.hexdigest()[:32])"
func TestWebhookEventIDsAreKnownAnswers(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 0, 30, 0, time.UTC)
	now := at
	a := jobdiva.New(jobdiva.Config{Now: func() time.Time { return now }})
	evs, err := a.ParseWebhook(nil, fixture(t, "webhook_billing.json"))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, vendors.Event{Vendor: "jobdiva", Kind: vendors.KindUpdate, Name: "billing.update", EngagementID: "778899",
		EventID: "h:dfa62678e694119839c2c7e81ae8c15b:0", NoStart: true,
		OccurredAt: time.Unix(1795251600, 0).UTC()}, evs[0], // DATEUPDATED 11/21/2026 09:00:00 UTC: python3 -c "import calendar;print(calendar.timegm((2026,11,21,9,0,0)))"
	)
	evs, err = a.ParseWebhook(nil, fixture(t, "webhook_timesheet.json"))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	// python3 -c "import hashlib;h=hashlib.sha256();[h.update(p+b'\0') for p in (b'jobdiva',open('testdata/webhook_timesheet.json','rb').read())];print('h:'+h.hexdigest()[:32])"
	assert.Equal(t, vendors.Event{Vendor: "jobdiva", Kind: vendors.KindInvoice, Name: "timesheet.insert", EngagementID: "778899",
		EventID: "h:dec70d7a8cc7f71a57f233a725a3f436:0", InvoiceID: "5551", NoStart: true}, evs[0])
}

// TestCandidateUpdatesAreNotDroppedAsDuplicates: every update of a candidate may carry the
// same body, so the body alone would make a later update a duplicate of the first (the
// workflow drops a repeated event id). The second of arrival is part of the key.
// python3 -c "import hashlib;h=hashlib.sha256();[h.update(p+b'\0') for p in (b'jobdiva',open('testdata/webhook_candidate.json','rb').read(),b'2026-11-20T10:00:00Z')];print('h:'+h.hexdigest()[:32])"
// and the same with b'2026-11-20T10:00:05Z'.
func TestCandidateUpdatesAreNotDroppedAsDuplicates(t *testing.T) {
	body := fixture(t, "webhook_candidate.json")
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), "h:d2924f699b61171352a153334625d6c3"},
		{time.Date(2026, 11, 20, 10, 0, 0, 999_999_999, time.UTC), "h:d2924f699b61171352a153334625d6c3"}, // the same delivery twice at once: one event
		{time.Date(2026, 11, 20, 5, 0, 0, 0, time.FixedZone("EST", -5*3600)), "h:d2924f699b61171352a153334625d6c3"},
		{time.Date(2026, 11, 20, 10, 0, 5, 0, time.UTC), "h:17d2269c02ca40aa7199372139b7a4a5"}, // a later update: another event
	} {
		a := jobdiva.New(jobdiva.Config{Now: func() time.Time { return c.at }})
		evs, err := a.ParseWebhook(nil, body)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		assert.Equal(t, vendors.Event{Vendor: "jobdiva", Kind: vendors.KindContractorUpdate, Name: "candidate.update",
			ContractorID: "12345", EventID: c.want}, evs[0], "at %s", c.at)
	}
}

func TestWebhookShapes(t *testing.T) {
	a := jobdiva.New(jobdiva.Config{})
	for _, c := range []struct {
		body    string
		want    []vendors.Event // EventID checked apart (non-empty, suffix per row)
		ignored string
	}{
		{body: `{"type":"SALARY","operation":"INSERT","id":"7","data":[{"STARTID":"1","DATEUPDATED":"bad"},{"STARTID":"2","DATEUPDATED":"11/21/2026 09:00:00"}]}`,
			want: []vendors.Event{
				{Vendor: "jobdiva", Kind: vendors.KindUpdate, Name: "salary.insert", EngagementID: "1", NoStart: true},
				{Vendor: "jobdiva", Kind: vendors.KindUpdate, Name: "salary.insert", EngagementID: "2", NoStart: true, OccurredAt: time.Unix(1795251600, 0).UTC()},
			}},
		{body: `{"type":"timesheet","operation":"Insert","id":"9","data":[{"TIMESHEETID":"5551","STARTID":"1"},{"TIMESHEETID":"5552","STARTID":"1"}]}`,
			want: []vendors.Event{
				{Vendor: "jobdiva", Kind: vendors.KindInvoice, Name: "timesheet.insert", EngagementID: "1", InvoiceID: "5551", NoStart: true},
				{Vendor: "jobdiva", Kind: vendors.KindInvoice, Name: "timesheet.insert", EngagementID: "1", InvoiceID: "5552", NoStart: true},
			}},
		{body: `{"type":"candidate","operation":"Insert","id":"77","data":[]}`,
			want: []vendors.Event{{Vendor: "jobdiva", Kind: vendors.KindContractorUpdate, Name: "candidate.insert", ContractorID: "77"}}},
		{body: `{"type":"billing","operation":"Delete","id":"1"}`, ignored: "billing deletion is left to the poller"},
		{body: `{"type":"salary","operation":"Delete","id":"1"}`, ignored: "salary deletion is left to the poller"},
		{body: `{"type":"candidate","operation":"Delete","id":"1"}`, ignored: "candidate delete needs no action"},
		{body: `{"type":"timesheet","operation":"Update","id":"1","data":[{"TIMESHEETID":"5551","STARTID":"1"}]}`, ignored: "timesheet update needs no action"},
		{body: `{"type":"job","operation":"Insert","id":"1","data":[{"JOBID":"1"}]}`, ignored: "job insert needs no action"},
	} {
		evs, err := a.ParseWebhook(nil, []byte(c.body))
		require.NoError(t, err, c.body)
		if c.ignored != "" {
			require.Len(t, evs, 1, c.body)
			assert.Equal(t, vendors.KindIgnore, evs[0].Kind, c.body)
			assert.Equal(t, c.ignored, evs[0].Reason, c.body)
			assert.NotEmpty(t, evs[0].EventID, c.body)
			assert.Empty(t, evs[0].EngagementID, c.body)
			continue
		}
		require.Len(t, evs, len(c.want), c.body)
		ids := map[string]bool{}
		for i, ev := range evs {
			require.NotEmpty(t, ev.EventID, c.body)
			if len(evs) > 1 || c.want[0].Kind != vendors.KindContractorUpdate {
				assert.True(t, strings.HasSuffix(ev.EventID, ":"+string(rune('0'+i))), "row %d of %s: %s", i, c.body, ev.EventID)
			}
			ids[ev.EventID] = true
			ev.EventID = ""
			assert.Equal(t, c.want[i], ev, c.body)
		}
		assert.Len(t, ids, len(evs), "one event id per row")
	}
	for body, field := range map[string]string{
		`not json`:                                                  "body",
		`["type","candidate"]`:                                      "body",
		`{"operation":"Update","id":"1"}`:                           "type",
		`{"type":"candidate","id":"1"}`:                             "operation",
		`{"type":"candidate","operation":"Update"}`:                 "id",
		`{"type":"billing","operation":"Update","id":"1"}`:          "data",
		`{"type":"salary","operation":"Insert","id":"1","data":[]}`: "data",
		`{"type":"timesheet","operation":"Insert","id":"1"}`:        "data",
		`{"type":"billing","operation":"Update","id":"1","data":[{"STARTID":"1"},{"STARTID":""}]}`:                      "data[1].STARTID",
		`{"type":"timesheet","operation":"Insert","id":"1","data":[{"STARTID":"1","TIMESHEETID":""}]}`:                  "data[0].TIMESHEETID",
		`{"type":"timesheet","operation":"Insert","id":"1","data":[{"TIMESHEETID":"5","STARTID":"1"},{"STARTID":"1"}]}`: "data[1].TIMESHEETID",
	} {
		evs, err := a.ParseWebhook(nil, []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field, body)
		assert.Nil(t, evs, body)
	}
}

// TestParseTimeKnownAnswers: BI report dates, MM/dd/yyyy HH:mm:ss in UTC (vendors.md).
// python3 -c "import calendar;print(calendar.timegm((2026,11,20,10,0,0)))" -> 1795168800
func TestParseTimeKnownAnswers(t *testing.T) {
	for in, want := range map[string]int64{
		"11/20/2026 10:00:00":   1795168800,
		" 11/20/2026 10:00:00 ": 1795168800,
		"12/15/2026 00:00:00":   1797292800, // python3 -c "import calendar;print(calendar.timegm((2026,12,15,0,0,0)))"
		"02/29/2028 23:59:59":   1835481599, // python3 -c "import calendar;print(calendar.timegm((2028,2,29,23,59,59)))"
	} {
		got, err := jobdiva.ParseTime(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got.Unix(), in)
		assert.Equal(t, time.UTC, got.Location(), in)
	}
	for _, in := range []string{"", "2026-11-20T10:00:00Z", "11/20/2026", "13/01/2026 00:00:00", "02/29/2026 00:00:00", "11/20/2026 24:00:00", "20/11/2026 10:00:00"} {
		_, err := jobdiva.ParseTime(in)
		assert.Error(t, err, in)
	}
}

// TestIDDecoderKnownAnswers: searchStart sends ids as JSON numbers (vendors.md); strings are
// accepted too.
func TestIDDecoderKnownAnswers(t *testing.T) {
	for in, want := range map[string]string{`778899`: "778899", `"778899"`: "778899", `"~ab-1"`: "~ab-1", `0`: "0", `12345678901234567890`: "12345678901234567890", `null`: ""} {
		var id jobdiva.ID
		require.NoError(t, json.Unmarshal([]byte(in), &id), in)
		assert.Equal(t, want, id.String(), in)
	}
	for _, in := range []string{`true`, `{}`, `[1]`, `{"id":1}`} {
		var id jobdiva.ID
		err := json.Unmarshal([]byte(in), &id)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), "want a number or a string", in)
	}
	var starts []jobdiva.Start
	require.NoError(t, json.Unmarshal(fixture(t, "search_start.json"), &starts))
	require.NotEmpty(t, starts)
	assert.Equal(t, jobdiva.ID("778899"), starts[0].ID)
	assert.Equal(t, jobdiva.ID("123"), starts[0].JobID)
	assert.Equal(t, jobdiva.ID("456"), starts[0].CandidateID)
}

func TestEngagementIDShape(t *testing.T) {
	assert.NoError(t, jobdiva.EngagementID.Check("778899"))
	assert.NoError(t, jobdiva.EngagementID.Check(strings.Repeat("7", 40)))
	for _, bad := range []string{strings.Repeat("7", 41), "../1", "1/2", "", "a b"} {
		err := jobdiva.EngagementID.Check(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "start id", bad)
	}
}

// startJSON is a searchStart activity with the given pay unit and end date.
func startJSON(t *testing.T, unit string, end any, extra map[string]any) jobdiva.Start {
	t.Helper()
	m := map[string]any{"id": 778899, "job id": 123, "candidate id": 456, "start date": "2026-12-01T00:00:00.000+00:00", "end date": end,
		"position type": "Contract", "agreed pay rate": 70.0, "pay rate currency/unit": unit, "is internal": false}
	for k, v := range extra {
		m[k] = v
	}
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	var s jobdiva.Start
	require.NoError(t, json.Unmarshal(raw, &s))
	return s
}

// TestPayTypes: vendors.md "wage": …/Hour -> hourly; Day, Week, Month, Year, Fixed -> flatfee,
// wage = the rate (70.0 -> 7000 cents).
func TestPayTypes(t *testing.T) {
	for unit, want := range map[string]string{
		"USD/Hour": "hourly", "USD/hour": "hourly", "USD/HOUR": "hourly",
		"USD/Day": "flatfee", "USD/Week": "flatfee", "USD/Month": "flatfee", "USD/Year": "flatfee", "USD/Fixed": "flatfee", "USD/fixed": "flatfee",
		"CAD/Hour": "hourly", "CAD/Fixed": "flatfee",
	} {
		e, err := jobdiva.Map(startJSON(t, unit, nil, nil), nil, nil)
		require.NoError(t, err, unit)
		assert.Equal(t, want, e.Job.WageType, unit)
		assert.Equal(t, int64(7000), e.Job.Wage, unit)
	}
	for rate, cents := range map[any]int64{"64.35": 6435, 85.5: 8550, "1,250.00": 125000} {
		e, err := jobdiva.Map(startJSON(t, "USD/Fixed", nil, map[string]any{"agreed pay rate": rate}), nil, nil)
		require.NoError(t, err, rate)
		assert.Equal(t, cents, e.Job.Wage, rate)
	}
	for _, rate := range []any{nil, "70.005", "abc"} {
		_, err := jobdiva.Map(startJSON(t, "USD/Hour", nil, map[string]any{"agreed pay rate": rate}), nil, nil)
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, rate)
		assert.Contains(t, ae.What, "agreed pay rate", rate)
	}
}

// TestPositionTypesInScope: vendors.md "in scope".
func TestPositionTypesInScope(t *testing.T) {
	for pt, in := range map[string]bool{"Contract": true, "Contract to Hire": true, "1099": true, " contract ": true, "CONTRACT TO HIRE": true,
		"Direct Placement": false, "W2": false, "Permanent": false, "": false, "Contract2": false} {
		e, err := jobdiva.Map(startJSON(t, "USD/Hour", nil, map[string]any{"position type": pt}), nil, nil)
		require.NoError(t, err, pt)
		assert.Equal(t, !in, e.OutOfScope != "", "%q", pt)
		assert.Equal(t, "778899", e.EngagementID)
		if !in {
			assert.Zero(t, e.Start, "an out-of-scope start is not read further")
		}
	}
	e, err := jobdiva.Map(startJSON(t, "USD/Hour", nil, map[string]any{"is internal": true}), nil, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, e.OutOfScope, "an internal start is not covered")
}

// TestWindowFromSearchStart: searchStart's date-times are used as given (vendors.md "window").
// python3 -c "import calendar;print(calendar.timegm((2026,12,1,0,0,0)), calendar.timegm((2027,2,28,0,0,0)), calendar.timegm((2027,2,28,5,0,0)))"
func TestWindowFromSearchStart(t *testing.T) {
	for end, want := range map[any]int64{
		"2027-02-28T00:00:00.000+00:00": 1803772800,
		"2027-02-28T00:00:00.000-05:00": 1803790800,
		"2027-02-28T00:00:00Z":          1803772800,
		nil:                             0,
		"":                              0,
	} {
		e, err := jobdiva.Map(startJSON(t, "USD/Hour", end, nil), nil, nil)
		require.NoError(t, err, end)
		assert.Equal(t, int64(1796083200), e.Start, end)
		assert.Equal(t, want, e.End, end)
	}
	for field, value := range map[string]any{"start date": "12/01/2026", "end date": "soon"} {
		_, err := jobdiva.Map(startJSON(t, "USD/Hour", nil, map[string]any{field: value}), nil, nil)
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, field)
		assert.Contains(t, ae.What, field)
	}
	_, err := jobdiva.Map(startJSON(t, "USD/Hour", nil, map[string]any{"start date": nil}), nil, nil)
	assert.ErrorContains(t, err, "start date")
}

// TestMapFallsBackToTheStartsIDs: without CandidateDetail's and JobDetail's ids the start's own
// are used; the job's region falls back to the candidate's.
func TestMapFallsBackToTheStartsIDs(t *testing.T) {
	e, err := jobdiva.Map(startJSON(t, "USD/Hour", nil, nil), jobdiva.Candidate{"STATE": "NY", "EMAIL": "  Sam@Example.COM "}, jobdiva.Job{})
	require.NoError(t, err)
	assert.Equal(t, "456", e.Contractor.SourceID)
	assert.Equal(t, "sam@example.com", e.Contractor.Email)
	assert.Equal(t, "NY", e.Job.Region)
	assert.Equal(t, map[string]string{"jobdiva_job_id": "123", "jobdiva_candidate_id": "456"}, e.Metadata.Job)
	assert.Equal(t, map[string]string{"jobdiva_placement_id": "778899", "jobdiva_job_id": "123", "jobdiva_candidate_id": "456"}, e.Metadata.Quote)
	assert.Equal(t, map[string]string{"jobdiva_candidate_id": "456", "jobdiva_placement_id": "778899"}, e.Metadata.Certificate)
	assert.Equal(t, map[string]string{"jobdiva_placement_id": "778899"}, e.Metadata.Session)
	assert.Equal(t, map[string]string{"jobdiva_placement_id": "778899"}, e.Metadata.Assignment)
	assert.Equal(t, map[string]string{"jobdiva_candidate_id": "456"}, e.Metadata.Contractor)
	assert.Equal(t, "Contract", e.Status)
}

// reportServer answers UpdatedHires and NewUpdatedTerminations with the given rows and records
// every report query.
type reportServer struct {
	mu      sync.Mutex
	queries []url.Values
	paths   []string
}

func (rs *reportServer) serve(t *testing.T, hires, terms string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+jobdiva.PathAuthenticate, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`"jd-token"`)) })
	mux.HandleFunc("GET "+jobdiva.PathBI+"{metric}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer jd-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rs.mu.Lock()
		rs.queries = append(rs.queries, r.URL.Query())
		rs.paths = append(rs.paths, r.URL.Path)
		rs.mu.Unlock()
		switch r.PathValue("metric") {
		case jobdiva.ReportHires:
			w.Write([]byte(hires))
		case jobdiva.ReportTerminations:
			w.Write([]byte(terms))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestTerminationEndsTheStart: a NewUpdatedTerminations row ends its start at TERMINATIONDATE
// (vendors.md "window"); the report's midnight is the day as given, which the workflow covers
// to the next 00:00 UTC. The event never starts an engagement; id and version are literals.
// python3 -c "import hashlib;f=lambda *p:(lambda h:[h.update(x.encode()+b'\0') for x in p] and h.hexdigest())(hashlib.sha256());v='v:'+f('jobdiva','778899','2026-12-10T09:00:00Z','2026-12-15T00:00:00Z')[:16];print(v,'h:'+f('jobdiva','NewUpdatedTerminations','778899',v)[:32])"
func TestTerminationEndsTheStart(t *testing.T) {
	rs := &reportServer{}
	srv := rs.serve(t, `{"message":"Success","data":[]}`,
		`{"message":"Success","data":[{"STARTID":"778899","CANDIDATEID":"456","JOBID":"123","DATEUPDATED":"12/10/2026 09:00:00","TERMINATIONDATE":"12/15/2026 00:00:00"},`+
			`{"STARTID":"778900","CANDIDATEID":"457","JOBID":"124","DATEUPDATED":"12/10/2026 09:00:00","TERMINATIONDATE":""},`+
			`{"STARTID":"","CANDIDATEID":"458","JOBID":"125","DATEUPDATED":"12/10/2026 09:00:00"}]}`)
	now := time.Date(2026, 12, 11, 12, 0, 0, 0, time.UTC)
	a := jobdiva.New(jobdiva.Config{APIURL: srv.URL, ClientID: "c", Username: "u", Password: "p", Now: func() time.Time { return now }})
	evs, mark, err := a.ListChanges(context.Background(), now.Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, now, mark)
	require.Len(t, evs, 2, "a row without STARTID is skipped")
	assert.Equal(t, vendors.Event{Vendor: "jobdiva", Kind: vendors.KindEnd, Name: "poll:NewUpdatedTerminations", EngagementID: "778899",
		ContractorID: "456", OccurredAt: time.Unix(1797292800, 0).UTC(), // 12/15/2026 00:00:00 UTC
		Refs: map[string]string{jobdiva.RefCandidate: "456", jobdiva.RefJob: "123"}, NoStart: true,
		EventID: "h:9d58129487aecfa6a05c52a699813888", Version: "v:2ce7552831560d4b"}, evs[0])
	// No TERMINATIONDATE: the row's update time ends it. python3 -c "import calendar;print(calendar.timegm((2026,12,10,9,0,0)))"
	assert.Equal(t, vendors.KindEnd, evs[1].Kind)
	assert.Equal(t, int64(1796893200), evs[1].OccurredAt.Unix())
	assert.True(t, evs[1].NoStart)
	assert.NotEqual(t, evs[0].Version, evs[1].Version)

	// The watermark minus five minutes to now, as report dates (vendors.md "Polling").
	require.Len(t, rs.queries, 2)
	for i, metric := range []string{jobdiva.ReportHires, jobdiva.ReportTerminations} {
		assert.Equal(t, "/api/bi/"+metric, rs.paths[i])
		assert.Equal(t, url.Values{"fromDate": {"12/11/2026 10:55:00"}, "toDate": {"12/11/2026 12:00:00"}, "alternateFormat": {"true"}}, rs.queries[i])
	}

	listed, err := a.ListOpen(context.Background())
	require.NoError(t, err)
	assert.Empty(t, listed, "no hires")
}

// TestHiresRowsAreKnownAnswers: the UpdatedHires example row of vendors.md becomes a start
// event with literal id and version (no termination: the version's last part is empty).
// python3 -c "import hashlib;f=lambda *p:(lambda h:[h.update(x.encode()+b'\0') for x in p] and h.hexdigest())(hashlib.sha256());v='v:'+f('jobdiva','778899','2026-11-20T10:00:00Z',”)[:16];print(v,'h:'+f('jobdiva','UpdatedHires','778899',v)[:32])"
func TestHiresRowsAreKnownAnswers(t *testing.T) {
	rs := &reportServer{}
	hires := `{"message":"Success","data":[{"STARTID":"778899","CANDIDATEID":"456","JOBID":"123","DATEUPDATED":"11/20/2026 10:00:00"},` +
		`{"STARTID":"778899","CANDIDATEID":"456","JOBID":"123","DATEUPDATED":"11/20/2026 10:00:00"},` +
		`{"STARTID":"778901","CANDIDATEID":"459","JOBID":"126","DATEUPDATED":"11/20/2026 11:00:00"}]}`
	terms := `{"message":"Success","data":[{"STARTID":"778901","CANDIDATEID":"459","JOBID":"126","DATEUPDATED":"11/20/2026 11:00:00","TERMINATIONDATE":"11/30/2026 00:00:00"}]}`
	srv := rs.serve(t, hires, terms)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	a := jobdiva.New(jobdiva.Config{APIURL: srv.URL, Now: func() time.Time { return now }})
	evs, _, err := a.ListChanges(context.Background(), now.Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, evs, 4)
	assert.Equal(t, vendors.Event{Vendor: "jobdiva", Kind: vendors.KindStart, Name: "poll:UpdatedHires", EngagementID: "778899",
		ContractorID: "456", OccurredAt: time.Unix(1795168800, 0).UTC(), Refs: map[string]string{jobdiva.RefCandidate: "456", jobdiva.RefJob: "123"},
		EventID: "h:ddf222dca0b208beda898797370a545e", Version: "v:e49f87c101f12fa9"}, evs[0])
	assert.Equal(t, evs[0], evs[1], "the same row twice is the same event")
	assert.Equal(t, vendors.KindStart, evs[2].Kind)
	assert.False(t, evs[2].NoStart)
	assert.Equal(t, vendors.KindEnd, evs[3].Kind)
	assert.Equal(t, "778901", evs[3].EngagementID)

	// Backfill: 90 days back to now in 14-day windows; the terminated start and the repeated
	// row are left out.
	rs.queries, rs.paths = nil, nil
	listed, err := a.ListOpen(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []vendors.Listed{{ID: "778899", Refs: map[string]string{jobdiva.RefCandidate: "456", jobdiva.RefJob: "123"}}}, listed)
	// 90 days = 6 windows of 14 days and one of 6, per report: python3 -c "print(-(-90//14))"
	require.Len(t, rs.queries, 14)
	assert.Equal(t, "08/22/2026 12:00:00", rs.queries[0].Get("fromDate"), "90 days before now") // python3 -c "import datetime;print((datetime.datetime(2026,11,20,12)-datetime.timedelta(days=90)).strftime('%m/%d/%Y %H:%M:%S'))"
	assert.Equal(t, "09/05/2026 12:00:00", rs.queries[0].Get("toDate"))
	assert.Equal(t, "11/20/2026 12:00:00", rs.queries[6].Get("toDate"))
	assert.Equal(t, "/api/bi/"+jobdiva.ReportTerminations, rs.paths[7])
	assert.Equal(t, "08/22/2026 12:00:00", rs.queries[7].Get("fromDate"), "terminations over the same 90 days")
	assert.Equal(t, "11/20/2026 12:00:00", rs.queries[13].Get("toDate"))
}

// TestReportRefusals: a window the report refuses (a message, no data) and rows that are
// neither objects nor lists of strings are errors, not empty results.
func TestReportRefusals(t *testing.T) {
	for _, answer := range []string{
		`{"message":"Date range more than 14 days, metric name = UpdatedHires"}`,
		`{"message":"Success","data":[42]}`,
		`{"message":"Success","data":[["STARTID"],[1]]}`,
	} {
		rs := &reportServer{}
		srv := rs.serve(t, answer, `{"message":"Success","data":[]}`)
		now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		a := jobdiva.New(jobdiva.Config{APIURL: srv.URL, Now: func() time.Time { return now }})
		_, mark, err := a.ListChanges(context.Background(), now.Add(-time.Hour))
		var ae *vendors.APIError
		require.ErrorAs(t, err, &ae, answer)
		assert.Equal(t, http.StatusOK, ae.Status, answer)
		assert.Equal(t, now.Add(-time.Hour), mark, "the watermark stays: %s", answer)
		_, err = a.ListOpen(context.Background())
		assert.Error(t, err, answer)
	}
	for _, answer := range []string{`{"message":"Success"}`, `{"message":"success","data":null}`, `{"data":[]}`} {
		rs := &reportServer{}
		srv := rs.serve(t, answer, answer)
		a := jobdiva.New(jobdiva.Config{APIURL: srv.URL})
		evs, _, err := a.ListChanges(context.Background(), time.Now().Add(-time.Hour))
		require.NoError(t, err, answer)
		assert.Empty(t, evs, answer)
	}
	// Header-row format: a short row leaves the missing columns empty.
	rs := &reportServer{}
	srv := rs.serve(t, `{"message":"Success","data":[["STARTID","CANDIDATEID","JOBID","DATEUPDATED"],["778899","456"]]}`, `{"message":"Success","data":[]}`)
	a := jobdiva.New(jobdiva.Config{APIURL: srv.URL})
	evs, _, err := a.ListChanges(context.Background(), time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, map[string]string{jobdiva.RefCandidate: "456", jobdiva.RefJob: ""}, evs[0].Refs)
	assert.True(t, evs[0].OccurredAt.IsZero())
}

// lookupServer answers authentication (counting it), searchStart (recording its bodies) and
// the BI detail reports with the given answers.
type lookupServer struct {
	mu       sync.Mutex
	auths    int
	token    string
	searches []string
	details  map[string]string
}

func (ls *lookupServer) serve(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+jobdiva.PathAuthenticate, func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		defer ls.mu.Unlock()
		ls.auths++
		if r.URL.Query().Get("password") != "p" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte("bad credentials for sam@example.com"))
			return
		}
		w.Write([]byte(" " + ls.token + "\n"))
	})
	authorized := func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer "+strings.Trim(ls.token, `"`)
	}
	mux.HandleFunc("POST "+jobdiva.PathSearchStart, func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		ls.mu.Lock()
		ls.searches = append(ls.searches, string(body))
		ls.mu.Unlock()
		w.Write(fixture(t, "search_start.json"))
	})
	mux.HandleFunc("GET "+jobdiva.PathBI+"{metric}", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(ls.details[r.PathValue("metric")]))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestAuthenticationAndLookups: one authentication serves every call (vendors.md: the token
// lasts 24 h); a refused or empty authentication is an error that names the settings, never
// the credentials; searchStart is asked by candidate and job as numbers (vendors.md
// `{"candidateid":456,"jobId":123}`); a start, candidate or job the platform lacks is a
// NotFoundError.
func TestAuthenticationAndLookups(t *testing.T) {
	ls := &lookupServer{token: `"jd-token"`, details: map[string]string{
		jobdiva.ReportCandidate: string(fixture(t, "candidate_detail.json")),
		jobdiva.ReportJob:       string(fixture(t, "job_detail.json")),
		jobdiva.ReportTimesheet: string(fixture(t, "timesheet_detail.json")),
	}}
	srv := ls.serve(t)
	a := jobdiva.New(jobdiva.Config{APIURL: srv.URL, ClientID: "c", Username: "u", Password: "p"})
	ctx := context.Background()
	refs := map[string]string{jobdiva.RefCandidate: "456", jobdiva.RefJob: "123"}
	_, err := a.FetchEngagementRefs(ctx, "778899", refs)
	require.NoError(t, err)
	_, err = a.FetchInvoice(ctx, "778899", "5551")
	require.NoError(t, err)
	assert.Equal(t, 1, ls.auths, "one token for every call")
	assert.Equal(t, []string{`{"candidateid":456,"jobId":123}`}, ls.searches)

	_, err = a.FetchEngagementRefs(ctx, "778898", map[string]string{jobdiva.RefCandidate: "C-456", jobdiva.RefJob: "123"})
	var nf *vendors.NotFoundError
	require.ErrorAs(t, err, &nf, "a start searchStart does not list")
	assert.Equal(t, "not found: jobdiva start 778898 of candidate C-456 and job 123", err.Error())
	assert.Equal(t, `{"candidateid":"C-456","jobId":123}`, ls.searches[1], "an id that is not a number is sent as a string")

	ls.details[jobdiva.ReportCandidate] = `{"message":"Success","data":[]}`
	_, err = a.FetchEngagementRefs(ctx, "778899", refs)
	require.ErrorAs(t, err, &nf, "a candidate CandidateDetail does not list")
	assert.Contains(t, err.Error(), "CandidateDetail")
	ls.details[jobdiva.ReportCandidate] = string(fixture(t, "candidate_detail.json"))
	ls.details[jobdiva.ReportJob] = `{"message":"Success","data":[]}`
	_, err = a.FetchEngagementRefs(ctx, "778899", refs)
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, err.Error(), "JobDetail")
	ls.details[jobdiva.ReportTimesheet] = `{"message":"Success","data":[]}`
	_, err = a.FetchInvoice(ctx, "778899", "5551")
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, err.Error(), "TimesheetDetail")
	assert.Equal(t, 1, ls.auths)

	_, err = a.FetchDocument(ctx, "778899", "doc-9")
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, err.Error(), "doc-9")

	refused := jobdiva.New(jobdiva.Config{APIURL: srv.URL, ClientID: "c", Username: "u", Password: "wrong"})
	_, err = refused.FetchInvoice(ctx, "778899", "5551")
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "refused; check JOBDIVA_CLIENT_ID, JOBDIVA_USERNAME and JOBDIVA_PASSWORD", ae.Body)
	assert.NotContains(t, err.Error(), "wrong")

	ls.token = `""`
	_, err = jobdiva.New(jobdiva.Config{APIURL: srv.URL, Password: "p"}).FetchInvoice(ctx, "778899", "5551")
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "jobdiva authenticate: HTTP 200: empty token", err.Error())

	assert.Equal(t, []string{jobdiva.RefCandidate, jobdiva.RefJob}, a.RequiredRefs())
	assert.Equal(t, []byte("true"), a.WebhookAck(), "vendors.md: JobDiva reads the answer as a boolean")
	assert.Equal(t, "jobdiva", a.Vendor())
}
