package platformsim_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/coverage-orchestrator/coverage/sandbox/platformsim"
)

// TestExtractUpworkSchema rewrites testdata/upwork-schema.graphql from Upwork's introspected
// schema (the path in UPWORK_SCHEMA_SOURCE, shared/reference/schemas/upwork/
// upwork-introspected.graphql): the root fields the product calls and every type they reach,
// unchanged, so the subset validates exactly what the whole schema validates for them.
func TestExtractUpworkSchema(t *testing.T) {
	src := os.Getenv("UPWORK_SCHEMA_SOURCE")
	if src == "" {
		t.Skip("UPWORK_SCHEMA_SOURCE names the full introspected schema; nothing to extract")
	}
	full, err := os.ReadFile(src)
	require.NoError(t, err)
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: filepath.Base(src), Input: string(full)})
	require.NoError(t, err)
	doc := &ast.SchemaDocument{}
	seen := map[string]bool{}
	var reach func(name string)
	reach = func(name string) {
		def := schema.Types[name]
		if seen[name] || def == nil || (def.BuiltIn && def.Kind == ast.Scalar) {
			return
		}
		seen[name] = true
		if def.Kind != ast.Scalar || !def.BuiltIn {
			doc.Definitions = append(doc.Definitions, def)
		}
		for _, f := range def.Fields {
			reach(f.Type.Name())
			for _, a := range f.Arguments {
				reach(a.Type.Name())
			}
		}
		for _, n := range slices.Concat(def.Interfaces, def.Types) {
			reach(n)
		}
	}
	query := *schema.Query
	query.Fields = nil
	for _, f := range schema.Query.Fields {
		if slices.Contains(platformsim.UpworkRootFields, f.Name) {
			query.Fields = append(query.Fields, f)
		}
	}
	require.Len(t, query.Fields, len(platformsim.UpworkRootFields), "every root field the product calls exists")
	seen[query.Name] = true
	for _, f := range query.Fields {
		reach(f.Type.Name())
		for _, a := range f.Arguments {
			reach(a.Type.Name())
		}
	}
	slices.SortFunc(doc.Definitions, func(a, b *ast.Definition) int { return bytes.Compare([]byte(a.Name), []byte(b.Name)) })
	doc.Definitions = append([]*ast.Definition{&query}, doc.Definitions...)
	var out bytes.Buffer
	out.WriteString(platformsim.UpworkSchemaHeader)
	formatter.NewFormatter(&out, formatter.WithIndent("  ")).FormatSchemaDocument(doc)
	require.NoError(t, os.WriteFile(filepath.Join("testdata", platformsim.UpworkSchemaFile), out.Bytes(), 0o644))
	t.Logf("%d types", len(doc.Definitions))
}
