package graph

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"

	"github.com/switchboard/switchboard/graph/generated"
	"github.com/switchboard/switchboard/internal/apperr"
)

// NewServer returns the GraphQL server: schema, transports, access control,
// page limits, one transaction per mutation and the error presenter.
func NewServer(r *Resolver, log *slog.Logger) *handler.Server {
	if r.Now == nil {
		r.Now = time.Now
	}
	r.Log = log
	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers: r,
		Directives: generated.DirectiveRoot{
			Access:  accessDirective,
			Public:  publicDirective,
			Visitor: visitorDirective,
		},
	}))
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
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	// No parsed-query cache: pageLimits completes each request's own document.
	srv.Use(extension.Introspection{})
	srv.Use(pageLimits{})
	srv.AroundResponses(withUnreadLoader)
	srv.AroundRootFields(requireActor)
	// Each mutation runs in one transaction, except those that hash
	// passwords or call a provider (slow, and on SQLite a transaction holds
	// the write lock), and startVisitorSession and upsertCustomerByIdentity,
	// which retry their own when they lose a race on a unique identity.
	srv.Use(entgql.Transactioner{
		TxOpener:   entgql.TxOpenerFunc(r.Client.OpenTx),
		SkipTxFunc: entgql.SkipIfHasFields("signIn", "signUp", "createAgent", "verifyChannel", "startVisitorSession", "upsertCustomerByIdentity"),
	})
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "resolver panic", "panic", fmt.Sprint(v))
		return apperr.New(apperr.Internal, "internal error")
	})
	return srv
}
