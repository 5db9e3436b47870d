package vendorstest

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// TypeScript type declarations as @hey-api/openapi-ts generates them from an OpenAPI document
// (Remote's types.gen.ts): enough of the language to read them back as schemas and check JSON
// against them (objects with optional and nullable fields, index signatures, unions of
// literals, arrays, intersections, references). TypeScript loses integer vs number and
// additionalProperties: numbers are numbers, and an object without an index signature is
// taken as closed (a field it does not declare is reported).

// TSType is one parsed type expression.
type TSType struct {
	Kind    string // object, union, intersection, array, literal, prim, ref
	Fields  map[string]TSField
	Index   *TSType // [key: string]: T
	Members []*TSType
	Elem    *TSType
	Literal any    // string, float64 or bool
	Name    string // prim: string, number, boolean, unknown, any, null, never; ref: the type's name
}

// TSField is an object member.
type TSField struct {
	Type     *TSType
	Optional bool
}

// TSTypes are the declarations of a file by name, with their source text.
type TSTypes struct {
	Decls  map[string]*TSType
	Source map[string]string
}

var (
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment  = regexp.MustCompile(`(?m)^\s*//.*$`)
	exportType   = regexp.MustCompile(`(?m)^export type (\w+)\s*=`)
)

// ParseTS reads every `export type Name = …;` of a file.
func ParseTS(src string) (*TSTypes, error) {
	text := lineComment.ReplaceAllString(blockComment.ReplaceAllString(src, ""), "")
	locs := exportType.FindAllStringSubmatchIndex(text, -1)
	out := &TSTypes{Decls: map[string]*TSType{}, Source: map[string]string{}}
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		name := text[loc[2]:loc[3]]
		body := strings.TrimSpace(text[loc[1]:end])
		body = strings.TrimSuffix(body, ";")
		p := &tsParser{toks: tokenize(body)}
		t, err := p.parseType()
		if err != nil {
			return nil, fmt.Errorf("type %s: %w", name, err)
		}
		if p.pos != len(p.toks) {
			return nil, fmt.Errorf("type %s: unexpected %q", name, p.toks[p.pos])
		}
		out.Decls[name] = t
		out.Source[name] = "export type " + name + " = " + body + ";"
	}
	return out, nil
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && rune(s[j]) != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '$' || c == '-' && i+1 < len(s) && unicode.IsDigit(rune(s[i+1])):
			j := i + 1
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) || s[j] == '_' || s[j] == '$' || s[j] == '.') {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			toks = append(toks, string(c))
			i++
		}
	}
	return toks
}

type tsParser struct {
	toks []string
	pos  int
}

func (p *tsParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *tsParser) next() string { t := p.peek(); p.pos++; return t }

func (p *tsParser) expect(t string) error {
	if got := p.next(); got != t {
		return fmt.Errorf("want %q, got %q", t, got)
	}
	return nil
}

func (p *tsParser) parseType() (*TSType, error) {
	if p.peek() == "|" {
		p.next()
	}
	first, err := p.parseIntersection()
	if err != nil {
		return nil, err
	}
	members := []*TSType{first}
	for p.peek() == "|" {
		p.next()
		t, err := p.parseIntersection()
		if err != nil {
			return nil, err
		}
		members = append(members, t)
	}
	if len(members) == 1 {
		return first, nil
	}
	return &TSType{Kind: "union", Members: members}, nil
}

func (p *tsParser) parseIntersection() (*TSType, error) {
	first, err := p.parsePostfix()
	if err != nil {
		return nil, err
	}
	members := []*TSType{first}
	for p.peek() == "&" {
		p.next()
		t, err := p.parsePostfix()
		if err != nil {
			return nil, err
		}
		members = append(members, t)
	}
	if len(members) == 1 {
		return first, nil
	}
	return &TSType{Kind: "intersection", Members: members}, nil
}

