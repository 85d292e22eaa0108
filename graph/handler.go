package graph

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/switchboard/switchboard/graph/generated"
	"github.com/switchboard/switchboard/internal/apperr"
)

// ServerOptions bound what GraphQL requests may cost.
type ServerOptions struct {
	Limits Limits
	// Timeout bounds an HTTP operation's run time (websocket subscriptions
	// run as long as their connection); zero means none.
	Timeout time.Duration
	// Counters, when set, counts the server's work (tests read it).
	Counters *Counters
	// MaxUploadBytes bounds a multipart request (file uploads): the
	// largest file plus 1 MiB.
	MaxUploadBytes int64
}

// Counters count what the GraphQL server did: documents validated, root
// fields resolved, and operations refused for their cost by code.
type Counters struct {
	Validations atomic.Int64
	RootFields  atomic.Int64
	TooLarge    atomic.Int64
	TooDeep     atomic.Int64
	TooComplex  atomic.Int64
}

func (c *Counters) refused(code string) {
	switch code {
	case CodeQueryTooLarge:
		c.TooLarge.Add(1)
	case CodeQueryTooDeep:
		c.TooDeep.Add(1)
	case CodeComplexityExceeded:
		c.TooComplex.Add(1)
	}
}

// NewServer returns the GraphQL server: schema, transports, cost limits,
// access control, page limits, one transaction per mutation and the error
// presenter.
// documentCacheSize is how many distinct documents the server keeps
// parsed; each is at most MaxTokens long.
const documentCacheSize = 1000

func NewServer(r *Resolver, o ServerOptions) *handler.Server {
	log := r.Log
	limits := o.Limits.withDefaults()
	counters := o.Counters
	if counters == nil {
		counters = &Counters{}
	}
	srv := handler.New(costModel{generated.NewExecutableSchema(generated.Config{
		Resolvers: r,
		Directives: generated.DirectiveRoot{
			Access:  accessDirective,
			Public:  publicDirective,
			Visitor: visitorDirective,
		},
	})})
	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{
			// graphql-transport-ws first: gqlgen picks the first protocol
			// both sides offer. Origins are checked by the HTTP server
			// before the upgrade (see server.checkOrigin).
			Subprotocols:       []string{"graphql-transport-ws", "graphql-ws"},
			InsecureSkipVerify: true,
		}},
		InitFunc:              r.websocketInit,
		CloseFunc:             r.websocketClose,
		InitTimeout:           15 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpGET{timeout: o.Timeout, log: log})
	srv.AddTransport(httpPOST{timeout: o.Timeout, log: log})
	// The GraphQL multipart request spec: files beyond 1 MiB are spooled
	// to temporary files, never held in memory.
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: o.MaxUploadBytes, MaxMemory: 1 << 20})
	// Cost: the document's size and depth before validation, its
	// complexity before it runs; gqlgen's own parser stops at the same
	// token limit.
	srv.SetParserTokenLimit(limits.MaxTokens)
	srv.SetValidationRulesFn(func() *rules.Rules {
		counters.Validations.Add(1)
		return rules.NewDefaultRules()
	})
	// Parsed and validated documents are kept (the console and its
	// subscriptions send the same few again and again): a request for one
	// of them is neither parsed nor validated again, and every
	// subscription of a document shares one tree.
	documents := lru.New[*ast.QueryDocument](documentCacheSize)
	srv.SetQueryCache(documents)
	srv.Use(documentBounds{limits: limits, observe: counters.refused, accepted: documents})
	// No parsed-query cache: pageLimits completes each request's own document.
	if !limits.DisableIntrospection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(httpSubscriptions{})
	srv.Use(pageLimits{})
	srv.Use(&complexityLimit{limit: limits.MaxComplexity, observe: counters.refused})
	srv.AroundResponses(withListLoads)
	srv.AroundResponses(stopWhenDone(log))
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		counters.RootFields.Add(1)
		return requireActor(ctx, next)
	})
	srv.AroundFields(stopFields)
	// Each mutation runs in one transaction, except those that hash
	// passwords or call a provider (slow, and on SQLite a transaction holds
	// the write lock), and startVisitorSession and upsertCustomerByIdentity,
	// which retry their own when they lose a race on a unique identity, and
	// uploads and deletions of files (bytes first, then a short transaction
	// of their own).
	srv.Use(transactions{
		open: entgql.TxOpenerFunc(r.Client.OpenTx),
		skip: entgql.SkipIfHasFields("signIn", "signUp", "createAgent", "verifyChannel", "setChannelEnabled", "startVisitorSession", "upsertCustomerByIdentity",
			"uploadAttachment", "visitorUploadAttachment", "deleteAttachment",
			"changePassword", "resetAgentPassword", "enableTotp", "confirmTotp", "disableTotp", "resetAgentTotp"),
	})
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(v))
		return apperr.New(apperr.Internal, "internal error")
	})
	return srv
}

// stopFields resolves no more fields once the request's context is done:
// the client went away or the deadline passed.
func stopFields(ctx context.Context, next graphql.Resolver) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return next(ctx)
}

// stopWhenDone reports an operation stopped by its deadline or by the
// client's leaving once, in the log and in the response, instead of once
// per field that did not run.
func stopWhenDone(log *slog.Logger) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		err := ctx.Err()
		if err == nil || resp == nil {
			return resp
		}
		op := ""
		if graphql.HasOperationContext(ctx) {
			op = graphql.GetOperationContext(ctx).OperationName
		}
		log.WarnContext(ctx, "graphql operation stopped", "operation", op, "reason", err.Error(), "errors", len(resp.Errors))
		seen := map[string]bool{}
		kept := resp.Errors[:0]
		for _, e := range resp.Errors {
			if !seen[e.Message] {
				seen[e.Message] = true
				kept = append(kept, e)
			}
		}
		resp.Errors = kept
		return resp
	}
}
