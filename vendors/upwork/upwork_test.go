package upwork_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/vendors"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// TestRelaySignatureKnownAnswer is vendors.md's vector.
func TestRelaySignatureKnownAnswer(t *testing.T) {
	body := fixture(t, "relay_started.json")
	assert.Equal(t, "sha256=481d59c35d6c91058471113edb41a689a9b16615aef74c96393afca41a0cd95d", upwork.Sign("upwork_relay_secret", body))
	a := upwork.New(upwork.Config{WebhookSecret: "upwork_relay_secret"})
	h := http.Header{}
	h.Set(upwork.HeaderSignature, "sha256=481d59c35d6c91058471113edb41a689a9b16615aef74c96393afca41a0cd95d")
	assert.NoError(t, a.VerifyWebhook(h, body))
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, append(body, ' '))))
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(http.Header{}, body)))
}

func TestParseRelay(t *testing.T) {
	a := upwork.New(upwork.Config{})
	evs, err := a.ParseWebhook(nil, fixture(t, "relay_started.json"))
	require.NoError(t, err)
	assert.Equal(t, vendors.KindStart, evs[0].Kind)
	assert.Equal(t, "41815410", evs[0].EngagementID)
	assert.Equal(t, "evt_01J9", evs[0].EventID, "dedupe by event_id")
	for event, kind := range map[string]vendors.EventKind{"contract.updated": vendors.KindUpdate, "contract.ended": vendors.KindEnd, "offer.accepted": vendors.KindIgnore} {
		evs, err := a.ParseWebhook(nil, []byte(`{"event":"`+event+`","event_id":"e","contract_id":"1"}`))
		require.NoError(t, err)
		assert.Equal(t, kind, evs[0].Kind, event)
	}
	ended, _ := a.ParseWebhook(nil, []byte(`{"event":"contract.ended","event_id":"e","contract_id":"1"}`))
	assert.True(t, ended[0].NoStart, "an end never starts an engagement")
	_, err = a.ParseWebhook(nil, []byte(`{"event":"contract.started","event_id":"e"}`))
	var pe *vendors.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "contract_id", pe.Field)
}

