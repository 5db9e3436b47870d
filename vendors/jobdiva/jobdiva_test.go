package jobdiva_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
)

const secret = "jd-secret"

func adapter(url string) *jobdiva.Adapter {
	return jobdiva.New(jobdiva.Config{APIURL: url, ClientID: "c1", Username: "u", Password: "p", WebhookSecret: secret})
}

func TestVerifyWebhook(t *testing.T) {
	a := adapter("")
	body := []byte(`{"type":"placement","operation":"Insert","id":"pl_45678","data":[{"placementId":"pl_45678","candidateId":"12345","jobId":"job_78910","dateUpdated":"11/20/2026 10:00:00"}]}`)
	h := http.Header{}
	h.Set(jobdiva.HeaderSignature, jobdiva.Sign(secret, body))
	assert.NoError(t, a.VerifyWebhook(h, body))
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, []byte(strings.Replace(string(body), "Insert", "Delete", 1)))), "tampered")
	wrong := http.Header{}
	wrong.Set(jobdiva.HeaderSignature, jobdiva.Sign("other", body))
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(wrong, body)), "wrong secret")
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(http.Header{}, body)), "missing")
	sha256 := http.Header{}
	sha256.Set(jobdiva.HeaderSignature, "sha256="+jobdiva.Sign(secret, body)[5:])
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(sha256, body)), "other scheme")
}

func TestParseWebhook(t *testing.T) {
	a := adapter("")
	for _, tc := range []struct {
		body string
		kind vendors.EventKind
		eng  string
	}{
		{`{"type":"placement","operation":"Insert","id":"pl_45678","data":[{"placementId":"pl_45678","candidateId":"12345","jobId":"job_78910","dateUpdated":"11/20/2026 10:00:00"}]}`, vendors.KindStart, "pl_45678"},
		{`{"type":"placement","operation":"Update","id":"pl_45678","data":[{"placementId":"pl_45678","dateUpdated":"11/20/2026 11:00:00"}]}`, vendors.KindUpdate, "pl_45678"},
		{`{"type":"placement","operation":"Update","id":"pl_45678","data":[{"placementId":"pl_45678","status":"Terminated"}]}`, vendors.KindEnd, "pl_45678"},
		{`{"type":"placement","operation":"Update","id":"pl_45678","data":[{"placementId":"pl_45678","status":"Cancelled"}]}`, vendors.KindCancel, "pl_45678"},
		{`{"type":"placement","operation":"Delete","id":"pl_45678","data":[{"placementId":"pl_45678"}]}`, vendors.KindCancel, "pl_45678"},
		{`{"type":"attachment","operation":"Insert","id":"att_1","data":[{"attachmentId":"att_1","candidateId":"12345","placementId":"pl_45678","attachmentType":"COI","fileName":"coi.pdf"}]}`, vendors.KindCOI, "pl_45678"},
		{`{"type":"attachment","operation":"Insert","id":"att_2","data":[{"attachmentId":"att_2","placementId":"pl_45678","attachmentType":"Resume"}]}`, vendors.KindIgnore, ""},
		{`{"type":"timesheet","operation":"Insert","id":"ts_1","data":[{"timesheetId":"ts_1","placementId":"pl_45678"}]}`, vendors.KindInvoice, "pl_45678"},
		{`{"type":"candidate","operation":"Update","id":"12345","data":[{"candidateId":"12345","dateUpdated":"11/21/2026 09:00:00"}]}`, vendors.KindContractorUpdate, ""},
		{`{"type":"candidate","operation":"Insert","id":"12345","data":[{"candidateId":"12345"}]}`, vendors.KindIgnore, ""},
		{`{"type":"job","operation":"Update","id":"job_1","data":[{"jobId":"job_1"}]}`, vendors.KindIgnore, ""},
	} {
		evs, err := a.ParseWebhook(nil, []byte(tc.body))
		require.NoError(t, err, tc.body)
		require.Len(t, evs, 1)
		assert.Equal(t, tc.kind, evs[0].Kind, tc.body)
		assert.Equal(t, tc.eng, evs[0].EngagementID, tc.body)
	}
	evs, _ := a.ParseWebhook(nil, []byte(`{"type":"placement","operation":"Insert","id":"pl_1","data":[{"placementId":"pl_1","dateUpdated":"11/20/2026 10:00:00"}]}`))
	assert.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), evs[0].OccurredAt, "no zone: UTC")
	again, _ := a.ParseWebhook(nil, []byte(`{"type":"placement","operation":"Insert","id":"pl_1","data":[{"placementId":"pl_1","dateUpdated":"11/20/2026 10:00:00"}]}`))
	assert.Equal(t, evs[0].EventID, again[0].EventID, "a stale resend dedupes")
	for body, field := range map[string]string{
		`{"operation":"Insert","data":[{}]}`:                                                                "type",
		`{"type":"placement","data":[{}]}`:                                                                  "operation",
		`{"type":"placement","operation":"Insert"}`:                                                         "data",
		`{"type":"placement","operation":"Insert","data":[{"candidateId":"1"}]}`:                            "placementId",
		`{"type":"timesheet","operation":"Insert","data":[{"placementId":"p"}]}`:                            "timesheetId",
		`{"type":"placement","operation":"Insert","data":[{"placementId":"p","dateUpdated":"2026-11-20"}]}`: "dateUpdated",
	} {
		_, err := a.ParseWebhook(nil, []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field, body)
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"type":"placement","operation":"Insert","id":"pl_1","data":[{"placementId":"pl_1","dateUpdated":"11/20/2026 10:00:00"}]}`))
	f.Add([]byte(`{"type":"timesheet","operation":"Insert","id":"ts","data":[{"timesheetId":"ts","placementId":"p"},{"x":1}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := adapter("").ParseWebhook(nil, body)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.EventID == "" || (ev.Kind != vendors.KindIgnore && ev.EngagementID == "" && (ev.Kind != vendors.KindContractorUpdate || ev.ContractorID == "")) {
				t.Fatalf("accepted an event without id or engagement: %+v", ev)
			}
		}
	})
}

