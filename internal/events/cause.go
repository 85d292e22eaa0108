package events

import (
	"context"
	"strings"

	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Cause says who or what made an event happen: an agent, an API token, a
// channel (a customer wrote, a provider reported), an automation rule, an
// auto-reply, or Switchboard itself (routing, timers). Automation reads it
// so that a rule never triggers on an event its own action caused.
type Cause struct {
	Kind CauseKind
	// ID: the agent, token, channel, or channel of the auto-reply; "" for
	// SYSTEM. For AUTOMATION_RULE it is the AutomationRuleRun that acted:
	// the run names its rule and the rules applied since the chain's root
	// event, so automation skips them all (no rule triggers on its own
	// action, and rules that would trigger each other run once each).
	ID gid.ID
}

// CauseKind is the kind of a Cause.
type CauseKind string

// The kinds of causes.
const (
	CauseSystem    CauseKind = "SYSTEM"
	CauseAgent     CauseKind = "AGENT"
	CauseAPIToken  CauseKind = "API_TOKEN"
	CauseChannel   CauseKind = "CHANNEL"
	CauseRule      CauseKind = "AUTOMATION_RULE"
	CauseAutoReply CauseKind = "AUTO_REPLY"
	CauseRouting   CauseKind = "ROUTING"
)

// String is the cause as stored: "KIND" or "KIND:id".
func (c Cause) String() string {
	if c.Kind == "" {
		return ""
	}
	if c.ID == "" {
		return string(c.Kind)
	}
	return string(c.Kind) + ":" + string(c.ID)
}

// ParseCause reads a stored cause; "" is SYSTEM.
func ParseCause(s string) Cause {
	if s == "" {
		return Cause{Kind: CauseSystem}
	}
	kind, id, _ := strings.Cut(s, ":")
	return Cause{Kind: CauseKind(kind), ID: gid.ID(id)}
}

type causeKey struct{}

// WithCause makes c the cause of the events recorded with the returned
// context (see Record).
func WithCause(ctx context.Context, c Cause) context.Context {
	return context.WithValue(ctx, causeKey{}, c)
}

// CauseOf is the cause of events recorded with ctx: the one WithCause set,
// else the actor: an agent, an API token, a website visitor (the channel
// the visitor writes on) or Switchboard itself.
func CauseOf(ctx context.Context) Cause {
	if c, ok := ctx.Value(causeKey{}).(Cause); ok && c.Kind != "" {
		return c
	}
	a := viewer.FromContext(ctx)
	switch {
	case a == nil:
		return Cause{Kind: CauseSystem}
	case a.Kind == viewer.KindAPIToken:
		return Cause{Kind: CauseAPIToken, ID: a.TokenID}
	case a.Kind == viewer.KindVisitor:
		return Cause{Kind: CauseChannel, ID: a.ChannelID}
	case a.AgentID != "":
		return Cause{Kind: CauseAgent, ID: a.AgentID}
	}
	return Cause{Kind: CauseSystem}
}
