// Package visitor is the website visitors' side of web chat channels:
// sessions (with identities claimed by the visitor or verified by the
// embedding site), their messages and conversations, the browser origins
// the channels allow, and rate limits.
//
// A visitor is a verified CHANNEL_USER identity of a web channel, whose
// value (the visitor id) the visitor's token names. A visitor reaches only
// the conversations of their own customer on that channel.
package visitor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/gid"
	phones "github.com/switchboard/switchboard/internal/identity"
	"github.com/switchboard/switchboard/internal/inbox"
	"github.com/switchboard/switchboard/internal/ratelimit"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
	"github.com/switchboard/switchboard/internal/webchat"
)

// Limits bound what one visitor and one network address may do. Zero
// fields take the defaults.
type Limits struct {
	SessionsPerAddress int           // sessions started per address per Window (default 30)
	MessagesPerVisitor int           // messages per visitor per Window (default 30)
	MessagesPerAddress int           // messages per address per Window (default 120)
	UploadsPerVisitor  int           // files uploaded per visitor per Window (default 10)
	Window             time.Duration // default 1 minute
}

func (l Limits) withDefaults() Limits {
	if l.SessionsPerAddress == 0 {
		l.SessionsPerAddress = 30
	}
	if l.MessagesPerVisitor == 0 {
		l.MessagesPerVisitor = 30
	}
	if l.UploadsPerVisitor == 0 {
		l.UploadsPerVisitor = 10
	}
	if l.MessagesPerAddress == 0 {
		l.MessagesPerAddress = 120
	}
	if l.Window == 0 {
		l.Window = time.Minute
	}
	return l
}

// Options configure the service.
type Options struct {
	SessionTTL time.Duration // default 30 days
	Limits     Limits
	Now        func() time.Time
}

// Service runs the visitor API.
type Service struct {
	client    *ent.Client
	auth      *auth.Service
	inbox     *inbox.Service
	channels  *channelcfg.Service
	customers *customers.Service
	ttl       time.Duration
	now       func() time.Time

	sessionsByAddr *ratelimit.Limiter
	msgsByVisitor  *ratelimit.Limiter
	msgsByAddr     *ratelimit.Limiter
	uploads        *ratelimit.Limiter

	// Origins are the browser origins web channels allow.
	Origins *Origins
}

// New returns a Service.
// cs turns claims other customers also have into duplicate suggestions.
func New(client *ent.Client, a *auth.Service, in *inbox.Service, ch *channelcfg.Service, cs *customers.Service, o Options) *Service {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	l := o.Limits.withDefaults()
	return &Service{
		client: client, auth: a, inbox: in, channels: ch, customers: cs, ttl: o.SessionTTL, now: o.Now,
		sessionsByAddr: ratelimit.New(l.SessionsPerAddress, l.Window, o.Now),
		msgsByVisitor:  ratelimit.New(l.MessagesPerVisitor, l.Window, o.Now),
		msgsByAddr:     ratelimit.New(l.MessagesPerAddress, l.Window, o.Now),
		uploads:        ratelimit.New(l.UploadsPerVisitor, l.Window, o.Now),
		Origins:        newOrigins(client, o.Now),
	}
}

// Input is what the embedding site says about the visitor.
type Input struct {
	Name, Email, Phone, ExternalID, IdentityHash string
}

// Session is a visitor's credential and who it is.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Verified  bool
	Actor     *viewer.Actor
}

var (
	errNoChannel  = apperr.New(apperr.NotFound, "no website chat has this channel key")
	errChatClosed = apperr.New(apperr.Forbidden, "this website chat is disabled")
	errOrigin     = apperr.New(apperr.Forbidden, "this website chat does not allow requests from this origin")
	errHash       = apperr.New(apperr.Forbidden, "identityHash does not match: the identity could not be verified")
)

