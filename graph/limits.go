package graph

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/graph/generated"
	"github.com/switchboard/switchboard/internal/apperr"
)

// Page sizes of every connection, nested ones included.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// pageLimits applies the conventions' page sizes to a whole operation
// before it runs: a connection field with neither first nor last (or with
// both null) gets first: 20, and first or last above 100 (or below 0) is
// INVALID_INPUT. It works on the document, so nested connections that the
// parent loads eagerly obey the same limits.
//
// It also holds enum values given in variables to the exact spelling of the
// schema, as literals already are: gqlparser compares them ignoring case,
// so "urgent" would pass validation and then fail (or, for enums bound to
// strings such as ApiTokenScope, be stored as given).
type pageLimits struct{}

var (
	_ graphql.HandlerExtension        = pageLimits{}
	_ graphql.OperationContextMutator = pageLimits{}
)

func (pageLimits) ExtensionName() string                   { return "PageLimits" }
func (pageLimits) Validate(graphql.ExecutableSchema) error { return nil }
func (p pageLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if err := checkEnumVariables(oc); err != nil {
		return err
	}
	seen := map[*ast.FragmentDefinition]bool{}
	return p.walk(oc, oc.Operation.SelectionSet, seen)
}

func (p pageLimits) walk(oc *graphql.OperationContext, set ast.SelectionSet, seen map[*ast.FragmentDefinition]bool) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if err := p.field(oc, s); err != nil {
				return err
			}
			if err := p.walk(oc, s.SelectionSet, seen); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := p.walk(oc, s.SelectionSet, seen); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Definition] {
				seen[s.Definition] = true
				if err := p.walk(oc, s.Definition.SelectionSet, seen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (pageLimits) field(oc *graphql.OperationContext, f *ast.Field) *gqlerror.Error {
	def := f.Definition
	if def == nil || def.Arguments.ForName("first") == nil || def.Arguments.ForName("last") == nil {
		return nil
	}
	given := 0
	for _, name := range []string{"first", "last"} {
		arg := f.Arguments.ForName(name)
		if arg == nil {
			continue
		}
		v, err := arg.Value.Value(oc.Variables)
		if err != nil || v == nil {
			continue
		}
		given++
		n, ok := asInt(v)
		if !ok || n < 0 || n > MaxPageSize {
			e := gqlerror.Errorf("%s: must be between 0 and %d", name, MaxPageSize)
			e.Path = ast.Path{ast.PathName(f.Alias)}
			e.Extensions = map[string]any{"code": string(apperr.InvalidInput), "field": name}
			return e
		}
	}
	if given == 0 {
		// first: null and last: null (literal, or a variable that is null
		// or not given) are the omitted argument: drop them before adding
		// the default, or the null would still be read first.
		kept := f.Arguments[:0:0]
		for _, a := range f.Arguments {
			if a.Name != "first" && a.Name != "last" {
				kept = append(kept, a)
			}
		}
		f.Arguments = append(kept, &ast.Argument{
			Name:  "first",
			Value: &ast.Value{Kind: ast.IntValue, Raw: strconv.Itoa(DefaultPageSize)},
		})
	}
	return nil
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), float64(int64(n)) == n
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	default:
		return 0, false
	}
}

var schemaOnce = sync.OnceValue(func() *ast.Schema {
	return generated.NewExecutableSchema(generated.Config{}).Schema()
})

// checkEnumVariables refuses, as gqlgen's validation does for literals, an
// enum value in the variables that is not spelled exactly as in the schema,
// at any depth of lists and input objects.
func checkEnumVariables(oc *graphql.OperationContext) *gqlerror.Error {
	schema := schemaOnce()
	for _, vd := range oc.Operation.VariableDefinitions {
		v, ok := oc.Variables[vd.Variable]
		if !ok {
			continue
		}
		path := ast.Path{ast.PathName("variable"), ast.PathName(vd.Variable)}
		if err := checkEnumValue(schema, vd.Type, v, path); err != nil {
			return err
		}
	}
	return nil
}

func checkEnumValue(schema *ast.Schema, typ *ast.Type, v any, path ast.Path) *gqlerror.Error {
	if v == nil || typ == nil {
		return nil
	}
	if typ.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return checkEnumValue(schema, typ.Elem, v, path) // a single value coerced to a list
		}
		for i, item := range list {
			if err := checkEnumValue(schema, typ.Elem, item, append(path[:len(path):len(path)], ast.PathIndex(i))); err != nil {
				return err
			}
		}
		return nil
	}
	def := schema.Types[typ.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if s, ok := v.(string); ok && def.EnumValues.ForName(s) == nil {
			e := gqlerror.ErrorPathf(path, "%s is not a valid %s", s, def.Name)
			errcode.Set(e, errcode.ValidationFailed)
			return e
		}
	case ast.InputObject:
		fields, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, f := range def.Fields {
			if fv, ok := fields[f.Name]; ok {
				if err := checkEnumValue(schema, f.Type, fv, append(path[:len(path):len(path)], ast.PathName(f.Name))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
