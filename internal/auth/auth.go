// Package auth turns credentials into actors: agents' session tokens (JWT),
// integrators' API tokens, passwords, sign-in, sign-up and the first admin.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/apitoken"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/secrets"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Options configures the service.
type Options struct {
	JWTSecret  []byte
	SignupOpen bool
	Now        func() time.Time // defaults to time.Now
	BcryptCost int              // defaults to bcrypt.DefaultCost
	Logger     *slog.Logger
	// Clock times sign-in and sign-up throttling; it defaults to Now and
	// real timers.
	Clock Clock
	// Events carries credentials signals: a changed password ends the
	// agent's websockets on every instance.
	Events *events.Log
	// Secrets seals agents' TOTP secrets.
	Secrets *secrets.Box
}

// Service authenticates callers and manages credentials.
type Service struct {
	client     *ent.Client
	jwtKey     []byte
	signupOpen bool
	now        func() time.Time
	cost       int
	log        *slog.Logger
	throttle   *throttle
	dummyHash  []byte
	events     *events.Log
	box        *secrets.Box
}

// New returns a Service.
func New(client *ent.Client, o Options) *Service {
	s := &Service{client: client, jwtKey: o.JWTSecret, signupOpen: o.SignupOpen, now: o.Now, cost: o.BcryptCost, log: o.Logger,
		events: o.Events, box: o.Secrets,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cost == 0 {
		s.cost = bcrypt.DefaultCost
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	clock := o.Clock
	if clock == nil {
		clock = realClock{s.now}
	}
	s.throttle = newThrottle(clock)
	s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("switchboard-dummy-password"), s.cost)
	return s
}

// system returns ctx allowed past the tenant filters, for lookups that
// happen before there is an actor.
func system(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

var errUnauthenticated = apperr.New(apperr.Unauthenticated, "missing, invalid or expired credentials")

// APITokenPrefix starts every API token, which tells them from JWTs.
const APITokenPrefix = "sbt_"

// Authenticate turns a bearer credential into an actor. It is the one way
// in, for HTTP requests and websocket connections alike. The returned time
// is when the credential expires (zero for API tokens, which do not).
func (s *Service) Authenticate(ctx context.Context, bearer string) (*viewer.Actor, time.Time, error) {
	bearer = strings.TrimSpace(bearer)
	if bearer == "" {
		return nil, time.Time{}, errUnauthenticated
	}
	if strings.HasPrefix(bearer, APITokenPrefix) {
		a, err := s.authenticateAPIToken(ctx, bearer)
		return a, time.Time{}, err
	}
	c, err := s.parseJWT(bearer)
	if err != nil {
		return nil, time.Time{}, errUnauthenticated
	}
	exp := c.ExpiresAt.Time
	if c.audience() == visitorAudience {
		a, err := s.authenticateVisitor(ctx, c)
		return a, exp, err
	}
	agentID, workspaceID := gid.ID(c.Subject), gid.ID(c.WorkspaceID)
	if !agentID.Valid() {
		return nil, time.Time{}, errUnauthenticated
	}
	// A token of an older generation was issued before the password last
	// changed or was reset: it no longer works.
	ag, err := s.client.Agent.Query().
		Where(agent.ID(agentID), agent.WorkspaceID(workspaceID), agent.Active(true), agent.TokenGeneration(c.Generation)).
		Only(system(ctx))
	if ent.IsNotFound(err) {
		return nil, time.Time{}, errUnauthenticated
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("auth: load agent: %w", err)
	}
	return agentActor(ag), exp, nil
}

// agentActor is the actor of an agent's session.
func agentActor(ag *ent.Agent) *viewer.Actor {
	return &viewer.Actor{
		Kind: viewer.KindAgent, WorkspaceID: ag.WorkspaceID, AgentID: ag.ID, Role: viewer.Role(ag.Role),
		MustChangePassword: ag.MustChangePassword,
	}
}

func (s *Service) authenticateAPIToken(ctx context.Context, secret string) (*viewer.Actor, error) {
	t, err := s.client.ApiToken.Query().
		Where(apitoken.TokenHash(hashToken(secret)), apitoken.RevokedAtIsNil()).
		WithCreatedBy().
		Only(system(ctx))
	if ent.IsNotFound(err) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load api token: %w", err)
	}
	// A token acts for its creator and never beyond the creator's current
	// role: demoting an admin also demotes the admin's tokens.
	creator := t.Edges.CreatedBy
	if creator == nil || !creator.Active {
		return nil, errUnauthenticated
	}
	// Record use at most once a minute: a write per request would be waste.
	if now := s.now(); t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.client.ApiToken.UpdateOneID(t.ID).SetLastUsedAt(now).Exec(system(ctx)); err != nil {
			s.log.WarnContext(ctx, "recording api token use", "token_id", t.ID, "err", err)
		}
	}
	scopes := make([]viewer.Scope, len(t.Scopes))
	for i, sc := range t.Scopes {
		scopes[i] = viewer.Scope(sc)
	}
	return &viewer.Actor{
		Kind: viewer.KindAPIToken, WorkspaceID: t.WorkspaceID, TokenID: t.ID, Scopes: scopes,
		AgentID: creator.ID, Role: viewer.Role(creator.Role),
	}, nil
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Session is the result of signing in or up.
type Session struct {
	Token     string
	ExpiresAt time.Time
	Agent     *ent.Agent
}

// Credentials are what an agent signs in with; OTP is needed when the
// agent has two-factor sign-in on.
type Credentials struct {
	Email, Password string
	OTP             *string
}

// SignIn checks an agent's password, and then the two-factor code when
// the agent has one, from the client address addr. Unknown emails and
// wrong passwords answer identically, in the same time. Failures slow
// later attempts down (see throttle): the wait comes before the password
// is checked. A missing or wrong code counts as a failure.
func (s *Service) SignIn(ctx context.Context, in Credentials, addr string) (*Session, error) {
	email, password := NormalizeEmail(in.Email), in.Password
	done, err := s.throttle.signIn(ctx, email, addr)
	if err != nil {
		return nil, fmt.Errorf("auth: sign in: %w", err)
	}
	ok := false
	defer func() { done(ok) }()
	ag, err := s.client.Agent.Query().Where(agent.Email(email)).Only(system(ctx))
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("auth: sign in: %w", err)
	}
	hash := s.dummyHash
	if ag != nil {
		hash = []byte(ag.PasswordHash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if ag == nil || !match || !ag.Active {
		return nil, apperr.New(apperr.Unauthenticated, "wrong email or password")
	}
	if err := s.checkOTP(ctx, ag, in.OTP); err != nil {
		return nil, err
	}
	ok = true
	return s.session(ctx, ag)
}

// session issues a token for the agent and makes the agent the actor of
// the rest of the request, so the payload's fields resolve as that agent.
func (s *Service) session(ctx context.Context, ag *ent.Agent) (*Session, error) {
	tok, exp, err := s.issueJWT(ag)
	if err != nil {
		return nil, err
	}
	viewer.Become(ctx, agentActor(ag))
	return &Session{Token: tok, ExpiresAt: exp, Agent: ag}, nil
}

// HashPassword checks a new password's length and hashes it.
func (s *Service) HashPassword(field, password string) (string, error) {
	if err := checkPassword(field, password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// isConstraint reports whether err is a constraint violation.
func isConstraint(err error) bool {
	var ce *ent.ConstraintError
	return errors.As(err, &ce)
}

// newSecret returns a new API token secret: 256 random bits.
func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: reading random bytes: " + err.Error())
	}
	return APITokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

type (
	addrKey   struct{}
	originKey struct{}
)

type origin struct {
	value   string
	console bool
}

// WithOrigin returns ctx carrying the Origin header of a browser's request
// (or websocket upgrade), and whether it is a console's origin (the
// server's own or SWITCHBOARD_ALLOWED_ORIGINS) rather than one that only
// web chat channels allow. Visitor tokens are checked against it.
func WithOrigin(ctx context.Context, value string, console bool) context.Context {
	return context.WithValue(ctx, originKey{}, origin{value, console})
}

// Origin returns the browser origin of ctx's request, or "" for clients
// that are not browsers.
func Origin(ctx context.Context) string {
	o, _ := ctx.Value(originKey{}).(origin)
	return o.value
}

// VisitorOriginOnly reports whether ctx's request comes from a browser on
// an origin that only web chat channels allow: it may use the visitor API
// and nothing else.
func VisitorOriginOnly(ctx context.Context) bool {
	o, _ := ctx.Value(originKey{}).(origin)
	return o.value != "" && !o.console
}

// WithClientAddr returns ctx carrying the client's network address, which
// sign-in limits by.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, addrKey{}, addr)
}

// ClientAddr returns the client address of ctx, or "".
func ClientAddr(ctx context.Context) string {
	s, _ := ctx.Value(addrKey{}).(string)
	return s
}