func (p *tsParser) parsePostfix() (*TSType, error) {
	t, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for p.peek() == "[" {
		if p.pos+1 < len(p.toks) && p.toks[p.pos+1] == "]" {
			p.pos += 2
			t = &TSType{Kind: "array", Elem: t}
			continue
		}
		for depth := 0; ; { // an indexed access, T[keyof T]: not checked
			switch p.next() {
			case "[":
				depth++
			case "]":
				depth--
			case "":
				return nil, fmt.Errorf("unterminated indexed access")
			}
			if depth == 0 {
				break
			}
		}
		t = &TSType{Kind: "prim", Name: "unknown"}
	}
	return t, nil
}

func (p *tsParser) parsePrimary() (*TSType, error) {
	tok := p.next()
	switch {
	case tok == "{":
		return p.parseObject()
	case tok == "(":
		t, err := p.parseType()
		if err != nil {
			return nil, err
		}
		return t, p.expect(")")
	case tok == "Array":
		if err := p.expect("<"); err != nil {
			return nil, err
		}
		el, err := p.parseType()
		if err != nil {
			return nil, err
		}
		return &TSType{Kind: "array", Elem: el}, p.expect(">")
	case strings.HasPrefix(tok, "'") || strings.HasPrefix(tok, `"`):
		return &TSType{Kind: "literal", Literal: tok[1 : len(tok)-1]}, nil
	case tok == "true" || tok == "false":
		return &TSType{Kind: "literal", Literal: tok == "true"}, nil
	case tok == "string" || tok == "number" || tok == "boolean" || tok == "unknown" || tok == "any" || tok == "null" || tok == "never" ||
		tok == "undefined":
		return &TSType{Kind: "prim", Name: tok}, nil
	case tok != "" && (unicode.IsDigit(rune(tok[0])) || tok[0] == '-'):
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, err
		}
		return &TSType{Kind: "literal", Literal: f}, nil
	case tok == "keyof":
		return p.parsePrimary()
	case tok != "" && (unicode.IsLetter(rune(tok[0])) || tok[0] == '_'):
		return &TSType{Kind: "ref", Name: tok}, nil
	}
	return nil, fmt.Errorf("unexpected %q", tok)
}

func (p *tsParser) parseObject() (*TSType, error) {
	obj := &TSType{Kind: "object", Fields: map[string]TSField{}}
	for p.peek() != "}" {
		if p.peek() == "" {
			return nil, fmt.Errorf("unterminated object")
		}
		if p.peek() == "readonly" && p.pos+1 < len(p.toks) && p.toks[p.pos+1] != ":" && p.toks[p.pos+1] != "?" {
			p.next()
		}
		if p.peek() == "[" { // [key: string]: T
			p.next()
			p.next()
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			p.next()
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			t, err := p.parseType()
			if err != nil {
				return nil, err
			}
			obj.Index = t
		} else {
			name := p.next()
			if strings.HasPrefix(name, "'") || strings.HasPrefix(name, `"`) {
				name = name[1 : len(name)-1]
			}
			optional := false
			if p.peek() == "?" {
				p.next()
				optional = true
			}
			if err := p.expect(":"); err != nil {
				return nil, fmt.Errorf("member %s: %w", name, err)
			}
			t, err := p.parseType()
			if err != nil {
				return nil, fmt.Errorf("member %s: %w", name, err)
			}
			obj.Fields[name] = TSField{Type: t, Optional: optional}
		}
		if p.peek() == ";" || p.peek() == "," {
			p.next()
		}
	}
	p.next()
	return obj, nil
}

// Refs lists the type names an expression refers to.
func (t *TSType) Refs() []string {
	var out []string
	var walk func(*TSType)
	walk = func(t *TSType) {
		if t == nil {
			return
		}
		if t.Kind == "ref" {
			out = append(out, t.Name)
		}
		for _, f := range t.Fields {
			walk(f.Type)
		}
		walk(t.Index)
		walk(t.Elem)
		for _, m := range t.Members {
			walk(m)
		}
	}
	walk(t)
	return out
}

// Subset is the source of the named declarations and every declaration they reach, in a
// stable order.
func (ts *TSTypes) Subset(roots ...string) string {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] || ts.Decls[n] == nil {
			return
		}
		seen[n] = true
		for _, r := range ts.Decls[n].Refs() {
			visit(r)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(ts.Source[n] + "\n\n")
	}
	return b.String()
}

