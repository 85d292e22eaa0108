package graph

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/switchboard/switchboard/internal/apperr"
)

// Codes of operations refused for their cost (API-CONVENTIONS.md). gqlgen
// answers them, like parse and validation failures, with HTTP 422.
const (
	CodeQueryTooLarge       = "QUERY_TOO_LARGE"
	CodeQueryTooDeep        = "QUERY_TOO_DEEP"
	CodeComplexityExceeded  = "COMPLEXITY_LIMIT_EXCEEDED"
	codeIntrospectionClosed = errcode.ValidationFailed
)

func init() {
	for _, c := range []string{CodeQueryTooLarge, CodeQueryTooDeep, CodeComplexityExceeded} {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// Limits bound what one GraphQL operation may cost. The document's size is
// checked before gqlparser validates it (validation takes no context and
// grows with the square of repeated fields), its depth and complexity
// before it runs, and its run time while it runs.
type Limits struct {
	// MaxTokens bounds the lexical tokens of a document.
	MaxTokens int
	// MaxFields bounds the fields a document selects, with every fragment
	// spread counted as the fields it expands to.
	MaxFields int
	// MaxAliases bounds aliased fields, counted the same way: aliases are
	// the only way to ask for the same field many times.
	MaxAliases int
	// MaxIntrospection bounds the __schema and __type fields of a document
	// (each is a walk of the whole type system; tools ask for one).
	MaxIntrospection int
	// MaxDepth bounds how deeply fields nest (introspection's own nesting,
	// which gqlparser bounds by itself, is not counted).
	MaxDepth int
	// MaxComplexity bounds the estimated cost of an operation: one per
	// field, and a connection costs its page size (first or last, default
	// 20) times its children, so nested connections multiply.
	MaxComplexity int
	// DisableIntrospection refuses __schema and __type.
	DisableIntrospection bool
}

// DefaultLimits let every operation of the frontend contract pass with
// room (see TestContractOperationsWithinLimits) and refuse the shapes that
// could exhaust a server.
func DefaultLimits() Limits {
	return Limits{
		MaxTokens:        15_000,
		MaxFields:        1_000,
		MaxAliases:       100,
		MaxDepth:         12,
		MaxIntrospection: 5,
		MaxComplexity:    100_000,
	}
}

// withDefaults fills zero limits from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.MaxTokens, &d.MaxTokens}, {&l.MaxFields, &d.MaxFields}, {&l.MaxAliases, &d.MaxAliases},
		{&l.MaxIntrospection, &d.MaxIntrospection}, {&l.MaxDepth, &d.MaxDepth}, {&l.MaxComplexity, &d.MaxComplexity},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// limitError is a refusal for cost, with the limit and the actual value.
func limitError(code, measure string, limit, value int, format string, args ...any) *gqlerror.Error {
	e := gqlerror.Errorf(format, args...)
	e.Extensions = map[string]any{"code": code, "measure": measure, "limit": limit, "value": value}
	return e
}

// documentBounds refuses documents too large or too deep before gqlgen
// parses and validates them, and string inputs that no store can keep (NUL
// characters, invalid UTF-8). It parses the document once more for that,
// which costs a linear pass; the quadratic validation never starts on a
// document it refuses.
type documentBounds struct {
	limits Limits
	// observe, when set, is told of every refusal (tests and metrics).
	observe func(code string)
	// accepted is the executor's cache of parsed and validated documents:
	// a document in it passed these bounds before (they do not change
	// while the server runs), so it is not parsed again here.
	accepted graphql.Cache[*ast.QueryDocument]
}

var (
	_ graphql.HandlerExtension          = documentBounds{}
	_ graphql.OperationParameterMutator = documentBounds{}
)

func (documentBounds) ExtensionName() string                   { return "DocumentBounds" }
func (documentBounds) Validate(graphql.ExecutableSchema) error { return nil }

func (b documentBounds) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if b.accepted != nil {
		if _, ok := b.accepted.Get(ctx, p.Query); ok {
			return nil
		}
	}
	err := b.check(p)
	if err != nil && b.observe != nil {
		code, _ := err.Extensions["code"].(string)
		b.observe(code)
	}
	return err
}

func (b documentBounds) check(p *graphql.RawParams) *gqlerror.Error {
	doc, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, b.limits.MaxTokens)
	if perr != nil {
		if strings.Contains(perr.Error(), "exceeded token limit") {
			n := countTokens(p.Query)
			return limitError(CodeQueryTooLarge, "tokens", b.limits.MaxTokens, n,
				"the document has %d tokens; the limit is %d", n, b.limits.MaxTokens)
		}
		return nil // gqlgen parses it again and reports the syntax error
	}
	m := measure(doc)
	switch {
	case m.fields > b.limits.MaxFields:
		return limitError(CodeQueryTooLarge, "fields", b.limits.MaxFields, m.fields,
			"the document selects %d fields (fragments expanded); the limit is %d", m.fields, b.limits.MaxFields)
	case m.aliases > b.limits.MaxAliases:
		return limitError(CodeQueryTooLarge, "aliases", b.limits.MaxAliases, m.aliases,
			"the document has %d aliased fields (fragments expanded); the limit is %d", m.aliases, b.limits.MaxAliases)
	case m.introspection > b.limits.MaxIntrospection:
		return limitError(CodeQueryTooLarge, "introspection", b.limits.MaxIntrospection, m.introspection,
			"the document has %d __schema or __type fields; the limit is %d", m.introspection, b.limits.MaxIntrospection)
	case m.depth > b.limits.MaxDepth:
		return limitError(CodeQueryTooDeep, "depth", b.limits.MaxDepth, m.depth,
			"fields nest %d deep; the limit is %d", m.depth, b.limits.MaxDepth)
	case m.introspection > 0 && b.limits.DisableIntrospection:
		e := gqlerror.Errorf("introspection is disabled on this server")
		errcode.Set(e, codeIntrospectionClosed)
		return e
	}
	if err := checkStrings(doc, p.Variables); err != nil {
		return err
	}
	return nil
}

