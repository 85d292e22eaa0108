package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Access control lives here, in two pieces that read the schema:
//   - requireActor, for every root field: an authenticated caller unless the
//     field is @public, and a caller that may write for every mutation;
//   - the @access(role:) directive: at least that role.

var (
	errUnauthenticated = apperr.New(apperr.Unauthenticated, "sign in or give an API token")
	errReadOnly        = apperr.New(apperr.Forbidden, "this API token may only read")
	errNotVisitor      = apperr.New(apperr.Forbidden, "this field is for website visitors: call it with a visitor token")
	errVisitorOnly     = apperr.New(apperr.Forbidden, "visitor tokens reach only the visitor API")
	// A console is not served from a site that embeds the chat.
	errOriginVisitorOnly = apperr.New(apperr.Forbidden, "browsers on this origin may use only the visitor API")
	// After an admin reset the password, a session may only change it.
	errMustChangePassword = apperr.New(apperr.Forbidden, "change your password first (changePassword): it was reset")
)

// requireActor is a root field middleware. Website visitors reach the
// fields marked @visitor and nothing else, and nobody else reaches those
// (startVisitorSession is also @public); a browser on an origin that only
// web chat channels allow reaches the visitor API only.
func requireActor(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if err := rootAccess(ctx, fc.Field.Name, fc.Field.Definition); err != nil {
		graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithField(fc.Field.Alias)), err)
		return graphql.Null
	}
	return next(ctx)
}

// guardSubscription applies requireActor's rules to a subscription field,
// which gqlgen resolves without the root field middleware. Every
// subscription resolver starts with it (through subscribe and
// subscribeSignals).
func guardSubscription(ctx context.Context) error {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return errUnauthenticated
	}
	return rootAccess(ctx, fc.Field.Name, fc.Field.Definition)
}

// rootAccess decides whether the caller may use a root field.
func rootAccess(ctx context.Context, name string, def *ast.FieldDefinition) error {
	if def == nil || isIntrospection(name) {
		return nil
	}
	a := viewer.FromContext(ctx)
	visitorField := def.Directives.ForName("visitor") != nil
	switch {
	case visitorField && a != nil && !a.IsVisitor():
		return errNotVisitor
	case !visitorField && a.IsVisitor():
		return errVisitorOnly
	case !visitorField && auth.VisitorOriginOnly(ctx):
		return errOriginVisitorOnly
	case def.Directives.ForName("public") != nil:
		return nil
	case a == nil:
		return errUnauthenticated
	case a.MustChangePassword && name != "changePassword" && name != "viewer":
		return errMustChangePassword
	case graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation && !a.CanWrite():
		return errReadOnly
	}
	return nil
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

// visitorDirective implements @visitor; requireActor reads it.
func visitorDirective(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	return next(ctx)
}
