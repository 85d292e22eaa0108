// Package viewer carries the actor of a request in its context: who is
// calling, in which workspace, and with what rights. It has no dependencies
// so that the data layer can read it.
package viewer

import (
	"context"

	"github.com/switchboard/switchboard/internal/gid"
)

// Role is an agent's role, highest last.
type Role string

// Roles, as the API shows them.
const (
	RoleAgent      Role = "AGENT"
	RoleSupervisor Role = "SUPERVISOR"
	RoleAdmin      Role = "ADMIN"
)

// Rank orders roles so that a check can ask for "at least".
func (r Role) Rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleSupervisor:
		return 2
	case RoleAgent:
		return 1
	}
	return 0
}

// Scope is an API token's scope.
type Scope string

// Token scopes. WRITE includes READ; ADMIN includes both.
const (
	ScopeRead  Scope = "READ"
	ScopeWrite Scope = "WRITE"
	ScopeAdmin Scope = "ADMIN"
)

// Kind tells what sort of caller an actor is.
type Kind int

// Actor kinds.
const (
	KindAgent Kind = iota + 1
	KindAPIToken
	// KindSystem is Switchboard itself acting inside one workspace: ingest
	// of inbound messages, delivery workers. It is confined to that
	// workspace like everyone else.
	KindSystem
	// KindVisitor is a website visitor on one web chat channel. It holds no
	// role and reaches only the visitor API (fields marked @visitor).
	KindVisitor
)

// System returns the actor for Switchboard's own work in a workspace.
func System(workspace gid.ID) *Actor {
	return &Actor{Kind: KindSystem, WorkspaceID: workspace, Role: RoleAdmin}
}

// Actor is the authenticated caller.
type Actor struct {
	Kind        Kind
	WorkspaceID gid.ID
	AgentID     gid.ID // the agent, or the agent who created the token
	TokenID     gid.ID // set for API tokens
	Role        Role   // the agent's role; for a token, its creator's current role
	Scopes      []Scope
	// MustChangePassword: an agent's session after an admin reset the
	// password; it may only change the password (and read viewer).
	MustChangePassword bool

	// Set for visitors: their channel, the customer they are and the
	// visitor id their token names.
	ChannelID  gid.ID
	CustomerID gid.ID
	VisitorID  string
}

// IsVisitor reports whether the actor is a website visitor.
func (a *Actor) IsVisitor() bool { return a != nil && a.Kind == KindVisitor }

// CanWrite reports whether the actor may change data.
func (a *Actor) CanWrite() bool {
	if a.Kind != KindAPIToken {
		return true
	}
	return a.hasScope(ScopeWrite) || a.hasScope(ScopeAdmin)
}

// HasRole reports whether the actor has at least the given role. An API
// token counts as an ADMIN when it has the ADMIN scope, as a SUPERVISOR
// when it can write, and as an AGENT otherwise — and never as more than
// the role its creator holds now (Role).
func (a *Actor) HasRole(r Role) bool {
	if a.Kind == KindVisitor || a.Role.Rank() < r.Rank() {
		return false
	}
	if a.Kind == KindAPIToken {
		switch {
		case a.hasScope(ScopeAdmin):
			return true
		case a.CanWrite():
			return r.Rank() <= RoleSupervisor.Rank()
		default:
			return r.Rank() <= RoleAgent.Rank()
		}
	}
	return true
}

func (a *Actor) hasScope(s Scope) bool {
	for _, x := range a.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// slot holds the actor of a request. It is a pointer so that signing in
// can make the new agent the actor of the rest of that same request (the
// fields of the AuthPayload it returns).
type slot struct{ actor *Actor }

// NewContext returns ctx carrying the actor (which may be nil: a request
// that has not authenticated yet).
func NewContext(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, &slot{actor: a})
}

// Become makes a the actor of ctx's request from now on, when the request
// has no actor yet or is a visitor's (a visitor session continued as
// another visitor). It reports whether it did.
func Become(ctx context.Context, a *Actor) bool {
	s, _ := ctx.Value(ctxKey{}).(*slot)
	if s == nil || (s.actor != nil && !s.actor.IsVisitor()) {
		return false
	}
	s.actor = a
	return true
}

// FromContext returns the actor of ctx, or nil.
func FromContext(ctx context.Context) *Actor {
	s, _ := ctx.Value(ctxKey{}).(*slot)
	if s == nil {
		return nil
	}
	return s.actor
}
