// Package app assembles Switchboard from its parts: the store, the domain
// services, the GraphQL resolvers and the HTTP routes. main calls it with
// the configuration from the environment; tests call it with a test
// database, so both run exactly the same wiring.
package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/api"
	"github.com/switchboard/switchboard/channels/email"
	"github.com/switchboard/switchboard/channels/meta/messenger"
	"github.com/switchboard/switchboard/channels/meta/whatsapp"
	"github.com/switchboard/switchboard/channels/phone"
	"github.com/switchboard/switchboard/channels/qq"
	"github.com/switchboard/switchboard/channels/smstencent"
	"github.com/switchboard/switchboard/channels/smstwilio"
	"github.com/switchboard/switchboard/channels/telegram"
	"github.com/switchboard/switchboard/channels/web"
	"github.com/switchboard/switchboard/channels/wechat"
	"github.com/switchboard/switchboard/channels/weibo"
	"github.com/switchboard/switchboard/channels/xdm"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	_ "github.com/switchboard/switchboard/ent/runtime" // schema hooks and policies
	"github.com/switchboard/switchboard/graph"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/automation"
	"github.com/switchboard/switchboard/internal/autoreply"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/files"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/presence"
	"github.com/switchboard/switchboard/internal/quickreplies"
	"github.com/switchboard/switchboard/internal/receivers"
	"github.com/switchboard/switchboard/internal/routing"
	"github.com/switchboard/switchboard/internal/secrets"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/timeline"
	"github.com/switchboard/switchboard/internal/timers"
	"github.com/switchboard/switchboard/internal/visitor"
	"github.com/switchboard/switchboard/server"
)

// Channels is the registry of channel kinds: one line per adapter, and
// the extra kinds a test registers (fake providers, or a kind's adapter
// configured for a test, which replaces the default one).
func Channels(extra ...channels.Adapter) *channels.Registry {
	all := []channels.Adapter{
		web.New(),
		api.New(),
		email.New(),
		whatsapp.New(),
		messenger.New(),
		messenger.NewInstagram(),
		qq.New(),
		wechat.New(),
		smstencent.New(),
		smstwilio.New(),
		weibo.New(),
		xdm.New(),
		telegram.New(),
		phone.New(),
	}
	for _, x := range extra {
		kind := x.Describe().Kind
		if i := slices.IndexFunc(all, func(a channels.Adapter) bool { return a.Describe().Kind == kind }); i >= 0 {
			all[i] = x
		} else {
			all = append(all, x)
		}
	}
	return channels.NewRegistry(all...)
}

// Options are the parts tests replace.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// WrapDriver, when set, wraps the database driver (tests count
	// statements with it).
	WrapDriver func(dialect.Driver) dialect.Driver
	BcryptCost int
	// HTTPClient calls providers; tests point it at fakes.
	HTTPClient *http.Client
	// FilesPoll is how often the files worker looks for media to fetch
	// and thumbnails to make without being woken (default 5 s);
	// FetchBackoff its first retry delay (default 30 s).
	FilesPoll, FetchBackoff time.Duration
	// Adapters are channel kinds registered besides the built-in ones:
	// tests add fake providers.
	Adapters []channels.Adapter
	// Delivery tunes outbound retries.
	Delivery inbox.DeliveryOptions
	// CredentialRecheck is how often websockets re-check their credential.
	CredentialRecheck time.Duration
	// VisitorLimits bound website visitors' sessions and messages.
	VisitorLimits visitor.Limits
	// AuthClock times sign-in and sign-up throttling (default: the real
	// clock); tests give a fake one so that they never sleep.
	AuthClock auth.Clock
	// RoutingSweep is how often the router routes every workspace anyway
	// (default 15s); RoutingPoll how often its consumer looks for events
	// when idle (default 1s).
	RoutingSweep, RoutingPoll time.Duration
	// TimerPoll is how often an idle instance looks for due timers
	// (snoozed conversations waking); default 1s.
	TimerPoll time.Duration
	// Receivers tunes channel receivers (leases, restarts).
	Receivers receivers.Options
}

