package jobdiva_test

import (
	"context"
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
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

// TestSignatureKnownAnswer is vendors.md's vector.
func TestSignatureKnownAnswer(t *testing.T) {
	body := fixture(t, "webhook_candidate.json")
	assert.Equal(t, "sha1=d993778d5c4171aab887ae3ebe050ef5a3b07915", jobdiva.Sign("jobdiva", body))
	a := jobdiva.New(jobdiva.Config{WebhookSecret: "jobdiva"})
	h := http.Header{}
	h.Set(jobdiva.HeaderSignature, "sha1=d993778d5c4171aab887ae3ebe050ef5a3b07915")
	assert.NoError(t, a.VerifyWebhook(h, body))
	h.Set(jobdiva.HeaderSignature, "d993778d5c4171aab887ae3ebe050ef5a3b07915")
	assert.True(t, vendors.IsSignatureError(a.VerifyWebhook(h, body)), "sha1= prefix required")
}

func TestParseWebhook(t *testing.T) {
	a := jobdiva.New(jobdiva.Config{})
	evs, err := a.ParseWebhook(nil, fixture(t, "webhook_candidate.json"))
	require.NoError(t, err)
	assert.Equal(t, vendors.KindContractorUpdate, evs[0].Kind)
	assert.Equal(t, "12345", evs[0].ContractorID)

	evs, err = a.ParseWebhook(nil, fixture(t, "webhook_billing.json"))
	require.NoError(t, err)
	assert.Equal(t, vendors.KindUpdate, evs[0].Kind)
	assert.Equal(t, "778899", evs[0].EngagementID)
	assert.True(t, evs[0].NoStart, "a billing change re-syncs a start; it never starts one")

	evs, err = a.ParseWebhook(nil, fixture(t, "webhook_timesheet.json"))
	require.NoError(t, err)
	assert.Equal(t, vendors.KindInvoice, evs[0].Kind)
	assert.Equal(t, "5551", evs[0].InvoiceID)

	for _, body := range []string{`{"type":"billing","operation":"Delete","id":"1"}`, `{"type":"job","operation":"Update","id":"1","data":[]}`,
		`{"type":"expense","operation":"Insert","id":"1","data":[]}`} {
		evs, err := a.ParseWebhook(nil, []byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, vendors.KindIgnore, evs[0].Kind, body)
	}
	for body, field := range map[string]string{
		`{"operation":"Update","id":"1"}`:                                             "type",
		`{"type":"billing","operation":"Update","id":"1","data":[{"X":"1"}]}`:         "data[0].STARTID",
		`{"type":"timesheet","operation":"Insert","id":"1","data":[{"STARTID":"1"}]}`: "data[0].TIMESHEETID",
	} {
		_, err := a.ParseWebhook(nil, []byte(body))
		var pe *vendors.ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field)
	}
}

