package contract

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// typenameSlot stands for a __typename type while object bodies are grouped.
const typenameSlot = "\x00typename\x00"

// operations writes the fragment and operation types, file by file, in the
// order they appear in each file.
func (w *tsWriter) operations() {
	type entry struct {
		pos   *ast.Position
		write func()
	}
	var entries []entry
	for _, f := range w.query.Fragments {
		entries = append(entries, entry{f.Position, func() { w.fragment(f) }})
	}
	for _, op := range w.query.Operations {
		entries = append(entries, entry{op.Position, func() { w.operation(op) }})
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return cmp.Or(strings.Compare(a.pos.Src.Name, b.pos.Src.Name), cmp.Compare(a.pos.Line, b.pos.Line))
	})
	file := ""
	for _, e := range entries {
		if e.pos.Src.Name != file {
			file = e.pos.Src.Name
			w.section(file)
		}
		e.write()
	}
}

func (w *tsWriter) fragment(f *ast.FragmentDefinition) {
	name := f.Name + "Fragment"
	w.declare(name, "fragment "+f.Name)
	w.printf("\nexport type %s = %s;\n", name, w.selection(f.TypeCondition, []ast.SelectionSet{f.SelectionSet}, 0))
}

func (w *tsWriter) operation(op *ast.OperationDefinition) {
	suffix := resultSuffix[op.Operation]
	switch {
	case op.Name == "":
		w.failf("%s:%d: name the operation; its types are named after it", op.Position.Src.Name, op.Position.Line)
		return
	case strings.HasSuffix(op.Name, suffix):
		w.failf("%s:%d: operation %s: drop the %s suffix, types.ts adds it", op.Position.Src.Name, op.Position.Line, op.Name, suffix)
		return
	}
	root := map[ast.Operation]*ast.Definition{
		ast.Query: w.schema.Query, ast.Mutation: w.schema.Mutation, ast.Subscription: w.schema.Subscription,
	}[op.Operation]
	w.declare(op.Name+suffix, string(op.Operation)+" "+op.Name)
	w.declare(op.Name+"Variables", string(op.Operation)+" "+op.Name)
	w.printf("\nexport type %s%s = %s;\n", op.Name, suffix, w.selection(root.Name, []ast.SelectionSet{op.SelectionSet}, 0))
	if len(op.VariableDefinitions) == 0 {
		w.printf("export type %sVariables = Record<string, never>;\n", op.Name)
		return
	}
	w.printf("export type %sVariables = {\n", op.Name)
	for _, v := range op.VariableDefinitions {
		w.printf("  %s: %s;\n", optionalKey(v.Variable, v.Type, v.DefaultValue), wrap(v.Type, w.named(v.Type.Name())))
	}
	w.printf("};\n")
}

// selection is the TypeScript type of the selection sets on the named type:
// an object type for an object, and for an interface or union a union of
// object types, one per group of possible types that select the same fields.
func (w *tsWriter) selection(typeName string, sets []ast.SelectionSet, depth int) string {
	def := w.schema.Types[typeName]
	if def.Kind == ast.Object {
		return strings.ReplaceAll(w.object(def, sets, depth), typenameSlot, `"`+def.Name+`"`)
	}
	possible := slices.Clone(w.schema.GetPossibleTypes(def))
	slices.SortFunc(possible, func(a, b *ast.Definition) int { return strings.Compare(a.Name, b.Name) })
	var bodies []string
	names := map[string][]string{}
	for _, p := range possible {
		body := w.object(p, sets, depth)
		if names[body] == nil {
			bodies = append(bodies, body)
		}
		names[body] = append(names[body], `"`+p.Name+`"`)
	}
	if len(bodies) == 0 {
		return "never" // an interface or union without object types
	}
	members := make([]string, len(bodies))
	for i, body := range bodies {
		members[i] = strings.ReplaceAll(body, typenameSlot, strings.Join(names[body], " | "))
	}
	return strings.Join(members, " | ")
}

// field is one response key of an object, merged over every selection of it.
type field struct {
	key      string
	def      *ast.FieldDefinition // nil for __typename
	sets     []ast.SelectionSet
	optional bool // every selection is under @skip or @include
}

// object renders the fields the selection sets select on the object type obj.
func (w *tsWriter) object(obj *ast.Definition, sets []ast.SelectionSet, depth int) string {
	var fields []*field
	for _, set := range sets {
		w.collect(obj, set, false, &fields)
	}
	if len(fields) == 0 {
		return "{}"
	}
	indent := strings.Repeat("  ", depth)
	var b strings.Builder
	b.WriteString("{\n")
	for _, f := range fields {
		key := f.key
		if f.optional {
			key += "?"
		}
		ts := typenameSlot
		if f.def != nil {
			b.WriteString(jsdoc(indent+"  ", "", f.def.Directives))
			ts = w.fieldType(f, depth+1)
		}
		fmt.Fprintf(&b, "%s  %s: %s;\n", indent, key, ts)
	}
	b.WriteString(indent + "}")
	return b.String()
}

func (w *tsWriter) fieldType(f *field, depth int) string {
	name := f.def.Type.Name()
	def := w.schema.Types[name]
	inner := name
	switch def.Kind {
	case ast.Scalar:
		inner = w.scalar(name)
	case ast.Object, ast.Interface, ast.Union:
		inner = w.selection(name, f.sets, depth)
	}
	return wrap(f.def.Type, inner)
}

// collect gathers the fields a selection set selects on obj, following the
// fragments whose type condition obj satisfies, as GraphQL's CollectFields.
func (w *tsWriter) collect(obj *ast.Definition, set ast.SelectionSet, conditional bool, fields *[]*field) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			w.collectField(obj, s, conditional || isConditional(s.Directives), fields)
		case *ast.InlineFragment:
			if s.TypeCondition == "" || w.satisfies(obj, s.TypeCondition) {
				w.collect(obj, s.SelectionSet, conditional || isConditional(s.Directives), fields)
			}
		case *ast.FragmentSpread:
			f := w.query.Fragments.ForName(s.Name)
			if w.satisfies(obj, f.TypeCondition) {
				w.collect(obj, f.SelectionSet, conditional || isConditional(s.Directives), fields)
			}
		}
	}
}

func (w *tsWriter) collectField(obj *ast.Definition, s *ast.Field, conditional bool, fields *[]*field) {
	key := cmp.Or(s.Alias, s.Name)
	for _, f := range *fields {
		if f.key == key {
			f.sets = append(f.sets, s.SelectionSet)
			f.optional = f.optional && conditional
			return
		}
	}
	f := &field{key: key, sets: []ast.SelectionSet{s.SelectionSet}, optional: conditional}
	if s.Name != "__typename" {
		if f.def = obj.Fields.ForName(s.Name); f.def == nil {
			w.failf("%s has no field %s", obj.Name, s.Name)
			return
		}
	}
	*fields = append(*fields, f)
}

// satisfies reports whether a fragment on typeCondition applies to obj.
func (w *tsWriter) satisfies(obj *ast.Definition, typeCondition string) bool {
	if obj.Name == typeCondition {
		return true
	}
	cond := w.schema.Types[typeCondition]
	return cond != nil && slices.Contains(w.schema.GetPossibleTypes(cond), obj)
}

func isConditional(directives ast.DirectiveList) bool {
	return directives.ForName("skip") != nil || directives.ForName("include") != nil
}
