package graph

import (
	"context"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// costModel gives gqlgen's complexity calculation the cost of lists whose
// length the caller chooses: a connection (a field with first and last)
// costs its page size times its children, nodes(ids:) the number of ids
// times its children. Every other field keeps gqlgen's default, one plus
// its children. It covers every connection the schema has or will have,
// without one hand-written complexity function per field.
type costModel struct {
	graphql.ExecutableSchema
}

func (c costModel) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	def := c.Schema().Types[typeName]
	if def == nil {
		return 0, false
	}
	fd := def.Fields.ForName(field)
	if fd == nil {
		return 0, false
	}
	var n int64
	switch {
	case fd.Arguments.ForName("first") != nil && fd.Arguments.ForName("last") != nil:
		n = DefaultPageSize
		for _, name := range []string{"first", "last"} {
			if v, ok := asInt(args[name]); ok {
				n = v
			}
		}
	case fd.Arguments.ForName("ids") != nil:
		ids, _ := args["ids"].([]any)
		n = int64(len(ids))
	default:
		return c.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
	}
	// Out-of-range page sizes are refused by pageLimits; keep the estimate
	// sane for them anyway.
	n = min(max(n, 1), MaxPageSize)
	return int(n)*max(child, 1) + 1, true
}

// complexityLimit refuses, before it runs, an operation whose complexity
// (costModel, calculated by gqlgen's complexity package) exceeds the
// limit, with COMPLEXITY_LIMIT_EXCEEDED and the limit and the value.
type complexityLimit struct {
	limit   int
	es      graphql.ExecutableSchema
	observe func(code string)
}

var (
	_ graphql.HandlerExtension        = (*complexityLimit)(nil)
	_ graphql.OperationContextMutator = (*complexityLimit)(nil)
)

func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *complexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	value := complexity.Calculate(ctx, c.es, oc.Operation, oc.Variables)
	if value <= c.limit {
		return nil
	}
	if c.observe != nil {
		c.observe(CodeComplexityExceeded)
	}
	return limitError(CodeComplexityExceeded, "complexity", c.limit, value,
		"the operation's complexity is %d; the limit is %d (a connection costs first or last, default %d, times its fields)",
		value, c.limit, DefaultPageSize)
}