// serveFixtures answers the reference's examples: searchStart by candidate and job, the BI
// reports (a window over 14 days answers only a message), authentication.
func serveFixtures(t *testing.T, headerFormat bool) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+jobdiva.PathAuthenticate, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("jd-token")) })
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer jd-token" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("POST "+jobdiva.PathSearchStart, auth(func(w http.ResponseWriter, _ *http.Request) { w.Write(fixture(t, "search_start.json")) }))
	mux.HandleFunc("GET "+jobdiva.PathBI+"{metric}", auth(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("alternateFormat") != "true" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch r.PathValue("metric") {
		case jobdiva.ReportHires:
			from, _ := jobdiva.ParseTime(q.Get("fromDate"))
			to, _ := jobdiva.ParseTime(q.Get("toDate"))
			switch {
			case to.Sub(from) > jobdiva.MaxReportWindow:
				w.Write(fixture(t, "too_wide.json"))
			case headerFormat:
				w.Write(fixture(t, "updated_hires_header.json"))
			default:
				w.Write(fixture(t, "updated_hires.json"))
			}
		case jobdiva.ReportTerminations:
			w.Write([]byte(`{"message":"Success","data":[]}`))
		case jobdiva.ReportCandidate:
			w.Write(fixture(t, "candidate_detail.json"))
		case jobdiva.ReportJob:
			w.Write(fixture(t, "job_detail.json"))
		case jobdiva.ReportTimesheet:
			w.Write(fixture(t, "timesheet_detail.json"))
		}
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestAgainstTheReferenceAnswers(t *testing.T) {
	for _, header := range []bool{false, true} {
		srv := serveFixtures(t, header)
		now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
		a := jobdiva.New(jobdiva.Config{APIURL: srv.URL, ClientID: "c", Username: "u", Password: "p", Now: func() time.Time { return now }})
		ctx := context.Background()
		e, err := a.FetchEngagementRefs(ctx, "778899", map[string]string{jobdiva.RefCandidate: "456", jobdiva.RefJob: "123"})
		require.NoError(t, err)
		assert.Equal(t, vendors.Contractor{SourceID: "456", FirstName: "Sam", LastName: "Worker", Email: "sam@example.com", Phone: "212-555-0100",
			Line1: "1 Main St", City: "Brooklyn", Region: "NY", PostalCode: "11201", Country: "US"}, e.Contractor)
		assert.Equal(t, vendors.Job{Name: "Contract Data Analyst", Description: "Reporting migration", ClientID: "3001", Category: "Data Analytics",
			Wage: 7000, WageType: "hourly", Region: "NY", Country: "US"}, e.Job, "agreed pay rate, not the bill rate")
		assert.Equal(t, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix(), e.Start)
		assert.Equal(t, time.Date(2027, 2, 28, 0, 0, 0, 0, time.UTC).Unix(), e.End, "date-times used as given")
		assert.Equal(t, "778899", e.Metadata.Quote["jobdiva_placement_id"])

		_, err = a.FetchEngagement(ctx, "778899")
		assert.ErrorContains(t, err, "candidate and job", "a start needs its candidate and job")

		inv, err := a.FetchInvoice(ctx, "778899", "5551")
		require.NoError(t, err)
		assert.Equal(t, int64(380000), inv.GrossPay)

		// A watermark 30 days back: three windows of at most 14 days, never one too wide.
		evs, mark, err := a.ListChanges(ctx, now.Add(-30*24*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, now, mark)
		require.Len(t, evs, 3, "the row in each of the three windows")
		assert.Equal(t, vendors.KindStart, evs[0].Kind)
		assert.Equal(t, map[string]string{jobdiva.RefCandidate: "456", jobdiva.RefJob: "123"}, evs[0].Refs)
		assert.NotEmpty(t, evs[0].Version)
		assert.Equal(t, evs[0].Version, evs[1].Version, "the same row (DATEUPDATED) is the same version in each window")
	}
}

func TestWindows(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	w := jobdiva.Windows(from, from.Add(30*24*time.Hour))
	require.Len(t, w, 3)
	for _, win := range w {
		assert.LessOrEqual(t, win[1].Sub(win[0]), jobdiva.MaxReportWindow)
	}
	assert.Equal(t, from.Add(30*24*time.Hour), w[2][1])
}

func TestMapScope(t *testing.T) {
	for _, pt := range []string{"Direct Placement", "W2", "Permanent"} {
		e, err := jobdiva.Map(jobdiva.Start{ID: "1", PositionType: pt}, nil, nil)
		require.NoError(t, err)
		assert.NotEmpty(t, e.OutOfScope, pt)
	}
}

// TestSimulatorAgreesWithTheAdapter: the simulator's reports, searchStart and timesheets
// decode into the adapter's types, with a re-authentication after the token expires.
func TestSimulatorAgreesWithTheAdapter(t *testing.T) {
	sim := platformsim.New(platformsim.Config{JobDivaLogin: [3]string{"c", "u", "p"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	a := jobdiva.New(jobdiva.Config{APIURL: srv.URL + "/jobdiva", ClientID: "c", Username: "u", Password: "p"})
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	ex := platformsim.Example{ID: "778899", ContractorID: "456", Email: "Sam@Example.com", Rate: "70.00", Hourly: true, Start: start, End: start.AddDate(0, 1, 0)}
	require.NoError(t, sim.Seed("jobdiva", ex))
	w2 := platformsim.Example{ID: "778900", ContractorID: "457", Rate: "70.00", Start: start, Type: "W2"}
	require.NoError(t, sim.Seed("jobdiva", w2))
	require.NoError(t, sim.SeedInvoice("jobdiva", ex, "5551", "3800.00"))
	ctx := context.Background()
	listed, err := a.ListOpen(ctx)
	require.NoError(t, err)
	require.Len(t, listed, 2)
	e, err := a.FetchEngagementRefs(ctx, listed[0].ID, listed[0].Refs)
	require.NoError(t, err)
	assert.Equal(t, "sam@example.com", e.Contractor.Email)
	assert.Equal(t, int64(7000), e.Job.Wage)
	out, err := a.FetchEngagementRefs(ctx, "778900", platformsim.EnrollBody("jobdiva", w2))
	require.NoError(t, err)
	assert.NotEmpty(t, out.OutOfScope, "a W-2 start is ignored")
	sim.ExpireJobDivaTokens()
	inv, err := a.FetchInvoice(ctx, ex.ID, "5551")
	require.NoError(t, err, "re-authenticated after a 401")
	assert.Equal(t, int64(380000), inv.GrossPay)
	assert.ElementsMatch(t, []string{"778899", "778900"}, []string{listed[0].ID, listed[1].ID}, "backfill lists both; the W-2 one is skipped when read")
}
