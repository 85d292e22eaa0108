// Package graph holds the GraphQL resolvers: thin adapters from the API to
// the domain services and the ent client, plus the pieces that apply to
// every field (access control, pagination limits, error presentation).
package graph

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/automation"
	"github.com/switchboard/switchboard/internal/autoreply"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/presence"
	"github.com/switchboard/switchboard/internal/quickreplies"
	"github.com/switchboard/switchboard/internal/receivers"
	"github.com/switchboard/switchboard/internal/routing"
	"github.com/switchboard/switchboard/internal/timeline"
	"github.com/switchboard/switchboard/internal/visitor"
)

// Resolver carries the services resolvers call. internal/app builds it
// with every field set; nothing changes it afterwards.
type Resolver struct {
	Client   *ent.Client
	Auth     *auth.Service
	Inbox    *inbox.Service
	Channels *channelcfg.Service
	Events   *events.Log
	Presence *presence.Service
	Visitors *visitor.Service
	// Customers manages identities, attributes and merges.
	Customers *customers.Service
	// Timeline reads customers' timelines.
	Timeline *timeline.Service
	// Router assigns waiting conversations and keeps routing policies.
	Router *routing.Router
	// AutoReply keeps channels' auto-reply configurations.
	AutoReply *autoreply.Service
	// Rules manages and tests automation rules.
	Rules *automation.Service
	// Files keeps attachments: uploads, signed links, deletion.
	Files *files.Service
	// QuickReplies keeps, searches, renders and sends quick replies.
	QuickReplies *quickreplies.Service
	// Receivers runs channel receivers: their health, and a kick when a
	// channel changes.
	Receivers *receivers.Runner
	Now       func() time.Time
	// CredentialRecheck is how often websockets re-check their credential
	// (default DefaultCredentialRecheck).
	CredentialRecheck time.Duration
	// Sockets registers live websockets so that credentials signals reach
	// them at once.
	Sockets *Sockets
	Log     *slog.Logger
}

// db returns the client of the request's transaction when there is one
// (mutations), and the plain client otherwise.
func (r *Resolver) db(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return r.Client
}

func isTrue(b *bool) bool { return b != nil && *b }
