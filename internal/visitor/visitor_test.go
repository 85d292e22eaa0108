package visitor_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/web"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/secrets"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/timers"
	"github.com/switchboard/switchboard/internal/viewer"
	"github.com/switchboard/switchboard/internal/visitor"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const ttl = 2 * time.Hour

type env struct {
	ctx      context.Context
	c        *ent.Client
	auth     *auth.Service
	channels *channelcfg.Service
	svc      *visitor.Service
	ch       *ent.Channel // an enabled web channel
	secret   string       // its identity secret
}

// newEnv wires the services as internal/app does.
func newEnv(t *testing.T, limits visitor.Limits) *env {
	t.Helper()
	ctx, c, db := testenv.Workspace(t)
	now := func() time.Time { return t0 }
	box, err := secrets.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	log := events.NewLog(c, events.Options{Postgres: db.Dialect == dialect.Postgres, Now: now})
	authSvc := auth.New(c, auth.Options{JWTSecret: []byte(strings.Repeat("k", 32)), Now: now, BcryptCost: 4, Events: log, Secrets: box})
	cust := customers.New(c, log, now, db.Dialect == dialect.Postgres)
	chSvc := channelcfg.New(c, channels.NewRegistry(web.New()), box, "https://sb.example.com", nil, now)
	tm := timers.New(c, timers.Options{Now: now})
	in := inbox.New(c, inbox.Deps{Events: log, Customers: cust, Kinds: chSvc.Kinds(), Timers: tm},
		inbox.Options{Now: now, Postgres: db.Dialect == dialect.Postgres})
	svc := visitor.New(c, authSvc, in, chSvc, cust, visitor.Options{SessionTTL: ttl, Limits: limits, Now: now})
	e := &env{ctx: ctx, c: c, auth: authSvc, channels: chSvc, svc: svc}
	e.ch = e.webChannel(t, "Site")
	cfg, err := chSvc.Config(e.ch)
	if err != nil {
		t.Fatal(err)
	}
	e.secret = cfg.Secrets[web.IdentitySecret]
	if len(e.secret) != 64 {
		t.Fatalf("identity secret %q", e.secret)
	}
	return e
}

func (e *env) webChannel(t *testing.T, name string) *ent.Channel {
	t.Helper()
	var ch *ent.Channel
	err := store.InTx(e.ctx, e.c, func(ctx context.Context) (err error) {
		ch, err = e.channels.Create(ctx, channelcfg.Input{Kind: web.Kind, Name: &name})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func (e *env) start(t *testing.T, in visitor.Input, current *viewer.Actor) *visitor.Session {
	t.Helper()
	s, err := e.svc.Start(e.ctx, e.ch.Key, in, current)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return s
}

func (e *env) send(a *viewer.Actor, body, clientID string) (*ent.Message, error) {
	var m *ent.Message
	err := store.InTx(e.ctx, e.c, func(ctx context.Context) (err error) {
		m, err = e.svc.Send(ctx, a, body, clientID, nil)
		return err
	})
	return m, err
}

func TestStartNewVisitorAndToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitor.Limits{})
	s := e.start(t, visitor.Input{Name: "  Vera  "}, nil)
	if s.Verified {
		t.Error("a session without identityHash is verified")
	}
	if !s.ExpiresAt.Equal(t0.Add(ttl)) {
		t.Errorf("ExpiresAt = %v, want %v (the TTL)", s.ExpiresAt, t0.Add(ttl))
	}
	a := s.Actor
	if a.Kind != viewer.KindVisitor || a.ChannelID != e.ch.ID || a.CustomerID == "" || !strings.HasPrefix(a.VisitorID, "v_") {
		t.Fatalf("actor = %+v", a)
	}
	// The visitor is a verified CHANNEL_USER identity of the channel, on a customer named from the (trimmed) input.
	id := e.c.CustomerIdentity.Query().Where(customeridentity.KindEQ(customeridentity.KindCHANNEL_USER), customeridentity.Value(a.VisitorID)).OnlyX(e.ctx)
	if !id.Verified || id.CustomerID != a.CustomerID || id.ChannelID == nil || *id.ChannelID != e.ch.ID {
		t.Fatalf("visitor identity = %+v", id)
	}
	if cu := e.c.Customer.GetX(e.ctx, a.CustomerID); cu.Name != "Vera" {
		t.Errorf("customer name = %q, want Vera", cu.Name)
	}
	// The token authenticates as that visitor until it expires.
	got, exp, err := e.auth.Authenticate(context.Background(), s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.VisitorID != a.VisitorID || got.CustomerID != a.CustomerID || got.ChannelID != e.ch.ID || !exp.Equal(s.ExpiresAt) {
		t.Fatalf("token authenticates as %+v until %v", got, exp)
	}

	// Continuing: the same visitor and customer, a fresh token.
	again := e.start(t, visitor.Input{}, a)
	if again.Actor.VisitorID != a.VisitorID || again.Actor.CustomerID != a.CustomerID {
		t.Errorf("continued session is %+v, want visitor %s", again.Actor, a.VisitorID)
	}
	// A visitor of another channel starts afresh here.
	other := *a
	other.ChannelID = e.webChannel(t, "Other").ID
	fresh := e.start(t, visitor.Input{}, &other)
	if fresh.Actor.VisitorID == a.VisitorID || fresh.Actor.CustomerID == a.CustomerID {
		t.Errorf("another channel's visitor was continued: %+v", fresh.Actor)
	}
	// Renew issues a token for the same visitor.
	r, err := e.svc.Renew(a)
	if err != nil || r.Actor != a || r.Token == "" || !r.ExpiresAt.Equal(t0.Add(ttl)) {
		t.Fatalf("renew: %+v %v", r, err)
	}
}

func TestStartRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitor.Limits{})
	closed := e.webChannel(t, "Closed")
	e.c.Channel.UpdateOne(closed).SetEnabled(false).ExecX(e.ctx)
	tests := []struct {
		name  string
		key   string
		in    visitor.Input
		code  apperr.Code
		field string
	}{
		{"unknown key", "nope", visitor.Input{}, apperr.NotFound, ""},
		{"disabled channel", closed.Key, visitor.Input{}, apperr.Forbidden, ""},
		{"bad email", e.ch.Key, visitor.Input{Email: "not-an-email"}, apperr.InvalidInput, "visitor.email"},
		{"long name", e.ch.Key, visitor.Input{Name: strings.Repeat("n", 256)}, apperr.InvalidInput, "visitor.name"},
		{"long phone", e.ch.Key, visitor.Input{Phone: strings.Repeat("1", 33)}, apperr.InvalidInput, "visitor.phone"},
		{"hash without identity", e.ch.Key, visitor.Input{IdentityHash: "abcd"}, apperr.InvalidInput, "visitor.identityHash"},
		{"wrong hash", e.ch.Key, visitor.Input{ExternalID: "u-1", IdentityHash: visitor.IdentityHash("wrong-secret", "u-1")}, apperr.Forbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Start(e.ctx, tt.key, tt.in, nil)
			var ae *apperr.Error
			if !asApp(err, &ae) || ae.Code != tt.code || ae.Field != tt.field {
				t.Fatalf("err = %v, want %s on %q", err, tt.code, tt.field)
			}
		})
	}
	if n := e.c.Customer.Query().CountX(e.ctx); n != 0 {
		t.Fatalf("%d customers created by refused sessions", n)
	}
}

func TestVerifiedIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitor.Limits{})
	hash := visitor.IdentityHash(e.secret, "user-42")
	if !visitor.ValidHash(e.secret, "user-42", strings.ToUpper(hash)) || visitor.ValidHash(e.secret, "user-43", hash) {
		t.Fatal("ValidHash")
	}
	first := e.start(t, visitor.Input{ExternalID: "user-42", IdentityHash: hash, Email: "Ann@Example.com"}, nil)
	if !first.Verified {
		t.Fatal("session with a good hash is not verified")
	}
	ids := e.c.CustomerIdentity.Query().Where(customeridentity.CustomerID(first.Actor.CustomerID),
		customeridentity.KindNEQ(customeridentity.KindCHANNEL_USER)).AllX(e.ctx)
	got := map[string]bool{}
	for _, id := range ids {
		got[string(id.Kind)+"="+id.Value] = id.Verified
	}
	// The signed external id is verified; the email is only a claim.
	if v, ok := got["EXTERNAL_ID=user-42"]; !ok || !v {
		t.Errorf("identities %v: want a verified EXTERNAL_ID user-42", got)
	}
	if v, ok := got["EMAIL=ann@example.com"]; !ok || v {
		t.Errorf("identities %v: want an unverified claimed EMAIL ann@example.com", got)
	}

	// The same signed-in user on another browser joins the same customer, as a new visitor.
	second := e.start(t, visitor.Input{ExternalID: "user-42", IdentityHash: hash}, nil)
	if second.Actor.CustomerID != first.Actor.CustomerID || second.Actor.VisitorID == first.Actor.VisitorID {
		t.Fatalf("second browser: %+v, want customer %s with a new visitor", second.Actor, first.Actor.CustomerID)
	}
	// An anonymous visitor who signs in as that user becomes a visitor of theirs.
	anon := e.start(t, visitor.Input{}, nil)
	signed := e.start(t, visitor.Input{ExternalID: "user-42", IdentityHash: hash}, anon.Actor)
	if signed.Actor.CustomerID != first.Actor.CustomerID || signed.Actor.VisitorID == anon.Actor.VisitorID {
		t.Fatalf("signed in: %+v, want customer %s", signed.Actor, first.Actor.CustomerID)
	}
	// A claimed, unsigned external id never joins a customer.
	claim := e.start(t, visitor.Input{ExternalID: "user-42"}, nil)
	if claim.Verified || claim.Actor.CustomerID == first.Actor.CustomerID {
		t.Fatalf("unsigned claim joined the customer: %+v", claim.Actor)
	}
}