// App is an assembled server.
type App struct {
	DB       *store.DB
	Client   *ent.Client
	Auth     *auth.Service
	Events   *events.Log
	Presence *presence.Service // agents' live connections, status and typing
	Handler  http.Handler
	// Deliverer sends queued outbound messages.
	Deliverer *inbox.Deliverer
	// Router assigns waiting conversations to agents.
	Router *routing.Router
	// AutoReplies sends channels' auto-replies (a durable consumer).
	AutoReplies *autoreply.Service
	// Timers fires due timers (snoozed conversations' wake-ups).
	Timers *timers.Timers
	// Rules runs automation rules (a durable consumer of the event log).
	Rules *automation.Service
	// Receivers runs this instance's share of channel receivers.
	Receivers *receivers.Runner
	// Files keeps attachments' bytes and serves them by signed links.
	Files *files.Service
	// QuickReplies keeps, renders and sends quick replies.
	QuickReplies *quickreplies.Service
	// media opens inbound files for the files worker; mediaQueued wakes
	// it when messages with files were stored.
	media       files.Source
	mediaQueued <-chan struct{}
	filesPoll   time.Duration
	// GraphQL counts the GraphQL server's work and refusals.
	GraphQL *graph.Counters
	// Sockets registers this instance's live websockets.
	Sockets *graph.Sockets

	cfg          *config.Config
	retention    time.Duration
	routingOff   bool
	autoReplyOff bool
	log          *slog.Logger
}