func contract(t *testing.T, mutate func(m map[string]any)) upwork.Contract {
	t.Helper()
	var env struct {
		Data struct {
			ContractDetails map[string]any `json:"contractDetails"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, "contract_details.json"), &env))
	if mutate != nil {
		mutate(env.Data.ContractDetails)
	}
	raw, _ := json.Marshal(env.Data.ContractDetails)
	var c upwork.Contract
	require.NoError(t, json.Unmarshal(raw, &c))
	return c
}

func TestMapTheReferenceContract(t *testing.T) {
	e, err := upwork.Map(contract(t, nil))
	require.NoError(t, err)
	assert.Equal(t, vendors.Contractor{SourceID: "~01abc2def3", FirstName: "Ava", LastName: "Nguyen", City: "San Francisco", Region: "CA",
		PostalCode: "94107", Country: "US"}, e.Contractor, "no email: the activity uses the proxy; no phone exists")
	assert.Equal(t, vendors.Job{Name: "Frontend Developer", Description: "Frontend Developer", ClientID: "1387654321098765",
		Category: "Frontend Developer", Wage: 7500, WageType: "hourly", Region: "CA", Country: "US"}, e.Job)
	assert.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix(), e.Start)
	assert.Equal(t, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC).Unix(), e.End)
	assert.Equal(t, map[string]string{"upwork_freelancer_id": "~01abc2def3"}, e.Metadata.Contractor)
	assert.Equal(t, map[string]string{"engagement_id": "41815410"}, e.Metadata.Job)

	fixed, err := upwork.Map(contract(t, func(m map[string]any) {
		m["terms"] = map[string]any{"hourlyTerms": []any{}, "fixedPriceTerms": []any{map[string]any{"fixedAmount": map[string]string{"rawValue": "1250.50"}}}}
		m["endDate"] = nil
	}))
	require.NoError(t, err)
	assert.Equal(t, int64(125050), fixed.Job.Wage)
	assert.Equal(t, "flatfee", fixed.Job.WageType)
	assert.Zero(t, fixed.End, "no end date: open-ended")

	for status, want := range map[string]vendors.EventKind{"ACTIVE": "", "PAUSED": "", "CLOSED": vendors.KindEnd, "ENDED": vendors.KindEnd, "CANCELLED": vendors.KindCancel} {
		e, err := upwork.Map(contract(t, func(m map[string]any) { m["status"] = status }))
		require.NoError(t, err)
		assert.Equal(t, want, e.Terminal, status)
	}
	_, err = upwork.Map(contract(t, func(m map[string]any) { m["status"] = "SUSPENDED" }))
	assert.ErrorContains(t, err, "SUSPENDED", "an unknown status parks, naming it")
	payroll, err := upwork.Map(contract(t, func(m map[string]any) { m["kind"] = "PAYROLL" }))
	require.NoError(t, err)
	assert.NotEmpty(t, payroll.OutOfScope)
}

// TestAgainstTheReferenceAnswers: the refresh-token grant (rotating the refresh token), the
// tenant header, variables, and errors[] as a failure.
func TestAgainstTheReferenceAnswers(t *testing.T) {
	var mu sync.Mutex
	var rotated []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("client_id") != "cid" || r.PostForm.Get("client_secret") != "csec" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Write(fixture(t, "token.json"))
	})
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer oauth2v2_a1b2c3" || r.Header.Get(upwork.HeaderTenant) != "tenant-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Variables map[string]any `json:"variables"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Variables["id"] == "41815410" {
			w.Write(fixture(t, "contract_details.json"))
			return
		}
		w.Write(fixture(t, "not_found.json"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	a := upwork.New(upwork.Config{APIURL: srv.URL, TokenURL: srv.URL + "/token", ClientID: "cid", ClientSecret: "csec", RefreshToken: "first",
		TenantID: "tenant-1", OnRotate: func(tok string) { mu.Lock(); rotated = append(rotated, tok); mu.Unlock() }})
	e, err := a.FetchEngagement(context.Background(), "41815410")
	require.NoError(t, err)
	assert.Equal(t, int64(7500), e.Job.Wage)
	assert.Equal(t, []string{"oauth2v2_r9s8t7"}, rotated, "the newest refresh token is handed over to be kept")
	_, err = a.FetchEngagement(context.Background(), "404")
	var nf *vendors.NotFoundError
	assert.ErrorAs(t, err, &nf)
}

// TestSimulatorAgreesWithTheAdapter: the simulator's grant, contractDetails, contractList in
// batches of 10, and an errors[] beside partial data refused.
func TestSimulatorAgreesWithTheAdapter(t *testing.T) {
	sim := platformsim.New(platformsim.Config{UpworkClient: [3]string{"cid", "csec", "rt0"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	var kept []string
	a := upwork.New(upwork.Config{APIURL: srv.URL + "/upwork", TokenURL: srv.URL + "/upwork" + platformsim.UpworkTokenPath, ClientID: "cid",
		ClientSecret: "csec", RefreshToken: "rt0", TenantID: "t", OnRotate: func(tok string) { kept = append(kept, tok) }})
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	var ids []string
	for i := range 12 {
		ex := platformsim.Example{ID: "c" + string(rune('a'+i)), ContractorID: "f1", Email: "F@Example.com", Rate: "75.00", Hourly: true, Start: start}
		require.NoError(t, sim.Seed("upwork", ex))
		ids = append(ids, ex.ID)
	}
	ctx := context.Background()
	e, err := a.FetchEngagement(ctx, "ca")
	require.NoError(t, err)
	assert.Equal(t, "f@example.com", e.Contractor.Email)
	assert.Equal(t, int64(7500), e.Job.Wage)
	assert.Len(t, kept, 1)
	evs, err := a.Refresh(ctx, append(ids, "unknown"))
	require.NoError(t, err)
	assert.Len(t, evs, 12, "two batches; unknown ids are left out")
	again, _ := a.Refresh(ctx, ids[:1])
	assert.Equal(t, evs[0].EventID, again[0].EventID, "an unchanged contract is the same event")
	require.Equal(t, "ca", again[0].EngagementID)
	assert.Equal(t, e.Version, again[0].Version, "contractList and contractDetails give the contract the same version")
	changed := platformsim.Example{ID: "ca", ContractorID: "f1", Email: "F@Example.com", Rate: "80.00", Hourly: true, Start: start}
	require.NoError(t, sim.Seed("upwork", changed))
	after, _ := a.Refresh(ctx, ids[:1])
	assert.NotEqual(t, again[0].Version, after[0].Version, "a new rate is a new version")
	assert.NotEqual(t, again[0].EventID, after[0].EventID)
	sim.FailGraphQL(1)
	_, err = a.FetchEngagement(ctx, "ca")
	require.Error(t, err, "errors[] beside partial data is a failure")
}