func TestSendStoresAndDedupes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitor.Limits{})
	s := e.start(t, visitor.Input{Name: "Vera"}, nil)
	if conv, err := e.svc.Conversation(e.ctx, s.Actor); err != nil || conv != nil {
		t.Fatalf("conversation before the first message: %v %v", conv, err)
	}
	m, err := e.send(s.Actor, "hello there", "c-1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Body != "hello there" || m.Direction != message.DirectionINBOUND || m.ChannelID != e.ch.ID || m.Private || m.Edges.Conversation == nil || m.Edges.Conversation.CustomerID != s.Actor.CustomerID {
		t.Fatalf("message = %+v", m)
	}
	conv, err := e.svc.Conversation(e.ctx, s.Actor)
	if err != nil || conv == nil || conv.ID != m.ConversationID {
		t.Fatalf("Conversation = %v, %v; want %s", conv, err, m.ConversationID)
	}
	if !visitor.Owns(s.Actor, m, conv) {
		t.Error("the visitor does not own their message")
	}
	// A retry returns the first message; nothing new is stored.
	again, err := e.send(s.Actor, "hello there", "c-1")
	if err != nil || again.ID != m.ID {
		t.Fatalf("retry: %v %v, want message %s", again, err, m.ID)
	}
	// Another visitor's same key is another message.
	other := e.start(t, visitor.Input{}, nil)
	om, err := e.send(other.Actor, "hi", "c-1")
	if err != nil || om.ID == m.ID {
		t.Fatalf("other visitor's c-1: %v %v", om, err)
	}
	if visitor.Owns(other.Actor, m, conv) {
		t.Error("another visitor owns the message")
	}
	// Without a key there is no dedupe.
	if _, err := e.send(s.Actor, "hello there", ""); err != nil {
		t.Fatal(err)
	}
	if n := e.c.Message.Query().Where(message.ConversationID(m.ConversationID)).CountX(e.ctx); n != 2 {
		t.Fatalf("%d messages in the conversation, want 2", n)
	}
	_, err = e.send(s.Actor, "x", strings.Repeat("k", visitor.MaxClientMessageID+1))
	var ae *apperr.Error
	if !asApp(err, &ae) || ae.Code != apperr.InvalidInput || ae.Field != "clientMessageID" {
		t.Fatalf("long clientMessageID: err = %v", err)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, visitor.Limits{SessionsPerAddress: 2, MessagesPerVisitor: 2, MessagesPerAddress: 3})
	ctx := auth.WithClientAddr(e.ctx, "203.0.113.7")
	var actors []*viewer.Actor
	for i := range 2 {
		s, err := e.svc.Start(ctx, e.ch.Key, visitor.Input{}, nil)
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		actors = append(actors, s.Actor)
	}
	if _, err := e.svc.Start(ctx, e.ch.Key, visitor.Input{}, nil); apperr.CodeOf(err) != apperr.RateLimited {
		t.Fatalf("third session from one address: err = %v, want RATE_LIMITED", err)
	}
	third, err := e.svc.Start(auth.WithClientAddr(e.ctx, "198.51.100.1"), e.ch.Key, visitor.Input{}, nil)
	if err != nil {
		t.Fatalf("another address: %v", err)
	}

	send := func(a *viewer.Actor, addr string) error {
		return store.InTx(auth.WithClientAddr(e.ctx, addr), e.c, func(ctx context.Context) error {
			_, err := e.svc.Send(ctx, a, "hi", "", nil)
			return err
		})
	}
	for i := range 2 {
		if err := send(actors[0], "a1"); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := send(actors[0], "a2"); apperr.CodeOf(err) != apperr.RateLimited {
		t.Fatalf("third message of one visitor: err = %v, want RATE_LIMITED", err)
	}
	// Per address: a1 allowed 2 messages of its 3; another visitor gets the third, then is refused.
	if err := send(actors[1], "a1"); err != nil {
		t.Fatalf("third message from a1: %v", err)
	}
	if err := send(actors[1], "a1"); apperr.CodeOf(err) != apperr.RateLimited {
		t.Fatalf("fourth message from one address: err = %v, want RATE_LIMITED", err)
	}
	// Another visitor may still write from another address.
	if err := send(third.Actor, "b1"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func asApp(err error, target **apperr.Error) bool {
	if err == nil {
		return false
	}
	e, ok := err.(*apperr.Error)
	if !ok {
		return false
	}
	*target = e
	return true
}
