package platformsim

import (
	_ "embed"
	"encoding/json"
	"errors"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// UpworkSchemaFile is the part of Upwork's introspected GraphQL schema the product uses, under
// testdata/ (extracted by TestExtractUpworkSchema); the simulator validates every operation
// against it, and the adapter's contract test validates its operations against it.
const UpworkSchemaFile = "upwork-schema.graphql"

// UpworkRootFields are the Query fields the product calls; the subset holds them and every
// type they reach.
var UpworkRootFields = []string{"contractDetails", "contractList", "userDetails"}

// UpworkSchemaHeader names the subset's source.
const UpworkSchemaHeader = `# Upwork GraphQL schema, the part the product uses: the Query fields contractDetails,
# contractList and userDetails and every type they reach, unchanged.
# Source: github borntojesus/upwork-crm schema/upwork.graphql (blob 282de9be, added in
# 3cae9e48 2026-04-23, snapshot HEAD 8602b34e 2026-04-24): printSchema of a live introspection
# of https://api.upwork.com/graphql (a third party's capture; field visibility may depend on
# its token's scopes). Copied from shared/reference/schemas/upwork/upwork-introspected.graphql
# by: UPWORK_SCHEMA_SOURCE=<that file> go test ./sandbox/platformsim -run TestExtractUpworkSchema
`

//go:embed testdata/upwork-schema.graphql
var upworkSchemaText string

var upworkSchema = sync.OnceValues(func() (*ast.Schema, error) {
	return gqlparser.LoadSchema(&ast.Source{Name: UpworkSchemaFile, Input: upworkSchemaText})
})

// UpworkSchema is the parsed subset.
func UpworkSchema() (*ast.Schema, error) { return upworkSchema() }

// ValidateUpworkOperation checks an operation and its variables as a GraphQL server does
// before executing anything: the document against the schema (fields, arguments, variable
// types in their positions) and the variables' values against their declared types.
func ValidateUpworkOperation(query string, variables map[string]any) (*ast.OperationDefinition, gqlerror.List) {
	schema, err := upworkSchema()
	if err != nil {
		return nil, gqlerror.List{gqlerror.Errorf("schema: %v", err)}
	}
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		return nil, errs
	}
	if len(doc.Operations) != 1 {
		return nil, gqlerror.List{gqlerror.Errorf("send exactly one operation")}
	}
	op := doc.Operations[0]
	if _, err := validator.VariableValues(schema, op, variables); err != nil {
		var ge *gqlerror.Error
		if !errors.As(err, &ge) {
			ge = gqlerror.Errorf("%v", err)
		}
		return nil, gqlerror.List{ge}
	}
	return op, nil
}

// project keeps of a stored JSON value only the fields the selection asks for, under their
// aliases, as a GraphQL server answers (a list projects each element).
func project(raw json.RawMessage, sel ast.SelectionSet) json.RawMessage {
	if len(sel) == 0 || string(raw) == "null" {
		return raw
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		out := make([]json.RawMessage, len(list))
		for i, item := range list {
			out[i] = project(item, sel)
		}
		b, _ := json.Marshal(out)
		return b
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return raw
	}
	out := map[string]json.RawMessage{}
	for _, f := range collectFields(sel) {
		v, ok := obj[f.Name]
		if !ok {
			v = json.RawMessage("null")
		}
		out[f.Alias] = project(v, f.SelectionSet)
	}
	b, _ := json.Marshal(out)
	return b
}

// collectFields flattens fragments into the fields they select.
func collectFields(sel ast.SelectionSet) []*ast.Field {
	var out []*ast.Field
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			out = append(out, collectFields(s.SelectionSet)...)
		case *ast.FragmentSpread:
			out = append(out, collectFields(s.Definition.SelectionSet)...)
		}
	}
	return out
}