// Resolve follows references to a declaration.
func (ts *TSTypes) Resolve(t *TSType) (*TSType, error) {
	for t != nil && t.Kind == "ref" {
		d, ok := ts.Decls[t.Name]
		if !ok {
			return nil, fmt.Errorf("type %s is not declared", t.Name)
		}
		t = d
	}
	return t, nil
}

// Check checks a decoded JSON value against a type: required fields present, no field an
// object does not declare, types, literal values (enums) and nullability.
func (ts *TSTypes) Check(t *TSType, v any, path string) error {
	t, err := ts.Resolve(t)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch t.Kind {
	case "union":
		var errs []string
		for _, m := range t.Members {
			err := ts.Check(m, v, path)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no member of the union: %s", path, strings.Join(errs, " / "))
	case "intersection":
		merged, err := ts.merge(t)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return ts.Check(merged, v, path)
	case "literal":
		if v != t.Literal {
			return fmt.Errorf("%s: %v is not %v", path, v, t.Literal)
		}
		return nil
	case "array":
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: want an array, got %T", path, v)
		}
		for i, item := range list {
			if err := ts.Check(t.Elem, item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case "prim":
		ok := true
		switch t.Name {
		case "string":
			_, ok = v.(string)
		case "number":
			_, ok = v.(float64)
		case "boolean":
			_, ok = v.(bool)
		case "null":
			ok = v == nil
		case "never", "undefined":
			ok = false
		}
		if !ok {
			return fmt.Errorf("%s: want %s, got %v", path, t.Name, v)
		}
		return nil
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, got %T", path, v)
		}
		var missing []string
		for name, f := range t.Fields {
			if _, ok := obj[name]; !ok && !f.Optional {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return fmt.Errorf("%s: required, missing: %s", path, strings.Join(missing, ", "))
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := t.Fields[k]
			switch {
			case ok:
				if err := ts.Check(f.Type, obj[k], path+"."+k); err != nil {
					return err
				}
			case t.Index != nil:
				if err := ts.Check(t.Index, obj[k], path+"."+k); err != nil {
					return err
				}
			default:
				return fmt.Errorf("%s.%s: not a field of the type", path, k)
			}
		}
		return nil
	}
	return fmt.Errorf("%s: cannot check a %s", path, t.Kind)
}

// merge turns an intersection of objects into one object (later members win).
func (ts *TSTypes) merge(t *TSType) (*TSType, error) {
	out := &TSType{Kind: "object", Fields: map[string]TSField{}}
	for _, m := range t.Members {
		r, err := ts.Resolve(m)
		if err != nil {
			return nil, err
		}
		if r.Kind == "intersection" {
			if r, err = ts.merge(r); err != nil {
				return nil, err
			}
		}
		if r.Kind != "object" {
			return nil, fmt.Errorf("an intersection with a %s", r.Kind)
		}
		for k, f := range r.Fields {
			out.Fields[k] = f
		}
		if r.Index != nil {
			out.Index = r.Index
		}
	}
	return out, nil
}

// Field is the type of a dotted path of object fields below t ("data.employment").
func (ts *TSTypes) Field(t *TSType, path string) (*TSType, error) {
	for _, name := range strings.Split(path, ".") {
		r, err := ts.Resolve(t)
		if err != nil {
			return nil, err
		}
		if r.Kind == "intersection" {
			if r, err = ts.merge(r); err != nil {
				return nil, err
			}
		}
		if r.Kind == "union" { // T | null: the non-null member
			for _, m := range r.Members {
				if !(m.Kind == "prim" && m.Name == "null") {
					r, _ = ts.Resolve(m)
					break
				}
			}
			if r.Kind == "intersection" {
				if r, err = ts.merge(r); err != nil {
					return nil, err
				}
			}
		}
		if r.Kind == "array" {
			if r, err = ts.Resolve(r.Elem); err != nil {
				return nil, err
			}
		}
		f, ok := r.Fields[name]
		if !ok {
			if r.Index != nil {
				return r.Index, nil
			}
			return nil, fmt.Errorf("no field %s", name)
		}
		t = f.Type
	}
	return t, nil
}
