package upwork_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	for event, kind := range map[string]vendors.EventKind{"contract.updated": vendors.KindUpdate, "contract.ended": vendors.KindUpdate, "offer.accepted": vendors.KindIgnore} {
		evs, err := a.ParseWebhook(nil, []byte(`{"event":"`+event+`","event_id":"e","contract_id":"1"}`))
		require.NoError(t, err)
		assert.Equal(t, kind, evs[0].Kind, event)
	}
	ended, _ := a.ParseWebhook(nil, []byte(`{"event":"contract.ended","event_id":"e","contract_id":"1"}`))
	assert.True(t, ended[0].NoStart, "an end never starts an engagement")
	assert.True(t, ended[0].OccurredAt.IsZero(), "occurred_at orders nothing: the contract is re-read")
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

var beforeStart = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func TestMapTheReferenceContract(t *testing.T) {
	e, err := upwork.Map(contract(t, nil), beforeStart)
	require.NoError(t, err)
	assert.Equal(t, vendors.Contractor{SourceID: "~01abc2def3", FirstName: "Ava", LastName: "Nguyen"}, e.Contractor,
		"a ContractUser has no email (the activity uses the proxy), no phone and no address")
	assert.Equal(t, vendors.Job{Name: "Frontend Developer", Description: "Frontend Developer", ClientID: "1387654321098765",
		Category: "Frontend Developer", Wage: 7500, WageType: "hourly"}, e.Job, "remote work: no work location")
	assert.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix(), e.Start)
	assert.Equal(t, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC).Unix(), e.End)
	assert.Equal(t, map[string]string{"upwork_freelancer_id": "~01abc2def3"}, e.Metadata.Contractor)
	assert.Equal(t, map[string]string{"engagement_id": "41815410"}, e.Metadata.Job)
	assert.Equal(t, map[string]string{"engagement_id": "41815410"}, e.Metadata.Certificate)

	fixed, err := upwork.Map(contract(t, func(m map[string]any) {
		m["terms"] = map[string]any{"hourlyTerms": []any{}, "fixedPriceTerms": []any{map[string]any{"fixedAmount": map[string]string{"rawValue": "1250.50"}}}}
		m["endDate"] = nil
	}), beforeStart)
	require.NoError(t, err)
	assert.Equal(t, int64(125050), fixed.Job.Wage)
	assert.Equal(t, "flatfee", fixed.Job.WageType)
	assert.Zero(t, fixed.End, "no end date: open-ended")

	afterStart := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		status string
		now    time.Time
		want   vendors.EventKind
	}{{"ACTIVE", afterStart, ""}, {"PAUSED", afterStart, ""}, {"CLOSED", beforeStart, vendors.KindCancel}, {"CLOSED", afterStart, vendors.KindEnd}} {
		e, err := upwork.Map(contract(t, func(m map[string]any) { m["status"] = c.status }), c.now)
		require.NoError(t, err)
		assert.Equal(t, c.want, e.Terminal, "%s at %s", c.status, c.now)
	}
	_, err = upwork.Map(contract(t, func(m map[string]any) { m["status"] = "SUSPENDED" }), beforeStart)
	assert.ErrorContains(t, err, "SUSPENDED", "an unknown status parks, naming it")
	payroll, err := upwork.Map(contract(t, func(m map[string]any) { m["kind"] = "PAYROLL" }), beforeStart)
	require.NoError(t, err)
	assert.NotEmpty(t, payroll.OutOfScope)
}

// TestAgainstTheReferenceAnswers: the refresh-token grant (rotating the refresh token), the
// tenant header, variables, and errors[] as a failure.
func TestAgainstTheReferenceAnswers(t *testing.T) {
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
		switch {
		case req.Variables["id"] == "41815410":
			w.Write(fixture(t, "contract_details.json"))
			return
		case req.Variables["id"] == "~01abc2def3":
			w.Write(fixture(t, "user_details.json"))
			return
		}
		w.Write(fixture(t, "not_found.json"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	store := &upwork.TokenFile{Path: filepath.Join(t.TempDir(), "upwork-refresh-token"), Configured: "first"}
	a := upwork.New(upwork.Config{APIURL: srv.URL, TokenURL: srv.URL + "/token", ClientID: "cid", ClientSecret: "csec", RefreshToken: "first",
		TenantID: "tenant-1", Store: store})
	e, err := a.FetchEngagement(context.Background(), "41815410")
	require.NoError(t, err)
	assert.Equal(t, int64(7500), e.Job.Wage)
	assert.Equal(t, vendors.Contractor{SourceID: "~01abc2def3", FirstName: "Ava", LastName: "Nguyen", Line1: "1 Market St", City: "San Francisco",
		Region: "CA", PostalCode: "94107", Country: "US"}, e.Contractor, "the address from userDetails(id).location")
	kept, err := store.Load()
	require.NoError(t, err)
	assert.Equal(t, "oauth2v2_r9s8t7", kept, "the newest refresh token is kept")
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
	store := &upwork.TokenFile{Path: filepath.Join(t.TempDir(), "upwork-refresh-token"), Configured: "rt0"}
	a := upwork.New(upwork.Config{APIURL: srv.URL + "/upwork", TokenURL: srv.URL + "/upwork" + platformsim.UpworkTokenPath, ClientID: "cid",
		ClientSecret: "csec", RefreshToken: "rt0", TenantID: "t", Store: store})
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	var ids []string
	for i := range 12 {
		ex := platformsim.Example{ID: "c" + string(rune('a'+i)), ContractorID: "f1", Rate: "75.00", Hourly: true, Start: start}
		require.NoError(t, sim.Seed("upwork", ex))
		ids = append(ids, ex.ID)
	}
	ctx := context.Background()
	e, err := a.FetchEngagement(ctx, "ca")
	require.NoError(t, err)
	assert.Empty(t, e.Contractor.Email, "the activity gives the proxy")
	assert.Empty(t, e.Contractor.Line1, "userDetails not readable: no address, nothing fails")
	assert.Equal(t, int64(7500), e.Job.Wage)
	kept, err := store.Load()
	require.NoError(t, err)
	assert.NotEqual(t, "rt0", kept, "the rotated refresh token is kept")
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