// New migrates the database and builds the HTTP handler. It creates
// nothing: Bootstrap does, once the server can serve.
func New(ctx context.Context, cfg *config.Config, db *store.DB, o Options) (*App, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	// Every time Switchboard stores is UTC: SQLite compares times as text,
	// so one zone everywhere keeps comparisons right.
	clock := o.Now
	if clock == nil {
		clock = time.Now
	}
	now := func() time.Time { return clock().UTC() }
	var drv dialect.Driver = db.Driver
	if o.WrapDriver != nil {
		drv = o.WrapDriver(drv)
	}
	client := ent.NewClient(ent.Driver(drv))
	if err := migrate(ctx, cfg, db, log); err != nil {
		return nil, err
	}
	box, err := secrets.NewBox(cfg.SecretKey, cfg.PreviousSecretKeys...)
	if err != nil {
		return nil, fmt.Errorf("app: secret key: %w", err)
	}
	eventLog := events.NewLog(client, events.Options{Postgres: db.Dialect == dialect.Postgres, Now: now, Logger: log})
	authSvc := auth.New(client, auth.Options{
		JWTSecret: cfg.JWTSecret, SignupOpen: cfg.SignupOpen, Now: now, BcryptCost: o.BcryptCost, Logger: log,
		Clock: o.AuthClock, Events: eventLog, Secrets: box,
	})
	pres := presence.New(client, eventLog, presence.Options{
		Grace: cfg.PresenceGrace, Heartbeat: cfg.PresenceHeartbeat, TypingTimeout: cfg.TypingTimeout, Now: now, Logger: log,
	})
	customerSvc := customers.New(client, eventLog, now, db.Dialect == dialect.Postgres)
	channelSvc := channelcfg.New(client, Channels(o.Adapters...), box, cfg.PublicURL, o.HTTPClient, now)
	timerSvc := timers.New(client, timers.Options{Poll: o.TimerPoll, Now: now, Log: log})
	maxFile := cmp.Or(cfg.MaxFileBytes, files.DefaultMaxBytes)
	var inboxSvc *inbox.Service // the files service tells it of changed attachments
	var fileStore files.Store
	if s3 := cfg.S3; s3.Endpoint != "" {
		fileStore, err = files.NewS3(ctx, files.S3Options{Endpoint: s3.Endpoint, Bucket: s3.Bucket, Region: s3.Region,
			AccessKeyID: s3.AccessKeyID, SecretAccessKey: s3.SecretAccessKey, VirtualHosted: s3.VirtualHosted})
	} else {
		fileStore, err = files.NewDisk(filepath.Join(cfg.DataDir, "files"))
	}
	if err != nil {
		return nil, err
	}
	fileSvc := files.NewService(client, fileStore, files.NewSigner(cfg.SecretKey), cfg.PublicURL,
		files.Options{MaxBytes: maxFile, LinkTTL: cfg.FileURLTTL, Now: now, Log: log, FetchBackoff: o.FetchBackoff,
			Changed: func(ctx context.Context, f *ent.File) error { return inboxSvc.AttachmentChanged(ctx, f) }})
	inboxSvc = inbox.New(client,
		inbox.Deps{Events: eventLog, Customers: customerSvc, Kinds: channelSvc.Kinds(), Templates: channelSvc.Templates, Timers: timerSvc, Files: fileSvc},
		inbox.Options{Now: now, Postgres: db.Dialect == dialect.Postgres, Reopen: cfg.ReopenWindow})
	timerSvc.Handle(inbox.TimerWake, inboxSvc.Wake)
	visitors := visitor.New(client, authSvc, inboxSvc, channelSvc, customerSvc, visitor.Options{
		SessionTTL: cfg.VisitorSessionTTL, Limits: o.VisitorLimits, Now: now,
	})
	ro := o.Receivers
	if ro.Now == nil {
		ro.Now = now
	}
	if ro.Log == nil {
		ro.Log = log
	}
	receiverRunner := receivers.New(client, channelSvc, inboxSvc.Deliver, ro)
	router := routing.New(client, eventLog, inboxSvc, routing.Options{Sweep: o.RoutingSweep, Poll: o.RoutingPoll, Now: now, Log: log})
	quickReplies := quickreplies.New(client, inboxSvc, fileSvc, eventLog, now)
	autoReplies := autoreply.New(client, eventLog, inboxSvc, router, quickReplies, autoreply.Options{Poll: o.RoutingPoll, Now: now, Log: log})
	rules := automation.New(client,
		automation.Deps{Events: eventLog, Inbox: inboxSvc, Customers: customerSvc, QuickReplies: quickReplies, Timers: timerSvc},
		automation.Options{MaxActionsPerMinute: cfg.AutomationMaxActionsPerMinute, Poll: o.RoutingPoll, Now: now, Log: log})
	timerSvc.Handle(automation.TimerIdle, rules.Idle)
	// An agent who comes ONLINE here gets waiting conversations at once
	// (elsewhere, within the router's sweep).
	pres.OnStatus(func(ws gid.ID, status agent.Status) {
		if status == agent.StatusONLINE {
			router.Kick(ws)
		}
	})
	// Revoked or demoted credentials reach this instance's websockets at
	// once, whichever instance changed them.
	sockets := graph.NewSockets()
	eventLog.OnSignal(events.SignalCredentials, sockets.CredentialsChanged)
	res := &graph.Resolver{
		Client:    client,
		Auth:      authSvc,
		Events:    eventLog,
		Presence:  pres,
		Inbox:     inboxSvc,
		Channels:  channelSvc,
		Visitors:  visitors,
		Customers: customerSvc,
		Router:    router,
		Rules:     rules,
		Receivers: receiverRunner,
		AutoReply: autoReplies,
		Files:     fileSvc,
		Timeline:  timeline.New(client),
		Now:       now,
		Log:       log,

		CredentialRecheck: o.CredentialRecheck,
		Sockets:           sockets,

		QuickReplies: quickReplies,
	}
	counters := &graph.Counters{}
	gql := graph.NewServer(res, graph.ServerOptions{
		Limits: graph.Limits{
			MaxTokens: cfg.Query.Tokens, MaxFields: cfg.Query.Fields, MaxAliases: cfg.Query.Aliases,
			MaxDepth: cfg.Query.Depth, MaxComplexity: cfg.Query.Complexity, DisableIntrospection: cfg.IntrospectionOff,
		},
		Timeout:        cfg.RequestTimeout,
		Counters:       counters,
		MaxUploadBytes: maxFile + 1<<20,
	})
	h := server.Handler(server.Deps{
		GraphQL: gql, Auth: authSvc, DB: db.SQL, Logger: log, AllowedOrigins: cfg.AllowedOrigins,
		Client: client, Channels: channelSvc, Inbox: inboxSvc, Origins: visitors.Origins,
		TrustedProxies: cfg.TrustedProxies, Files: fileSvc, MaxUploadBytes: maxFile + 1<<20,
	})
	delivery := o.Delivery
	fetch := files.FetchOptions{AllowPrivate: cfg.AllowPrivateFetch}
	delivery.Queued = inboxSvc.OutboxQueued()
	return &App{
		DB: db, Client: client, Auth: authSvc, Events: eventLog, Presence: pres, Handler: h, GraphQL: counters,
		Deliverer:    inbox.NewDeliverer(inboxSvc, channelSvc, log, db.Dialect == dialect.Postgres, delivery),
		retention:    cfg.EventRetention,
		Router:       router,
		AutoReplies:  autoReplies,
		Receivers:    receiverRunner,
		Files:        fileSvc,
		media:        inboxSvc.MediaSource(channelSvc, files.FetchClient(fetch), fetch, maxFile),
		mediaQueued:  inboxSvc.MediaQueued(),
		filesPoll:    o.FilesPoll,
		Timers:       timerSvc,
		Sockets:      sockets,
		routingOff:   cfg.RoutingOff,
		autoReplyOff: cfg.AutoRepliesOff,
		cfg:          cfg,
		log:          log,
		QuickReplies: quickReplies,
		Rules:        rules,
	}, nil
}

