package workmarket_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/vendors/vendorstest"
	"github.com/coverage-orchestrator/coverage/vendors/workmarket"
)

// Contract tests against WorkMarket's endpoints, DTOs and webhook variables, extracted from
// its server code (testdata/schema: the part the adapter uses; source and commit in every
// entry and in testdata/schema/SOURCE.md).

const schemaDir = "testdata/schema"

// The adapter's paths, as the controllers map them.
var paths = []string{workmarket.PathAuthorize, workmarket.PathAssignment, workmarket.PathListUpdated, workmarket.PathAttachments, workmarket.PathAttachment}

const webhookVariablesFile = "webhook-variables.json"

// TestExtractWorkMarketSchema rewrites testdata/schema from the full extract (the directory
// in WORKMARKET_SCHEMA_SOURCE, shared/reference/schemas/workmarket).
func TestExtractWorkMarketSchema(t *testing.T) {
	src := os.Getenv("WORKMARKET_SCHEMA_SOURCE")
	if src == "" {
		t.Skip("WORKMARKET_SCHEMA_SOURCE names the full extract; nothing to extract")
	}
	full, err := vendorstest.LoadSpring(src)
	require.NoError(t, err)
	sub := full.Subset(func(e vendorstest.Endpoint) bool { return slices.Contains(paths, e.Path) }, "ApiV1Response", "ApiV1ResponseMeta", "ApiV1Pagination")
	require.NoError(t, sub.Write(schemaDir))
	vars, err := os.ReadFile(filepath.Join(src, webhookVariablesFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(schemaDir, webhookVariablesFile), vars, 0o644))
}

// recordCalls runs every adapter call against the simulator and records each exchange.
func recordCalls(t *testing.T) []vendorstest.Exchange {
	t.Helper()
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{workmarket.Vendor: "api-token"}, WorkMarketSecret: "api-secret"})
	rec := vendorstest.Record(t, sim, "/workmarket")
	a := workmarket.New(workmarket.Config{APIURL: rec.URL + "/workmarket", Token: "api-token", Secret: "api-secret"})
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	ex := platformsim.Example{ID: "6029116324", ContractorID: "98765432", Email: "sam@example.com", Rate: "50.00", Hourly: true, Start: start, End: start.AddDate(0, 0, 1)}
	require.NoError(t, sim.Seed(workmarket.Vendor, ex))
	require.NoError(t, sim.SeedDocument(workmarket.Vendor, ex, "5b6f0c1e", "COI.pdf", []byte("%PDF-1.4 coi")))
	ctx := context.Background()
	_, err := a.FetchEngagement(ctx, ex.ID)
	require.NoError(t, err)
	_, err = a.FetchDocument(ctx, ex.ID, "5b6f0c1e")
	require.NoError(t, err)
	_, _, err = a.ListChanges(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.NoError(t, sim.SeedInvoice(workmarket.Vendor, ex, "INV-1", "440.00"))
	_, err = a.FetchInvoice(ctx, ex.ID, "INV-1")
	require.NoError(t, err)
	_, err = a.FetchEngagement(ctx, "missing")
	require.Error(t, err)
	return rec.Exchanges()
}

// TestCallsExistInTheControllers: every path, method and parameter the adapter sends is
// mapped by WorkMarket's controllers (access_token is the authentication, read by a filter).
func TestCallsExistInTheControllers(t *testing.T) {
	s := vendorstest.MustLoadSpring(t, schemaDir)
	seen := map[string]bool{}
	for _, c := range recordCalls(t) {
		assert.NoError(t, s.CheckCall(c.Method, c.Path, c.Params, "access_token"))
		seen[c.Path] = true
	}
	for _, p := range paths {
		assert.True(t, seen[p], "the recorded calls reach %s", p)
	}
}

// returned is the DTO an endpoint's answer holds inside ApiV1Response<…>, with the page's
// element type when it is an ApiV1Pagination<…>.
func returned(t *testing.T, s *vendorstest.Spring, method, path string) (dto, pageOf string) {
	e, ok := s.Endpoint(method, path)
	require.True(t, ok, path)
	inner := strings.TrimSuffix(strings.TrimPrefix(e.Returns, "ApiV1Response<"), ">")
	if el, ok := strings.CutPrefix(inner, "ApiV1Pagination<"); ok {
		return "ApiV1Pagination", strings.TrimSuffix(el, ">")
	}
	return inner, ""
}