func TestMapReferenceExample(t *testing.T) {
	var p jobdiva.Placement
	require.NoError(t, json.Unmarshal([]byte(`{"placementId":"pl_45678","candidateId":"12345","jobId":"job_78910","startDate":"12/01/2026 00:00:00","endDate":"02/28/2027 00:00:00","payRate":"95.00","payRateUnit":"H","positionType":"Contract","employmentCategory":"1099","workState":"CA","status":"Active","dateUpdated":"11/20/2026 10:00:00"}`), &p))
	var c jobdiva.Candidate
	require.NoError(t, json.Unmarshal([]byte(`{"candidateId":"12345","firstName":"Jordan","lastName":"Lee","email":null,"country":"US","state":"CA","phone":"415-555-0100"}`), &c))
	var j jobdiva.Job
	require.NoError(t, json.Unmarshal([]byte(`{"jobId":"job_78910","title":"Contract Data Analyst","description":"Reporting migration","clientId":"acct_3","category":"data_analytics","state":"CA"}`), &j))
	e, err := jobdiva.Map(p, c, j)
	require.NoError(t, err)
	assert.Equal(t, int64(9500), e.Job.Wage)
	assert.Equal(t, "hourly", e.Job.WageType)
	assert.Equal(t, int64(1796083200), e.Start)
	assert.Equal(t, int64(1803859200), e.End)
	assert.Equal(t, "415-555-0100", e.Contractor.Phone)
	assert.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), e.UpdatedAt)
	assert.Equal(t, map[string]string{"jobdiva_candidate_id": "12345"}, e.Metadata.Contractor)
	assert.Equal(t, map[string]string{"jobdiva_job_id": "job_78910", "jobdiva_candidate_id": "12345"}, e.Metadata.Job)
	assert.Equal(t, map[string]string{"jobdiva_placement_id": "pl_45678", "jobdiva_job_id": "job_78910", "jobdiva_candidate_id": "12345"}, e.Metadata.Quote)
	assert.Equal(t, map[string]string{"jobdiva_placement_id": "pl_45678"}, e.Metadata.Session)
	assert.Equal(t, map[string]string{"jobdiva_placement_id": "pl_45678"}, e.Metadata.Assignment)
	assert.Equal(t, map[string]string{"jobdiva_candidate_id": "12345", "jobdiva_placement_id": "pl_45678"}, e.Metadata.Certificate)

	for unit, want := range map[string]string{"H": "hourly", "D": "flatfee", "W": "flatfee", "M": "flatfee", "Y": "flatfee", "F": "flatfee"} {
		p.PayRateUnit = unit
		e, _ := jobdiva.Map(p, c, j)
		assert.Equal(t, want, e.Job.WageType, unit)
	}
	p.PositionType = "Direct Placement"
	e, _ = jobdiva.Map(p, c, j)
	assert.NotEmpty(t, e.OutOfScope)
	p.PositionType, p.EmploymentCategory = "Contract", "W2"
	e, _ = jobdiva.Map(p, c, j)
	assert.NotEmpty(t, e.OutOfScope)
}

func TestFetchOverHTTPWithReauth(t *testing.T) {
	sim := platformsim.New(platformsim.Config{JobDivaLogin: [3]string{"c1", "u", "p"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	a := adapter(srv.URL + "/jobdiva")
	ex := platformsim.Example{ID: "pl_45678", ContractorID: "12345", Rate: "95.00", Hourly: true,
		Start: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, sim.Seed("jobdiva", ex))
	e, err := a.FetchEngagement(context.Background(), "pl_45678")
	require.NoError(t, err)
	assert.Equal(t, int64(9500), e.Job.Wage)

	sim.ExpireJobDivaTokens()
	_, err = a.FetchEngagement(context.Background(), "pl_45678")
	require.NoError(t, err, "a 401 re-authenticates once and repeats the call")
	auths := 0
	for _, r := range sim.Requests() {
		if strings.HasSuffix(r.Path, "/authenticate") {
			auths++
		}
	}
	assert.Equal(t, 2, auths)

	require.NoError(t, sim.SeedInvoice("jobdiva", ex, "ts_1", "3800.00"))
	inv, err := a.FetchInvoice(context.Background(), "pl_45678", "ts_1")
	require.NoError(t, err)
	assert.Equal(t, int64(380000), inv.GrossPay)
	assert.Equal(t, ex.Start.Unix(), inv.PeriodStart)

	require.NoError(t, sim.SeedDocument("jobdiva", ex, "att_1", "coi.pdf", []byte("%PDF-1.3")))
	doc, err := a.FetchDocument(context.Background(), "pl_45678", "att_1")
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.3", string(doc.Data))

	bad := jobdiva.New(jobdiva.Config{APIURL: srv.URL + "/jobdiva", ClientID: "c1", Username: "u", Password: "wrong"})
	_, err = bad.FetchEngagement(context.Background(), "pl_45678")
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 401, ae.Status)

	sim.AddFault("jobdiva", 429, 4, 1)
	_, err = a.FetchEngagement(context.Background(), "pl_45678")
	var re *vendors.RetryableError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 4*time.Second, re.RetryAfter)

	evs, _, err := a.ListChanges(context.Background(), time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "pl_45678", evs[0].EngagementID)
}