// Start starts a visitor session on the web channel with the given key, or
// continues current's session when current is a visitor of that channel.
// A verified identity (identityHash) joins the visitor to the customer who
// has it; claims are recorded on the visitor's own customer only.
func (s *Service) Start(ctx context.Context, channelKey string, in Input, current *viewer.Actor) (*Session, error) {
	ch, err := s.client.Channel.Query().
		Where(channel.Key(channelKey), channel.Kind(webchat.Kind)).
		Only(privacyAllow(ctx))
	if ent.IsNotFound(err) {
		return nil, errNoChannel
	}
	if err != nil {
		return nil, fmt.Errorf("visitor: load channel: %w", err)
	}
	if !ch.Enabled {
		return nil, errChatClosed
	}
	if o := auth.Origin(ctx); o != "" && !webchat.OriginAllowed(ch.Settings, o) {
		return nil, errOrigin
	}
	in, err = clean(in)
	if err != nil {
		return nil, err
	}
	verified, err := s.verify(ch, in)
	if err != nil {
		return nil, err
	}
	if !s.sessionsByAddr.Allow(auth.ClientAddr(ctx)) {
		return nil, apperr.New(apperr.RateLimited, "too many chat sessions from this address; try again in a minute")
	}
	if current != nil && (!current.IsVisitor() || current.ChannelID != ch.ID) {
		current = nil // another channel's visitor, or an agent trying the widget: a new visitor
	}
	actor, err := s.resolve(viewer.NewContext(ctx, viewer.System(ch.WorkspaceID)), ch, in, verified, current)
	if err != nil {
		return nil, err
	}
	return s.issue(actor, verified != nil)
}

// Renew issues a fresh token for the visitor.
func (s *Service) Renew(a *viewer.Actor) (*Session, error) {
	return s.issue(a, false)
}

func (s *Service) issue(a *viewer.Actor, verified bool) (*Session, error) {
	tok, exp, err := s.auth.IssueVisitorToken(a.WorkspaceID, a.ChannelID, a.VisitorID, s.ttl)
	if err != nil {
		return nil, err
	}
	return &Session{Token: tok, ExpiresAt: exp, Verified: verified, Actor: a}, nil
}

// identity is an identity the embedding site vouched for.
type identity struct {
	kind  customeridentity.Kind
	value string
}

// verify checks identityHash against the channel's identity secret. It
// returns the verified identity, or nil when there is no hash.
func (s *Service) verify(ch *ent.Channel, in Input) (*identity, error) {
	if in.IdentityHash == "" {
		return nil, nil
	}
	id := identity{customeridentity.KindEXTERNAL_ID, in.ExternalID}
	if in.ExternalID == "" {
		id = identity{customeridentity.KindEMAIL, in.Email}
	}
	if id.value == "" {
		return nil, apperr.Invalid("visitor.identityHash", "identityHash signs externalID or email; give one of them")
	}
	cfg, err := s.channels.Config(ch)
	if err != nil {
		return nil, err
	}
	secret := cfg.Secrets[webchat.IdentitySecret]
	if secret == "" {
		return nil, apperr.New(apperr.Forbidden, "this website chat has no identity secret, so identities cannot be verified")
	}
	if !ValidHash(secret, id.value, in.IdentityHash) {
		return nil, errHash
	}
	return &id, nil
}