// countTokens counts a document's lexical tokens, up to a lexing error.
func countTokens(q string) int {
	lx := lexer.New(&ast.Source{Input: q})
	n := 0
	for {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return n
		}
		n++
	}
}

// docMeasure is what documentBounds checks of a document.
type docMeasure struct {
	fields, aliases, depth, introspection int
}

// measure counts a document's fields and aliases with every fragment
// spread expanded, and its depth. Each fragment is measured once
// (memoized), so a document of fragments spreading each other many times
// costs time linear in its size, while its count grows as the validator's
// and executor's work would; a cycle (refused later by validation) counts
// as empty. Counts saturate instead of overflowing.
func measure(doc *ast.QueryDocument) docMeasure {
	m := &measurer{doc: doc, frags: map[string]*fragMeasure{}}
	var out docMeasure
	for _, op := range doc.Operations {
		fm := m.set(op.SelectionSet)
		out.fields = satAdd(out.fields, fm.fields)
		out.aliases = satAdd(out.aliases, fm.aliases)
		out.depth = max(out.depth, fm.depth)
		out.introspection = satAdd(out.introspection, fm.introspection)
	}
	// Fragments no operation uses are still validated (and refused), but
	// their fields count towards the work.
	for _, f := range doc.Fragments {
		if _, used := m.frags[f.Name]; !used {
			fm := m.fragment(f.Name)
			out.fields = satAdd(out.fields, fm.fields)
			out.aliases = satAdd(out.aliases, fm.aliases)
		}
	}
	return out
}

type fragMeasure struct {
	fields, aliases, depth, introspection int
	done                                  bool
}

type measurer struct {
	doc   *ast.QueryDocument
	frags map[string]*fragMeasure
}

func (m *measurer) fragment(name string) *fragMeasure {
	if fm, ok := m.frags[name]; ok {
		if !fm.done {
			return &fragMeasure{} // a cycle
		}
		return fm
	}
	fm := &fragMeasure{}
	m.frags[name] = fm
	if def := m.doc.Fragments.ForName(name); def != nil {
		*fm = *m.set(def.SelectionSet)
	}
	fm.done = true
	return fm
}

