package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Access control lives here, in two pieces that read the schema:
//   - requireActor, for every root field: an authenticated caller unless the
//     field is @public, and a caller that may write for every mutation;
//   - the @access(role:) directive: at least that role.

var (
	errUnauthenticated = apperr.New(apperr.Unauthenticated, "sign in or give an API token")
	errReadOnly        = apperr.New(apperr.Forbidden, "this API token may only read")
)

// requireActor is a root field middleware.
func requireActor(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	def := fc.Field.Definition
	if def == nil || def.Directives.ForName("public") != nil || isIntrospection(fc.Field.Name) {
		return next(ctx)
	}
	a := viewer.FromContext(ctx)
	var err error
	switch {
	case a == nil:
		err = errUnauthenticated
	case graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation && !a.CanWrite():
		err = errReadOnly
	}
	if err != nil {
		graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithField(fc.Field.Alias)), err)
		return graphql.Null
	}
	return next(ctx)
}

func isIntrospection(name string) bool {
	return name == "__schema" || name == "__type" || name == "__typename"
}

// accessDirective implements @access(role:).
func accessDirective(ctx context.Context, _ any, next graphql.Resolver, role agent.Role) (any, error) {
	a := viewer.FromContext(ctx)
	if a == nil {
		return nil, errUnauthenticated
	}
	if !a.HasRole(viewer.Role(role)) {
		return nil, apperr.New(apperr.Forbidden, "requires the %s role", role)
	}
	return next(ctx)
}

// publicDirective implements @public; requireActor reads it.
func publicDirective(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	return next(ctx)
}
