package graph

import (
	"context"

	"entgo.io/contrib/entgql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

func (r *Resolver) activityConversation(ctx context.Context, a *model.ConversationActivity) (*ent.Conversation, error) {
	return r.Client.Conversation.Get(ctx, a.ConversationID)
}

func (r *Resolver) activityAgent(ctx context.Context, id *gid.ID) (*ent.Agent, error) {
	if id == nil {
		return nil, nil
	}
	ag, err := r.Client.Agent.Get(ctx, *id)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return ag, err
}

func (r *Resolver) activityTeam(ctx context.Context, a *model.ConversationActivity) (*ent.Team, error) {
	if a.TeamID == nil {
		return nil, nil
	}
	t, err := r.Client.Team.Get(ctx, *a.TeamID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return t, err
}

func (r *Resolver) customerTimeline(ctx context.Context, c *ent.Customer, after *entgql.Cursor[gid.ID], first *int, before *entgql.Cursor[gid.ID], last *int) (*model.TimelineConnection, error) {
	return nil, apperr.New(apperr.Internal, "the timeline is being built")
}