// set measures a selection set: the fields it selects and how deep the
// deepest of them nests (a leaf field is depth 1).
func (m *measurer) set(set ast.SelectionSet) *fragMeasure {
	out := &fragMeasure{}
	add := func(fm *fragMeasure, depth int) {
		out.fields = satAdd(out.fields, fm.fields)
		out.aliases = satAdd(out.aliases, fm.aliases)
		out.depth = max(out.depth, depth)
		out.introspection = satAdd(out.introspection, fm.introspection)
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			self := &fragMeasure{fields: 1}
			if s.Alias != "" && s.Alias != s.Name {
				self.aliases = 1
			}
			if s.Name == "__schema" || s.Name == "__type" {
				// Introspection nests as deep as the type system does;
				// gqlparser's own rule bounds it. Its fields still count.
				self.introspection = 1
				child := m.set(s.SelectionSet)
				self.fields = satAdd(self.fields, child.fields)
				self.aliases = satAdd(self.aliases, child.aliases)
				add(self, 1)
				continue
			}
			child := m.set(s.SelectionSet)
			self.fields = satAdd(self.fields, child.fields)
			self.aliases = satAdd(self.aliases, child.aliases)
			self.introspection = child.introspection
			add(self, 1+child.depth)
		case *ast.InlineFragment:
			child := m.set(s.SelectionSet)
			add(child, child.depth)
		case *ast.FragmentSpread:
			child := m.fragment(s.Name)
			add(child, child.depth)
		}
	}
	return out
}

func satAdd(a, b int) int {
	const ceiling = 1 << 40
	if a+b > ceiling {
		return ceiling
	}
	return a + b
}

// checkStrings refuses string inputs that cannot be stored: NUL characters
// (PostgreSQL refuses them in text and jsonb; SQLite would keep them, and
// both stores must behave alike) and invalid UTF-8, in literal arguments
// and in variables, at any depth.
func checkStrings(doc *ast.QueryDocument, vars map[string]any) *gqlerror.Error {
	for name, v := range vars {
		if field, bad := badString(v, name); bad != "" {
			return stringError(field, bad)
		}
	}
	var found *gqlerror.Error
	var walkValue func(v *ast.Value, field string)
	walkValue = func(v *ast.Value, field string) {
		if v == nil || found != nil {
			return
		}
		switch v.Kind {
		case ast.StringValue, ast.BlockValue:
			if bad := badText(v.Raw); bad != "" {
				found = stringError(field, bad)
			}
		case ast.ListValue:
			for _, c := range v.Children {
				walkValue(c.Value, field)
			}
		case ast.ObjectValue:
			for _, c := range v.Children {
				walkValue(c.Value, c.Name)
			}
		}
	}
	var walkSet func(set ast.SelectionSet)
	walkSet = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					walkValue(a.Value, a.Name)
				}
				walkSet(s.SelectionSet)
			case *ast.InlineFragment:
				walkSet(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walkSet(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walkSet(f.SelectionSet)
	}
	return found
}

// badString finds a string that cannot be stored in a decoded JSON value,
// and names the innermost object key that holds it.
func badString(v any, field string) (string, string) {
	switch x := v.(type) {
	case string:
		return field, badText(x)
	case []any:
		for _, e := range x {
			if f, bad := badString(e, field); bad != "" {
				return f, bad
			}
		}
	case map[string]any:
		for k, e := range x {
			if bad := badText(k); bad != "" {
				return field, bad
			}
			if f, bad := badString(e, k); bad != "" {
				return f, bad
			}
		}
	}
	return field, ""
}

func badText(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL characters"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	}
	return ""
}

func stringError(field, msg string) *gqlerror.Error {
	e := gqlerror.Errorf("%s: %s", field, msg)
	e.Extensions = map[string]any{"code": string(apperr.InvalidInput), "field": field}
	return e
}
