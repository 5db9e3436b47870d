package upwork_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
	"github.com/coverage-orchestrator/coverage/vendors/upwork"
	"github.com/coverage-orchestrator/coverage/vendors/vendorstest"
)

// Contract tests against Upwork's introspected schema (sandbox/platformsim/testdata/
// upwork-schema.graphql, its source named in its header): what the adapter sends and what it
// reads, checked by a GraphQL validator, not by a hand-copied expectation.

type sent struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// recordOperations runs the adapter's calls against the simulator and returns every GraphQL
// request it sent, with the variables its call sites passed.
func recordOperations(t *testing.T) []sent {
	t.Helper()
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{upwork.Vendor: "tok"}})
	rec := vendorstest.Record(t, sim, "/upwork")
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 3)
	require.NoError(t, sim.Seed(upwork.Vendor, platformsim.Example{ID: "41815410", ContractorID: "~01abc2def3", Rate: "75.00", Hourly: true, Start: start}))
	var user struct {
		Data struct {
			UserDetails json.RawMessage `json:"userDetails"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(fixture(t, "user_details.json"), &user))
	require.NoError(t, sim.Put(upwork.Vendor, platformsim.UpworkUsers, "~01abc2def3", user.Data.UserDetails))
	a := upwork.New(upwork.Config{APIURL: rec.URL + "/upwork", AccessToken: "tok", TenantID: "t"})
	_, err := a.FetchEngagement(context.Background(), "41815410")
	require.NoError(t, err)
	_, err = a.Refresh(context.Background(), []string{"41815410", "1"})
	require.NoError(t, err)
	var got []sent
	for _, x := range rec.Exchanges() {
		var s sent
		require.NoError(t, json.Unmarshal(x.Body, &s))
		got = append(got, s)
	}
	return got
}

func schema(t *testing.T) *ast.Schema {
	t.Helper()
	s, err := platformsim.UpworkSchema()
	require.NoError(t, err)
	return s
}

// TestEveryOperationValidates: each operation the adapter sent, with its call site's variables,
// passes GraphQL validation (fields exist, variable types fit their positions, values fit the
// types), and together they call every root field the schema subset was cut for.
func TestEveryOperationValidates(t *testing.T) {
	ops := recordOperations(t)
	var roots []string
	for _, op := range ops {
		parsed, errs := platformsim.ValidateUpworkOperation(op.Query, op.Variables)
		require.Empty(t, errs, "%s\nvariables %v", op.Query, op.Variables)
		for _, sel := range parsed.SelectionSet {
			roots = append(roots, sel.(*ast.Field).Name)
		}
	}
	slices.Sort(roots)
	want := slices.Clone(platformsim.UpworkRootFields)
	slices.Sort(want)
	assert.Equal(t, want, slices.Compact(roots))
	for _, q := range []string{upwork.ContractDetailsQuery, upwork.ContractListQuery, upwork.UserDetailsQuery} {
		assert.True(t, slices.ContainsFunc(ops, func(s sent) bool { return s.Query == q }), "sent: %s", q)
	}
}

// TestEnumValuesTheAdapterDecidesOn: the statuses and kinds the adapter switches on are the
// schema's, and every ContractStatus value is handled (in force or closed).
func TestEnumValuesTheAdapterDecidesOn(t *testing.T) {
	s := schema(t)
	values := func(enum string) []string {
		def := s.Types[enum]
		require.NotNil(t, def, enum)
		var out []string
		for _, v := range def.EnumValues {
			out = append(out, v.Name)
		}
		slices.Sort(out)
		return out
	}
	handled := append(slices.Clone(upwork.StatusInForce), upwork.StatusClosed)
	slices.Sort(handled)
	assert.Equal(t, values("ContractStatus"), handled)
	assert.Contains(t, values("ContractKind"), upwork.KindPayroll)
}

// TestFixturesAnswerTheOperations: each fixture is a valid answer of the operation the adapter
// sends (only the selected fields, with their types, enum values and nullability).
func TestFixturesAnswerTheOperations(t *testing.T) {
	for name, q := range map[string]string{"contract_details.json": upwork.ContractDetailsQuery, "not_found.json": upwork.ContractDetailsQuery,
		"user_details.json": upwork.UserDetailsQuery} {
		var answer struct {
			Data   json.RawMessage `json:"data"`
			Errors []any           `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(fixture(t, name), &answer))
		assert.NoError(t, checkAnswer(t, q, answer.Data, len(answer.Errors) > 0), name)
	}
}