// checkEnvelope checks an answer against ApiV1Response with the endpoint's DTO inside.
func checkEnvelope(t *testing.T, s *vendorstest.Spring, method, path string, answer []byte, unknowns map[string]bool) error {
	var env struct {
		Meta     any            `json:"meta"`
		Response any            `json:"response"`
		Rest     map[string]any `json:"-"`
	}
	var all map[string]any
	require.NoError(t, json.Unmarshal(answer, &all), string(answer))
	require.NoError(t, json.Unmarshal(answer, &env))
	if err := s.CheckJSON("ApiV1Response", all, "answer", unknowns); err != nil {
		return err
	}
	if err := s.CheckJSON("ApiV1ResponseMeta", env.Meta, "meta", unknowns); err != nil {
		return err
	}
	dto, pageOf := returned(t, s, method, path)
	if pageOf == "" {
		return s.CheckJSON(dto, env.Response, "response", unknowns)
	}
	page, _ := env.Response.(map[string]any)
	data := page["data"]
	delete(page, "data")
	if err := s.CheckJSON(dto, page, "response", unknowns); err != nil {
		return err
	}
	return s.CheckJSON("List<"+pageOf+">", data, "response.data", unknowns)
}

// TestAnswersMatchTheDTOs: every fixture and every simulator answer holds only fields of the
// DTO its endpoint returns, with their types (location.id is a Long, attachments carry
// filename and size, pricing only ApiPricingDTO's fields).
func TestAnswersMatchTheDTOs(t *testing.T) {
	s := vendorstest.MustLoadSpring(t, schemaDir)
	unknowns := map[string]bool{}
	for name, path := range map[string]string{"assignment.json": workmarket.PathAssignment, "attachments.json": workmarket.PathAttachments,
		"attachment.json": workmarket.PathAttachment, "list_updated.json": workmarket.PathListUpdated, "authorization.json": workmarket.PathAuthorize,
		"not_found.json": workmarket.PathAssignment} {
		method := http.MethodGet
		if path == workmarket.PathAuthorize {
			method = http.MethodPost
		}
		assert.NoError(t, checkEnvelope(t, s, method, path, fixture(t, name), unknowns), name)
	}
	for _, c := range recordCalls(t) {
		assert.NoError(t, checkEnvelope(t, s, c.Method, c.Path, c.Answer, unknowns), "simulator %s %s", c.Method, c.Path)
	}
	assert.Equal(t, map[string]bool{"ApiPhoneNumberDTO": true}, unknowns, "DTOs the extract lacks (their fields are assumptions)")
}

// TestAdapterReadsOnlyDTOFields: every JSON field the adapter's types decode exists in the DTO.
func TestAdapterReadsOnlyDTOFields(t *testing.T) {
	s := vendorstest.MustLoadSpring(t, schemaDir)
	unknowns := map[string]bool{}
	for dto, v := range map[string]any{"ApiAssignmentDetailsDTO": workmarket.Assignment{}, "ApiAttachmentDTO": workmarket.Attachment{},
		"ApiAssignmentListItemDTO": workmarket.Updated{}} {
		assert.NoError(t, s.CheckStruct(dto, reflect.TypeOf(v), dto, unknowns))
	}
	assert.Equal(t, map[string]bool{"ApiPhoneNumberDTO": true}, unknowns, "phone_numbers[].phone is an assumption")
}

// TestReadmeTemplateVariables: every ${variable} of the README's WorkMarket webhook bodies is
// one WorkMarket expands (WebHookDispatchField), and the adapter reads the body keys they fill.
func TestReadmeTemplateVariables(t *testing.T) {
	var vars struct {
		Variables []string `json:"variables"`
	}
	data, err := os.ReadFile(filepath.Join(schemaDir, webhookVariablesFile))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &vars))
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	rows := regexp.MustCompile("(?m)^ *\\| [^|]+ \\| `(\\{\"event\":\"assignment\\.[^`]+)` \\|$").FindAllStringSubmatch(string(readme), -1)
	require.Len(t, rows, len(workmarket.Events), "one template per event")
	webhookKeys := map[string]bool{}
	wt := reflect.TypeOf(workmarket.Webhook{})
	for i := range wt.NumField() {
		webhookKeys[strings.Split(wt.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	for _, row := range rows {
		var body map[string]string
		require.NoError(t, json.Unmarshal([]byte(row[1]), &body), row[1])
		for key, value := range body {
			assert.True(t, webhookKeys[key], "the adapter reads %q", key)
			for _, m := range regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(value, -1) {
				assert.Contains(t, vars.Variables, m[1], "README template variable")
			}
		}
	}
}
