// Package autoreply sends channels' auto-replies: a welcome on a new
// conversation, an out-of-hours notice, keyword answers, and an "all
// agents busy" notice with the queue position when routing queues a
// conversation. It is a durable consumer of the event log ("autoreply");
// each reply is sent in one transaction with a record of the event it
// answered (auto_reply_sends), so a replayed event is answered once.
//
// On one inbound message at most one auto-reply goes, by precedence: the
// first matching keyword, else out of hours, else welcome. Each rule
// answers a conversation at most once per cooldown (welcome once ever).
// Nothing answers our own or automated messages, bots, private notes, or
// a conversation that cannot be replied to now.
package autoreply

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/routing"
)

// ConsumerName is the consumer's name in the event log.
const ConsumerName = "autoreply"

// Options tune the service.
type Options struct {
	Poll time.Duration // the consumer's idle poll; default 1s
	Now  func() time.Time
	Log  *slog.Logger
}

// Service keeps auto-reply configurations and sends the replies.
type Service struct {
	client *ent.Client
	events *events.Log
	inbox  *inbox.Service
	router *routing.Router // the queue, for {{queue.position}}
	vars   Variables
	o      Options
	cache  configCache
}

// Variables fills a conversation's variables (quickreplies.Service.Values).
type Variables interface {
	Values(ctx context.Context, conversationID gid.ID) (render.Values, error)
}

// New returns a Service.
func New(client *ent.Client, log *events.Log, in *inbox.Service, router *routing.Router, vars Variables, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{client: client, events: log, inbox: in, router: router, vars: vars, o: o}
}

// coalesce lets a burst of inbound messages be one read of the log: an
// auto-reply may come this much later, and ingest costs the consumer far
// fewer statements.
const coalesce = 50 * time.Millisecond

// Run consumes the event log until ctx ends (one instance at a time holds
// the consumer).
func (s *Service) Run(ctx context.Context) {
	s.events.RunConsumer(ctx, events.Consumer{Name: ConsumerName, Handle: s.handle, Poll: s.o.Poll, Coalesce: coalesce})
}