// TestSimulatorAnswersAsUpworkDoes: an operation the schema refuses is answered 200 with
// errors[] and no data; a valid one gets exactly the fields it selected.
func TestSimulatorAnswersAsUpworkDoes(t *testing.T) {
	sim := platformsim.New(platformsim.Config{Tokens: map[string]string{upwork.Vendor: "tok"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	require.NoError(t, sim.Seed(upwork.Vendor, platformsim.Example{ID: "41815410", ContractorID: "~f", Rate: "75.00", Hourly: true,
		Start: time.Now().UTC().AddDate(0, 0, 3)}))
	post := func(q string, vars map[string]any) map[string]json.RawMessage {
		body, _ := json.Marshal(sent{Query: q, Variables: vars})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/upwork/graphql", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set(upwork.HeaderTenant, "t")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var out map[string]json.RawMessage
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out
	}
	for _, bad := range []sent{
		{`query($id: String!) { contractDetails(id: $id) { id } }`, map[string]any{"id": "41815410"}},
		{`query($ids: [String]!) { contractList(ids: $ids) { contracts { id } } }`, map[string]any{"ids": []string{"41815410"}}},
		{`query($id: ID!) { contractDetails(id: $id) { freelancer { email } } }`, map[string]any{"id": "41815410"}},
		{`query($id: ID!) { contractDetails(id: $id) { id } }`, map[string]any{}},
	} {
		out := post(bad.Query, bad.Variables)
		assert.NotContains(t, out, "data", bad.Query)
		assert.NotEqual(t, "null", string(out["errors"]), bad.Query)
		assert.Contains(t, string(out["errors"]), "message", bad.Query)
	}
	out := post(`query($id: ID!) { contractDetails(id: $id) { id who: freelancer { firstName } } }`, map[string]any{"id": "41815410"})
	assert.JSONEq(t, `{"contractDetails":{"id":"41815410","who":{"firstName":"Jordan"}}}`, string(out["data"]))
	for _, op := range recordOperations(t) {
		out := post(op.Query, op.Variables)
		_, errored := out["errors"]
		assert.NoError(t, checkAnswer(t, op.Query, out["data"], errored), op.Query)
	}
}

// checkAnswer checks data against the operation's selection and the schema's types.
func checkAnswer(t *testing.T, query string, data json.RawMessage, errored bool) error {
	t.Helper()
	op, errs := platformsim.ValidateUpworkOperation(query, map[string]any{"id": "1", "ids": []string{"1"}})
	require.Empty(t, errs)
	s := schema(t)
	var check func(path string, typ *ast.Type, sel ast.SelectionSet, v any) error
	check = func(path string, typ *ast.Type, sel ast.SelectionSet, v any) error {
		if v == nil {
			if typ.NonNull && !errored {
				return fmt.Errorf("%s: null for non-null %s", path, typ)
			}
			return nil
		}
		if typ.Elem != nil {
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s: want a list for %s", path, typ)
			}
			for i, item := range list {
				if err := check(fmt.Sprintf("%s[%d]", path, i), typ.Elem, sel, item); err != nil {
					return err
				}
			}
			return nil
		}
		def := s.Types[typ.NamedType]
		switch def.Kind {
		case ast.Enum:
			if def.EnumValues.ForName(fmt.Sprint(v)) == nil {
				return fmt.Errorf("%s: %v is not a %s value", path, v, def.Name)
			}
			return nil
		case ast.Scalar:
			ok := true
			switch def.Name {
			case "String", "ID":
				_, ok = v.(string)
			case "Int", "Float":
				_, ok = v.(float64)
			case "Boolean":
				_, ok = v.(bool)
			}
			if !ok {
				return fmt.Errorf("%s: %v is not a %s", path, v, def.Name)
			}
			return nil
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object %s", path, def.Name)
		}
		fields := map[string]*ast.Field{}
		for _, f := range sel {
			fields[f.(*ast.Field).Alias] = f.(*ast.Field)
		}
		for k := range obj {
			if fields[k] == nil {
				return fmt.Errorf("%s.%s: not selected", path, k)
			}
		}
		for alias, f := range fields {
			v, ok := obj[alias]
			if !ok {
				return fmt.Errorf("%s.%s: selected but missing", path, alias)
			}
			if err := check(path+"."+alias, f.Definition.Type, f.SelectionSet, v); err != nil {
				return err
			}
		}
		return nil
	}
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	return check("data", &ast.Type{NamedType: "Query", NonNull: !errored}, op.SelectionSet, v)
}
