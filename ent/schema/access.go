package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"entgo.io/ent/entql"

	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/access"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Channel members, next to the workspace rule (tenant.go) and applied the
// same way: an AGENT's queries and updates of conversations, messages and
// conversation steps are filtered to the channels they are a member of
// (see internal/access), so a hidden conversation is simply missing, and
// the tenant hook's check of referenced ids, which reads through these
// filters, refuses a hidden conversation as an edge too.

// channelAccessPolicy filters by what the actor's channel memberships let
// it see; pred is the rule for agent me on the entity's table.
func channelAccessPolicy(pred func(me gid.ID) entql.P) ent.Policy {
	rule := privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		me, restricted := access.Restricted(viewer.FromContext(ctx))
		if !restricted {
			return privacy.Skip
		}
		wf, ok := f.(interface{ Where(entql.P) })
		if !ok {
			return privacy.Denyf("%T cannot be filtered by channel", f)
		}
		wf.Where(pred(me))
		return privacy.Skip
	})
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule},
		Mutation: privacy.MutationPolicy{rule},
	}
}

func (Conversation) Policy() ent.Policy {
	return channelAccessPolicy(func(me gid.ID) entql.P {
		return entql.Or(entql.FieldEQ("assignee_id", string(me)), entql.HasEdgeWith("channel", sqlgraph.WrapFunc(access.Channels(me))))
	})
}

func (Message) Policy() ent.Policy {
	return channelAccessPolicy(func(me gid.ID) entql.P {
		return entql.Or(entql.HasEdgeWith("channel", sqlgraph.WrapFunc(access.Channels(me))),
			entql.HasEdgeWith("conversation", sqlgraph.WrapFunc(func(s *sql.Selector) { s.Where(sql.EQ(s.C("assignee_id"), string(me))) })))
	})
}

func (ConversationActivity) Policy() ent.Policy {
	return channelAccessPolicy(func(me gid.ID) entql.P {
		return entql.HasEdgeWith("conversation", sqlgraph.WrapFunc(access.Conversations(me)))
	})
}