// Bootstrap creates the first workspace and admin on an empty database
// (SWITCHBOARD_ADMIN_EMAIL and _PASSWORD; without a password it logs a
// generated one-time password, which must be changed at the first
// sign-in).
func (a *App) Bootstrap(ctx context.Context) error {
	created, generated, err := a.Auth.Bootstrap(ctx, a.cfg.AdminEmail, a.cfg.AdminPassword)
	if err != nil || !created {
		return err
	}
	email := cmp.Or(a.cfg.AdminEmail, auth.DefaultAdminEmail)
	if generated != "" {
		a.log.Warn("created the first admin with a one-time password; it must be changed at the first sign-in", "email", email, "password", generated)
	} else {
		a.log.Info("created the first admin", "email", email)
	}
	return nil
}

// FanoutChannel is the PostgreSQL NOTIFY channel instances share.
const FanoutChannel = "switchboard_events"

// RunWorkers starts the background work of this instance, which runs until
// ctx ends: the fan-out to other instances (PostgreSQL) and the event
// log's retention.
func (a *App) RunWorkers(ctx context.Context) error {
	if a.DB.URL != "" {
		if err := a.Events.StartFanout(ctx, a.DB.URL, FanoutChannel, a.Client); err != nil {
			return err
		}
	}
	if a.retention > 0 {
		go a.Events.KeepPruning(ctx, a.retention, time.Hour)
	}
	// SQLite's planner statistics: refreshed at start and hourly.
	go func() {
		tick := time.NewTicker(time.Hour)
		defer tick.Stop()
		for {
			if err := a.DB.Optimize(ctx); err != nil && ctx.Err() == nil {
				a.log.WarnContext(ctx, "optimizing the database", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	// Presence: heartbeat this instance's connected agents and sweep agents
	// without a live connection anywhere to OFFLINE (on every instance; the
	// sweep is idempotent). Stopping it is what a crash looks like to others.
	go a.Presence.Run(ctx)
	// Outbound delivery: claim queued messages and send them through their
	// channels (safe on any number of instances).
	go a.Deliverer.Run(ctx)
	// Timers: claim due timers and fire them (safe on any number of
	// instances; one fires each timer).
	go a.Timers.Run(ctx)
	// Files: unattached uploads after a day, and bytes no row points to
	// (a crash between storing and recording) after an hour, hourly.
	go a.Files.KeepSweeping(ctx, time.Hour)
	// Files: fetch inbound media from providers (retried; any number of
	// instances) and make images' thumbnails.
	go a.Files.Work(ctx, a.media, a.mediaQueued, cmp.Or(a.filesPoll, 5*time.Second))
	// Channel receivers: each enabled channel of a kind that fetches its
	// own messages, on one instance at a time (a lease).
	go a.Receivers.Run(ctx)
	// Routing: a durable consumer of the event log (one instance at a time
	// holds it), kicks from agents coming ONLINE, and a sweep.
	if !a.routingOff {
		go a.Router.Run(ctx)
	}
	// Auto-replies: a durable consumer of the event log (one instance at
	// a time holds it).
	if !a.autoReplyOff {
		go a.AutoReplies.Run(ctx)
	}
	// Automation rules: a durable consumer of the event log.
	if !a.cfg.AutomationOff {
		go a.Rules.Run(ctx)
	}
	return nil
}
