package vendorstest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Spring-extracted API descriptions (WorkMarket's and JobDiva's server code, mechanically
// extracted: shared/reference/schemas/SOURCES.md): the endpoints with their request
// parameters, and the DTOs with their JSON field names and Java types. The contract tests of
// both adapters check calls, fixtures, simulator answers and the adapters' structs against
// them.

// Param is one request parameter of an endpoint.
type Param struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

// Endpoint is one controller mapping.
type Endpoint struct {
	Path    string  `json:"path"`
	Method  string  `json:"method"`
	Params  []Param `json:"params"`
	Returns string  `json:"returns"`
	Source  string  `json:"source"`
}

// DTO is one class: its JSON field names and their Java types.
type DTO struct {
	Source string            `json:"source"`
	Fields map[string]string `json:"fields"`
}

// Spring is a platform's extracted description.
type Spring struct {
	Endpoints []Endpoint
	DTOs      map[string]DTO
}

// Files of an extract, in the source and in a testdata subset.
const (
	ControllersFile = "controllers.json"
	DTOsFile        = "dtos.json"
)

// LoadSpring reads controllers.json and dtos.json from dir.
func LoadSpring(dir string) (*Spring, error) {
	s := &Spring{}
	for name, v := range map[string]any{ControllersFile: &s.Endpoints, DTOsFile: &s.DTOs} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return s, nil
}

// Endpoint finds a mapping by method and path ("ANY" matches every method).
func (s *Spring) Endpoint(method, path string) (Endpoint, bool) {
	for _, e := range s.Endpoints {
		if e.Path == path && (e.Method == method || e.Method == "ANY") {
			return e, true
		}
	}
	return Endpoint{}, false
}

// CheckCall checks that the endpoint exists and takes every query parameter sent (ignored
// names, such as the auth token, are left out).
func (s *Spring) CheckCall(method, path string, params []string, ignore ...string) error {
	e, ok := s.Endpoint(method, path)
	if !ok {
		return fmt.Errorf("%s %s: no such endpoint in the controllers", method, path)
	}
	for _, p := range params {
		if slices.Contains(ignore, p) {
			continue
		}
		if !slices.ContainsFunc(e.Params, func(q Param) bool { return q.Name == p }) {
			return fmt.Errorf("%s %s: the controller takes no parameter %q (%s)", method, path, p, e.Source)
		}
	}
	return nil
}

// elem is the element type of List<X> (and X[]), or "".
func elem(javaType string) string {
	if inner, ok := strings.CutPrefix(javaType, "List<"); ok {
		return strings.TrimSuffix(inner, ">")
	}
	if inner, ok := strings.CutSuffix(javaType, "[]"); ok {
		return inner
	}
	if javaType == "List" {
		return "Object"
	}
	return ""
}

// CheckJSON checks a JSON value against a Java type: every key of an object is a field of
// its DTO, and every value has the field's type (numbers, strings, booleans, lists, nested
// DTOs). Java objects may be null; primitives (int, long, double, boolean) may not. A DTO the
// extract does not hold is an unknown: its contents are not checked (unknowns lists them).
func (s *Spring) CheckJSON(javaType string, v any, path string, unknowns map[string]bool) error {
	if v == nil {
		if javaType != "" && javaType[0] >= 'a' && javaType[0] <= 'z' {
			return fmt.Errorf("%s: null for primitive %s", path, javaType)
		}
		return nil
	}
	if el := elem(javaType); el != "" {
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want a list (%s), got %T", path, javaType, v)
		}
		for i, item := range list {
			if err := s.CheckJSON(el, item, fmt.Sprintf("%s[%d]", path, i), unknowns); err != nil {
				return err
			}
		}
		return nil
	}
	want := ""
	switch javaType {
	case "String", "Date":
		want = "string"
	case "Long", "long", "Integer", "int":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return fmt.Errorf("%s: want an integer (%s), got %v", path, javaType, v)
		}
		return nil
	case "Double", "double", "Float", "float", "BigDecimal":
		want = "float64"
	case "Boolean", "boolean":
		want = "bool"
	case "Object", "T":
		return nil
	}
	if want != "" {
		if got := reflect.TypeOf(v).String(); got != want {
			return fmt.Errorf("%s: want %s (%s), got %s %v", path, want, javaType, got, v)
		}
		return nil
	}
	dto, ok := s.DTOs[javaType]
	if !ok {
		unknowns[javaType] = true
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: want an object %s, got %T", path, javaType, v)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t, ok := dto.Fields[k]
		if !ok {
			return fmt.Errorf("%s.%s: %s has no such field (%s)", path, k, javaType, dto.Source)
		}
		if err := s.CheckJSON(t, obj[k], path+"."+k, unknowns); err != nil {
			return err
		}
	}
	return nil
}

// CheckStruct checks that every JSON field a Go struct decodes exists in the DTO, recursing
// into nested structs whose DTO field names a DTO the extract holds.
func (s *Spring) CheckStruct(javaType string, t reflect.Type, path string, unknowns map[string]bool) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
		if el := elem(javaType); el != "" {
			javaType = el
		}
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	dto, ok := s.DTOs[javaType]
	if !ok {
		unknowns[javaType] = true
		return nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft, ok := dto.Fields[name]
		if !ok {
			return fmt.Errorf("%s.%s: %s has no such field (%s)", path, name, javaType, dto.Source)
		}
		inner := f.Type
		for inner.Kind() == reflect.Pointer || inner.Kind() == reflect.Slice {
			inner = inner.Elem()
		}
		if inner.Kind() == reflect.Struct && decodesFields(inner) {
			if err := s.CheckStruct(ft, f.Type, path+"."+name, unknowns); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodesFields reports whether a struct decodes JSON fields by their tags (not a value type
// with its own decoding, such as vendors.Amount).
func decodesFields(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).IsExported() && t.Field(i).Tag.Get("json") != "" {
			return true
		}
	}
	return false
}

// Subset keeps the endpoints matching keep and the DTOs they reach (return types, body types
// named in bodies, and their fields' types), for a testdata copy.
func (s *Spring) Subset(keep func(Endpoint) bool, roots ...string) *Spring {
	out := &Spring{DTOs: map[string]DTO{}}
	var reach func(javaType string)
	reach = func(javaType string) {
		for _, part := range strings.FieldsFunc(javaType, func(r rune) bool { return r == '<' || r == '>' || r == ',' || r == ' ' || r == '[' || r == ']' }) {
			dto, ok := s.DTOs[part]
			if !ok {
				continue
			}
			if _, seen := out.DTOs[part]; seen {
				continue
			}
			out.DTOs[part] = dto
			for _, t := range dto.Fields {
				reach(t)
			}
		}
	}
	for _, e := range s.Endpoints {
		if keep(e) {
			out.Endpoints = append(out.Endpoints, e)
			reach(e.Returns)
		}
	}
	for _, r := range roots {
		reach(r)
	}
	return out
}

// Write writes the subset's two files into dir.
func (s *Spring) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, v := range map[string]any{ControllersFile: s.Endpoints, DTOsFile: s.DTOs} {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// MustLoadSpring is LoadSpring for a test: a description that does not load fails it.
func MustLoadSpring(t testing.TB, dir string) *Spring {
	t.Helper()
	s, err := LoadSpring(dir)
	if err != nil {
		t.Fatalf("loading the extracted description in %s: %v", dir, err)
	}
	return s
}
