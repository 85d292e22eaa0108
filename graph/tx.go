package graph

import (
	"context"
	"fmt"
	"sync"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// transactions runs each mutation in one transaction, as
// entgql.Transactioner does (resolvers serialised, the transaction's
// client in the context), but hands a failing BEGIN or COMMIT to the error
// presenter like every other error: the client gets a coded error, never
// the driver's words. Responses without an operation (a document that did
// not parse) pass through.
type transactions struct {
	open entgql.TxOpener
	skip entgql.SkipTxFunc
}

var (
	_ graphql.HandlerExtension        = transactions{}
	_ graphql.OperationContextMutator = transactions{}
	_ graphql.ResponseInterceptor     = transactions{}
)

func (transactions) ExtensionName() string                   { return "Transactions" }
func (transactions) Validate(graphql.ExecutableSchema) error { return nil }

func (t transactions) skipped(op *ast.OperationDefinition) bool {
	return op == nil || op.Operation != ast.Mutation || (t.skip != nil && t.skip(op))
}

// MutateOperationContext serialises a transactional mutation's resolvers:
// they share one transaction.
func (t transactions) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if t.skipped(oc.Operation) {
		return nil
	}
	previous := oc.ResolverMiddleware
	var mu sync.Mutex
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		return previous(ctx, next)
	}
	return nil
}

func (t transactions) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) || t.skipped(graphql.GetOperationContext(ctx).Operation) {
		return next(ctx)
	}
	txCtx, tx, err := t.open.OpenTx(ctx)
	if err != nil {
		return failed(ctx, fmt.Errorf("graph: begin: %w", err))
	}
	defer func() {
		if r := recover(); r != nil {
			_ = tx.Rollback()
			panic(r)
		}
	}()
	resp := next(txCtx)
	if resp == nil || len(resp.Errors) > 0 {
		_ = tx.Rollback()
		if resp != nil {
			resp.Data = nil
		}
		return resp
	}
	if err := tx.Commit(); err != nil {
		return failed(ctx, fmt.Errorf("graph: commit: %w", err))
	}
	return resp
}

// failed is a response holding only err, passed through the presenter.
func failed(ctx context.Context, err error) *graphql.Response {
	graphql.AddError(ctx, err)
	return &graphql.Response{Errors: graphql.GetErrors(ctx)}
}