// IdentityHash is what an embedding site's server computes for a signed-in
// user: hex HMAC-SHA256(identity secret, value).
func IdentityHash(secret, value string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// ValidHash reports, in constant time, whether hash is value's identity hash.
func ValidHash(secret, value, hash string) bool {
	got, err := hex.DecodeString(strings.ToLower(hash))
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(IdentityHash(secret, value))
	return hmac.Equal(got, want)
}

// clean trims and checks the input.
func clean(in Input) (Input, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Email = auth.NormalizeEmail(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	in.ExternalID = strings.TrimSpace(in.ExternalID)
	in.IdentityHash = strings.TrimSpace(in.IdentityHash)
	switch {
	case len([]rune(in.Name)) > 255:
		return in, apperr.Invalid("visitor.name", "must be at most 255 characters")
	case len(in.Email) > 254:
		return in, apperr.Invalid("visitor.email", "must be at most 254 characters")
	case in.Email != "" && !validEmail(in.Email):
		return in, apperr.Invalid("visitor.email", "is not an email address")
	case len(in.Phone) > 32:
		return in, apperr.Invalid("visitor.phone", "must be at most 32 characters")
	case len(in.ExternalID) > 255:
		return in, apperr.Invalid("visitor.externalID", "must be at most 255 characters")
	case len(in.IdentityHash) > 128:
		return in, apperr.Invalid("visitor.identityHash", "is not an HMAC-SHA256 hex digest")
	}
	return in, nil
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

// db is the client of the transaction ctx carries, or the base client.
func (s *Service) db(ctx context.Context) *ent.Client { return store.Client(ctx, s.client) }

// resolve finds or creates the visitor's customer and visitor id in one
// transaction, retried when it loses a race on a unique identity (two
// first sessions of one verified user).
func (s *Service) resolve(ctx context.Context, ch *ent.Channel, in Input, verified *identity, current *viewer.Actor) (*viewer.Actor, error) {
	var a *viewer.Actor
	err := store.InTx(ctx, s.client, func(ctx context.Context) (err error) {
		a, err = s.resolveOnce(ctx, ch, in, verified, current)
		return err
	})
	if err != nil && store.UniqueRace(err) {
		return nil, fmt.Errorf("visitor: session kept conflicting: %w", err)
	}
	return a, err
}

// resolveOnce is one attempt of resolve, in the transaction ctx carries.
func (s *Service) resolveOnce(ctx context.Context, ch *ent.Channel, in Input, verified *identity, current *viewer.Actor) (*viewer.Actor, error) {
	c := store.Client(ctx, s.client)
	a := &viewer.Actor{Kind: viewer.KindVisitor, WorkspaceID: ch.WorkspaceID, ChannelID: ch.ID}
	if current != nil {
		a.CustomerID, a.VisitorID = current.CustomerID, current.VisitorID
	}
	if verified != nil {
		owner, err := s.customers.Owner(ctx, verified.kind, verified.value)
		if err != nil {
			return nil, err
		}
		switch {
		case owner != "" && owner == a.CustomerID:
			// The same person again.
		case owner != "":
			// A known customer signed in on this browser: a visitor of
			// theirs. What the browser wrote before stays with its own
			// customer.
			a.CustomerID, a.VisitorID = owner, ""
		case a.CustomerID != "":
			// A new verified identity: the current visitor's, unless their
			// customer is verified as someone else already.
			other, err := c.CustomerIdentity.Query().Where(
				customeridentity.CustomerID(a.CustomerID), customeridentity.Verified(true),
				customeridentity.KindIn(customeridentity.KindEXTERNAL_ID, customeridentity.KindEMAIL),
			).Exist(ctx)
			if err != nil {
				return nil, err
			}
			if other {
				a.CustomerID, a.VisitorID = "", ""
			}
		}
	}
	if a.CustomerID == "" {
		cu, err := c.Customer.Create().SetName(in.Name).Save(ctx)
		if err != nil {
			return nil, err
		}
		a.CustomerID = cu.ID
	}
	if verified != nil {
		if err := s.addIdentity(ctx, a.CustomerID, verified.kind, verified.value, true); err != nil {
			return nil, err
		}
	}
	if a.VisitorID == "" {
		a.VisitorID = auth.NewVisitorID()
		err := c.CustomerIdentity.Create().SetCustomerID(a.CustomerID).SetKind(customeridentity.KindCHANNEL_USER).
			SetChannelID(ch.ID).SetValue(a.VisitorID).SetVerified(true).Exec(ctx)
		if err != nil {
			return nil, err
		}
	}
	if err := s.recordClaims(ctx, a.CustomerID, in, verified); err != nil {
		return nil, err
	}
	return a, nil
}

// addIdentity gives a customer an identity from the website chat (source
// WIDGET) unless it has it already; a verified one upgrades the customer's
// own claim of the same value.
func (s *Service) addIdentity(ctx context.Context, cust gid.ID, kind customeridentity.Kind, value string, verified bool) error {
	c := s.db(ctx)
	have, err := c.CustomerIdentity.Query().
		Where(customeridentity.CustomerID(cust), customeridentity.KindEQ(kind), customeridentity.Value(value),
			customeridentity.ChannelIDIsNil()).
		All(ctx)
	if err != nil {
		return err
	}
	for _, h := range have {
		if h.Verified || !verified {
			return nil
		}
		return c.CustomerIdentity.UpdateOne(h).SetVerified(true).SetSource(customeridentity.SourceWIDGET).Exec(ctx)
	}
	return c.CustomerIdentity.Create().SetCustomerID(cust).SetKind(kind).SetValue(value).SetVerified(verified).
		SetSource(customeridentity.SourceWIDGET).Exec(ctx)
}

// recordClaims stores what the visitor says about themselves on their own
// customer: a name when it has none, email, phone and external id as
// unverified identities. The phone number is stored in E.164 (a national
// number read in the workspace's region); one that is not a phone number
// is left out.
func (s *Service) recordClaims(ctx context.Context, cust gid.ID, in Input, verified *identity) error {
	c := s.db(ctx)
	if in.Name != "" {
		if err := c.Customer.UpdateOneID(cust).SetName(in.Name).Exec(ctx); err != nil {
			return err
		}
	}
	if in.Phone != "" {
		region, err := s.customers.PhoneRegion(ctx)
		if err != nil {
			return err
		}
		in.Phone, _ = phones.Phone(in.Phone, region)
	}
	claims := []identity{
		{customeridentity.KindEMAIL, in.Email},
		{customeridentity.KindPHONE, in.Phone},
		{customeridentity.KindEXTERNAL_ID, in.ExternalID},
	}
	var revealed []customers.Revealed
	for _, cl := range claims {
		if cl.value == "" || (verified != nil && *verified == cl) {
			continue
		}
		revealed = append(revealed, customers.Revealed{Kind: cl.kind, Value: cl.value, Source: customeridentity.SourceWIDGET})
	}
	if len(revealed) == 0 {
		return nil
	}
	// Claims stay on the visitor's own customer; one that another customer
	// also has becomes a duplicate suggestion for agents, never a link.
	_, err := s.customers.Link(ctx, cust, revealed)
	return err
}

// Conversation returns the visitor's latest conversation on their channel,
// or nil before their first message.
func (s *Service) Conversation(ctx context.Context, a *viewer.Actor) (*ent.Conversation, error) {
	conv, err := s.db(ctx).Conversation.Query().
		Where(conversation.CustomerID(a.CustomerID), conversation.ChannelID(a.ChannelID)).
		Order(ent.Desc(conversation.FieldCreatedAt), ent.Desc(conversation.FieldID)).
		First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return conv, err
}

// Owns reports whether a message is one the visitor may see: not a
// private note, in a conversation of the visitor's customer on their
// channel.
func Owns(a *viewer.Actor, m *ent.Message, conv *ent.Conversation) bool {
	return a.IsVisitor() && !m.Private && m.ChannelID == a.ChannelID &&
		conv != nil && conv.ID == m.ConversationID && conv.CustomerID == a.CustomerID && conv.ChannelID == a.ChannelID
}

// MaxClientMessageID bounds the visitor's idempotency keys.
const MaxClientMessageID = 64

// Send stores a message from the visitor in the transaction ctx carries. A retry with
// the same clientMessageID returns the message stored the first time.
func (s *Service) Send(ctx context.Context, a *viewer.Actor, body, clientMessageID string, attachmentIDs []gid.ID) (*ent.Message, error) {
	c := s.db(ctx)
	if len(clientMessageID) > MaxClientMessageID {
		return nil, apperr.Invalid("clientMessageID", "must be at most %d characters", MaxClientMessageID)
	}
	if !s.msgsByVisitor.Allow(a.VisitorID) || !s.msgsByAddr.Allow(auth.ClientAddr(ctx)) {
		return nil, apperr.New(apperr.RateLimited, "too many messages; wait a moment before sending more")
	}
	ch, err := c.Channel.Get(ctx, a.ChannelID)
	if err != nil {
		return nil, err
	}
	in := channels.Inbound{Text: body}
	if clientMessageID != "" {
		// Scoped to the visitor: another visitor's key never matches.
		in.ProviderMessageID = "visitor:" + a.VisitorID + ":" + clientMessageID
	}
	st, err := s.inbox.ReceiveFrom(ctx, ch, a.CustomerID, in, attachmentIDs)
	if err != nil {
		return nil, err
	}
	return MessageQuery(c.Message.Query().Where(message.ID(gid.ID(st.MessageID)))).Only(ctx)
}

// AllowUpload reports whether the visitor may upload a file now: their
// channel is enabled and takes files, and they are within their rate.
func (s *Service) AllowUpload(ctx context.Context, a *viewer.Actor) error {
	ch, err := s.db(ctx).Channel.Get(ctx, a.ChannelID)
	if err != nil {
		return err
	}
	if !ch.Enabled {
		return apperr.New(apperr.Conflict, "the chat is closed")
	}
	if !s.channels.Capabilities(ch.Kind).Attachments {
		return apperr.New(apperr.Conflict, "this chat does not take files")
	}
	if !s.uploads.Allow(a.VisitorID) || !s.msgsByAddr.Allow(auth.ClientAddr(ctx)) {
		return apperr.New(apperr.RateLimited, "too many files; wait a moment before sending more")
	}
	return nil
}

// MessageQuery loads, with messages, what a visitor sees of them: the
// agent who wrote each, and the conversation with its customer.
func MessageQuery(q *ent.MessageQuery) *ent.MessageQuery {
	return q.WithAuthor().WithConversation(func(cq *ent.ConversationQuery) { cq.WithCustomer() })
}
