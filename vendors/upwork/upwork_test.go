package upwork_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
)

const secret = "up-secret"

func adapter(url string) *upwork.Adapter {
	return upwork.New(upwork.Config{APIURL: url, AccessToken: "up-token", TenantID: "tenant-1", WebhookSecret: secret})
}

func TestVerifyWebhook(t *testing.T) {
	a := adapter("")
	body := []byte(`{"event":"offer.accepted","event_id":"up-evt-1","contract_id":"9001","freelancer_id":"fl_12345"}`)
	h := http.Header{}
	h.Set(upwork.HeaderSignature, upwork.Sign(secret, body))
	assert.NoError(t, a.VerifyWebhook(h, body))
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, append(body, ' '))), "tampered")
	wrong := http.Header{}
	wrong.Set(upwork.HeaderSignature, upwork.Sign("other", body))
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(wrong, body)), "wrong secret")
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(http.Header{}, body)), "missing")
	noPrefix := http.Header{}
	noPrefix.Set(upwork.HeaderSignature, upwork.Sign(secret, body)[7:])
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(noPrefix, body)), "without sha256=")
}

func TestParseWebhook(t *testing.T) {
	a := adapter("")
	for name, kind := range map[string]vendors.EventKind{"offer.accepted": vendors.KindStart, "contract.active": vendors.KindStart,
		"contract.updated": vendors.KindUpdate, "contract.ended": vendors.KindEnd, "contract.paused": vendors.KindIgnore} {
		evs, err := a.ParseWebhook(nil, []byte(`{"event":"`+name+`","event_id":"up-evt-1","contract_id":"9001","freelancer_id":"fl_12345","occurred_at":"2026-11-20T10:00:00Z"}`))
		require.NoError(t, err)
		assert.Equal(t, kind, evs[0].Kind, name)
		assert.Equal(t, "9001", evs[0].EngagementID)
	}
	coi, err := a.ParseWebhook(nil, []byte(`{"event":"contract.attachment_added","event_id":"e","contract_id":"9001","attachment_id":"a1"}`))
	require.NoError(t, err)
	assert.Equal(t, vendors.KindCOI, coi[0].Kind)
	assert.Equal(t, "a1", coi[0].DocumentID)
	for body, field := range map[string]string{`{}`: "event", `{"event":"offer.accepted"}`: "contract_id",
		`{"event":"contract.attachment_added","contract_id":"1"}`: "attachment_id"} {
		_, err := a.ParseWebhook(nil, []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, field, pe.Field)
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"event":"offer.accepted","event_id":"e","contract_id":"9001"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := adapter("").ParseWebhook(nil, body)
		if err != nil {
			return
		}
		for _, ev := range evs {
			if ev.EventID == "" || (ev.Kind != vendors.KindIgnore && ev.EngagementID == "") {
				t.Fatalf("accepted an event without id or engagement: %+v", ev)
			}
		}
	})
}

func TestMapReferenceExample(t *testing.T) {
	var d struct {
		Contract upwork.Contract `json:"contract"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"contract":{"id":"9001","title":"Frontend Developer","description":"Dashboard UI","clientId":"acct_5","hourlyRate":{"amount":"75.00"},"fixedBudget":null,"category":{"name":"Web Development"},"startDate":"2026-12-01","endDate":"2027-02-28","status":"ACTIVE","freelancerId":"fl_12345","attachments":[{"id":"a1","fileName":"coi.pdf","url":"/files/a1","contentType":"application/pdf"}]}}`), &d))
	var f struct {
		Freelancer upwork.Freelancer `json:"freelancer"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"freelancer":{"id":"fl_12345","displayName":"Ava Nguyen","email":null,"location":{"country":"US","region":"CA","locality":"San Francisco"}}}`), &f))
	e, err := upwork.Map(d.Contract, f.Freelancer)
	require.NoError(t, err)
	assert.Equal(t, int64(7500), e.Job.Wage)
	assert.Equal(t, "hourly", e.Job.WageType)
	assert.Equal(t, "Ava", e.Contractor.FirstName)
	assert.Equal(t, "Nguyen", e.Contractor.LastName)
	assert.Equal(t, "San Francisco", e.Contractor.City)
	assert.Equal(t, "Web Development", e.Job.Category)
	assert.Equal(t, int64(1796083200), e.Start)
	assert.Equal(t, int64(1803859200), e.End) // 2027-03-01: the last day is covered
	assert.Equal(t, map[string]string{"upwork_freelancer_id": "fl_12345"}, e.Metadata.Contractor)
	assert.Equal(t, map[string]string{"engagement_id": "9001"}, e.Metadata.Quote)

	d.Contract.HourlyRate = nil
	require.NoError(t, json.Unmarshal([]byte(`{"fixedBudget":{"amount":"1,250.50"}}`), &d.Contract))
	e, err = upwork.Map(d.Contract, f.Freelancer)
	require.NoError(t, err)
	assert.Equal(t, int64(125050), e.Job.Wage)
	assert.Equal(t, "flatfee", e.Job.WageType)
}

func TestFetchOverHTTP(t *testing.T) {
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{"upwork": "up-token"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	a := adapter(srv.URL + "/upwork")
	ex := platformsim.Example{ID: "9001", ContractorID: "fl_12345", Rate: "75.00", Hourly: true, FirstName: "Ava", LastName: "Nguyen",
		Start: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, sim.Seed("upwork", ex))
	e, err := a.FetchEngagement(context.Background(), "9001")
	require.NoError(t, err)
	assert.Equal(t, int64(7500), e.Job.Wage)

	require.NoError(t, sim.SeedDocument("upwork", ex, "a1", "coi.pdf", []byte("%PDF-1.5")))
	doc, err := a.FetchDocument(context.Background(), "9001", "a1")
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.5", string(doc.Data))

	sim.FailGraphQL(1)
	_, err = a.FetchEngagement(context.Background(), "9001")
	var ae *vendors.APIError
	require.ErrorAs(t, err, &ae, "errors[] in a 200 answer is an error")
	assert.Contains(t, ae.Body, "Internal server error")

	_, err = a.FetchEngagement(context.Background(), "missing")
	var nf *vendors.NotFoundError
	assert.ErrorAs(t, err, &nf)

	sim.AddFault("upwork", 429, 2, 1)
	_, err = a.FetchEngagement(context.Background(), "9001")
	var re *vendors.RetryableError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 2*time.Second, re.RetryAfter)

	evs, _, err := a.ListChanges(context.Background(), time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, vendors.KindStart, evs[0].Kind)
}
