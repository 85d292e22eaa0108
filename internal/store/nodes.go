package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/apitoken"
	"github.com/switchboard/switchboard/ent/attributedefinition"
	"github.com/switchboard/switchboard/ent/automationrule"
	"github.com/switchboard/switchboard/ent/automationrulerun"
	"github.com/switchboard/switchboard/ent/call"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customerduplicate"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/customermerge"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/quickreply"
	"github.com/switchboard/switchboard/ent/routingpolicy"
	"github.com/switchboard/switchboard/ent/tag"
	"github.com/switchboard/switchboard/ent/team"
	"github.com/switchboard/switchboard/ent/workspace"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// node describes how to find rows of one entity type.
type node struct {
	table string
	count func(context.Context, *ent.Client, []gid.ID) (int, error)
}

var nodes = map[string]node{
	"Workspace": {workspace.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Workspace.Query().Where(workspace.IDIn(ids...)).Count(ctx)
	}},
	"Agent": {agent.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Agent.Query().Where(agent.IDIn(ids...)).Count(ctx)
	}},
	"Team": {team.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Team.Query().Where(team.IDIn(ids...)).Count(ctx)
	}},
	"Channel": {channel.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Channel.Query().Where(channel.IDIn(ids...)).Count(ctx)
	}},
	"Customer": {customer.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Customer.Query().Where(customer.IDIn(ids...)).Count(ctx)
	}},
	"CustomerIdentity": {customeridentity.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.CustomerIdentity.Query().Where(customeridentity.IDIn(ids...)).Count(ctx)
	}},
	"Conversation": {conversation.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Conversation.Query().Where(conversation.IDIn(ids...)).Count(ctx)
	}},
	"Message": {message.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Message.Query().Where(message.IDIn(ids...)).Count(ctx)
	}},
	"Tag": {tag.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Tag.Query().Where(tag.IDIn(ids...)).Count(ctx)
	}},
	"ApiToken": {apitoken.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.ApiToken.Query().Where(apitoken.IDIn(ids...)).Count(ctx)
	}},
	"CustomerMerge": {customermerge.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.CustomerMerge.Query().Where(customermerge.IDIn(ids...)).Count(ctx)
	}},
	"CustomerDuplicate": {customerduplicate.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.CustomerDuplicate.Query().Where(customerduplicate.IDIn(ids...)).Count(ctx)
	}},
	"RoutingPolicy": {routingpolicy.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.RoutingPolicy.Query().Where(routingpolicy.IDIn(ids...)).Count(ctx)
	}},
	"File": {file.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.File.Query().Where(file.IDIn(ids...)).Count(ctx)
	}},
	"Call": {call.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.Call.Query().Where(call.IDIn(ids...)).Count(ctx)
	}},
	"QuickReply": {quickreply.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.QuickReply.Query().Where(quickreply.IDIn(ids...)).Count(ctx)
	}},
	"AttributeDefinition": {attributedefinition.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.AttributeDefinition.Query().Where(attributedefinition.IDIn(ids...)).Count(ctx)
	}},
	"AutomationRule": {automationrule.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.AutomationRule.Query().Where(automationrule.IDIn(ids...)).Count(ctx)
	}},
	"AutomationRuleRun": {automationrulerun.Table, func(ctx context.Context, c *ent.Client, ids []gid.ID) (int, error) {
		return c.AutomationRuleRun.Query().Where(automationrulerun.IDIn(ids...)).Count(ctx)
	}},
}

// NodeTable resolves a global id to the table of its type, for
// ent.WithNodeType. A malformed id is NOT_FOUND, as the conventions ask.
func NodeTable(_ context.Context, id gid.ID) (string, error) {
	typ, err := id.Type()
	if err != nil {
		return "", apperr.NotFoundf("no node with id %q", string(id))
	}
	n, ok := nodes[typ]
	if !ok {
		return "", apperr.NotFoundf("no node with id %q", string(id))
	}
	return n.table, nil
}

type vettedKey struct{}

// Vetted returns ctx noting that ids are rows this code has just read or
// created in the actor's workspace, under the tenant rule (ent privacy),
// so that CheckVisible, which the tenant hook runs for every id a mutation
// links to, need not query them again. Only ever pass ids read or created
// through ent with the acting workspace's privacy, never ids from input.
func Vetted(ctx context.Context, ids ...gid.ID) context.Context {
	prev := vettedIn(ctx)
	return context.WithValue(ctx, vettedKey{}, append(prev[:len(prev):len(prev)], ids...))
}

func vettedIn(ctx context.Context) []gid.ID {
	v, _ := ctx.Value(vettedKey{}).([]gid.ID)
	return v
}

// CheckVisible fails with NOT_FOUND unless every id names a row of type typ
// that the context may see. It runs through the privacy filters, so an id
// of another workspace is missing, exactly like an id that never existed.
// It reads in the transaction ctx carries, if any (base outside one).
// Ids noted by Vetted are not read again.
func CheckVisible(ctx context.Context, base *ent.Client, typ, field string, ids []gid.ID) error {
	c := Client(ctx, base)
	n, ok := nodes[typ]
	if !ok {
		return apperr.New(apperr.Internal, "no entity type %q", typ)
	}
	uniq := make(map[gid.ID]struct{}, len(ids))
	vetted := vettedIn(ctx)
	for _, id := range ids {
		if t, err := id.Type(); err != nil || t != typ {
			return &apperr.Error{Code: apperr.NotFound, Field: field, Message: fmt.Sprintf("%s %q not found", typ, string(id))}
		}
		if !slices.Contains(vetted, id) {
			uniq[id] = struct{}{}
		}
	}
	if len(uniq) == 0 {
		return nil
	}
	list := make([]gid.ID, 0, len(uniq))
	for id := range uniq {
		list = append(list, id)
	}
	got, err := n.count(ctx, c, list)
	if err != nil {
		return fmt.Errorf("store: check %s ids: %w", typ, err)
	}
	if got != len(list) {
		return &apperr.Error{Code: apperr.NotFound, Field: field, Message: fmt.Sprintf("%s not found", typ)}
	}
	return nil
}
