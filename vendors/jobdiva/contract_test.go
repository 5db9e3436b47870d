package jobdiva_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/vendors/jobdiva"
	"github.com/coverage-orchestrator/coverage/vendors/vendorstest"
)

// Contract tests against JobDiva's endpoints and DTOs, extracted from its API server's code
// (testdata/schema: the part the adapter uses; source and commit in every entry and in
// testdata/schema/SOURCE.md). The BI reports' columns are not in that code (they come from a
// BI servlet it does not hold): they stay assumptions, checked by nothing here.

const (
	schemaDir           = "testdata/schema"
	webhookSyncTypeFile = "webhook-sync-type.json"
)

var reports = []string{jobdiva.ReportHires, jobdiva.ReportTerminations, jobdiva.ReportCandidate, jobdiva.ReportJob, jobdiva.ReportTimesheet}

func usedPath(p string) bool {
	return p == jobdiva.PathAuthenticate || p == jobdiva.PathSearchStart ||
		slices.ContainsFunc(reports, func(r string) bool { return p == jobdiva.PathBI+r })
}

// TestExtractJobDivaSchema rewrites testdata/schema from the full extract (the directory in
// JOBDIVA_SCHEMA_SOURCE, shared/reference/schemas/jobdiva).
func TestExtractJobDivaSchema(t *testing.T) {
	src := os.Getenv("JOBDIVA_SCHEMA_SOURCE")
	if src == "" {
		t.Skip("JOBDIVA_SCHEMA_SOURCE names the full extract; nothing to extract")
	}
	full, err := vendorstest.LoadSpring(src)
	require.NoError(t, err)
	require.NoError(t, full.Subset(func(e vendorstest.Endpoint) bool { return usedPath(e.Path) }, "SearchStartDef").Write(schemaDir))
	raw, err := os.ReadFile(filepath.Join(src, webhookSyncTypeFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(schemaDir, webhookSyncTypeFile), raw, 0o644))
}

func recordCalls(t *testing.T) []vendorstest.Exchange {
	t.Helper()
	sim := platformsim.New(platformsim.Config{JobDivaLogin: [3]string{"7", "u", "p"}})
	rec := vendorstest.Record(t, sim, "/jobdiva")
	a := jobdiva.New(jobdiva.Config{APIURL: rec.URL + "/jobdiva", ClientID: "7", Username: "u", Password: "p"})
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	ex := platformsim.Example{ID: "778899", ContractorID: "456", JobID: "123", Email: "sam@example.com", Rate: "70.00", Hourly: true, Start: start, End: start.AddDate(0, 1, 0)}
	require.NoError(t, sim.Seed(jobdiva.Vendor, ex))
	require.NoError(t, sim.SeedInvoice(jobdiva.Vendor, ex, "5551", "3800.00"))
	ctx := context.Background()
	_, _, err := a.ListChanges(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	_, err = a.FetchEngagementRefs(ctx, ex.ID, platformsim.EnrollBody(jobdiva.Vendor, ex))
	require.NoError(t, err)
	_, err = a.FetchInvoice(ctx, ex.ID, "5551")
	require.NoError(t, err)
	return rec.Exchanges()
}

// TestCallsExistInTheControllers: every path, method and parameter the adapter sends is
// mapped by JobDiva's controllers; searchStart's body keys are SearchStartDef's fields.
func TestCallsExistInTheControllers(t *testing.T) {
	s := vendorstest.MustLoadSpring(t, schemaDir)
	seen := map[string]bool{}
	for _, c := range recordCalls(t) {
		assert.NoError(t, s.CheckCall(c.Method, c.Path, c.Params))
		seen[c.Path] = true
		if c.Path == jobdiva.PathSearchStart {
			var body any
			require.NoError(t, json.Unmarshal(c.Body, &body))
			assert.NoError(t, s.CheckJSON("SearchStartDef", body, "searchStart body", map[string]bool{}))
		}
	}
	for _, r := range reports {
		assert.True(t, seen[jobdiva.PathBI+r], "the recorded calls read %s", r)
	}
	assert.True(t, seen[jobdiva.PathSearchStart] && seen[jobdiva.PathAuthenticate])
}

// TestSearchStartAnswersAreActivities: the fixture and the simulator's searchStart answers
// are List<Activity> (field names with their spaces, types), and the adapter's Start decodes
// only Activity fields.
func TestSearchStartAnswersAreActivities(t *testing.T) {
	s := vendorstest.MustLoadSpring(t, schemaDir)
	e, ok := s.Endpoint(http.MethodPost, jobdiva.PathSearchStart)
	require.True(t, ok)
	unknowns := map[string]bool{}
	check := func(what string, raw []byte) {
		var v any
		require.NoError(t, json.Unmarshal(raw, &v), what)
		assert.NoError(t, s.CheckJSON(e.Returns, v, what, unknowns))
	}
	check("search_start.json", fixture(t, "search_start.json"))
	for _, c := range recordCalls(t) {
		if c.Path == jobdiva.PathSearchStart {
			check("simulator", c.Answer)
		}
	}
	assert.NoError(t, s.CheckStruct("Activity", reflect.TypeOf(jobdiva.Start{}), "Start", unknowns))
	assert.Empty(t, unknowns)
}

// TestWebhookTypesAreJobDivas: the notification types the adapter acts on are values of
// JobDiva's WebhookSyncType enum.
func TestWebhookTypesAreJobDivas(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(schemaDir, webhookSyncTypeFile))
	require.NoError(t, err)
	var src struct {
		Raw string `json:"raw"`
	}
	require.NoError(t, json.Unmarshal(raw, &src))
	var values []string
	for _, m := range regexp.MustCompile(`(?m)^\s*[A-Z]+\("(\w*)"\)`).FindAllStringSubmatch(src.Raw, -1) {
		values = append(values, m[1])
	}
	require.NotEmpty(t, values)
	for _, typ := range []string{jobdiva.TypeCandidate, jobdiva.TypeBilling, jobdiva.TypeSalary, jobdiva.TypeTimesheet} {
		assert.Contains(t, values, typ)
	}
}
