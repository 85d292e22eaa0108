package graph

import (
	"context"
	"errors"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/timeline"
)

// customerTimeline is Customer.timeline: a page from internal/timeline,
// with the rows' edges that the selection asks for loaded per page (not
// per entry), and totalCount counted only when asked for.
func (r *Resolver) customerTimeline(ctx context.Context, c *ent.Customer, after *entgql.Cursor[gid.ID], first *int, before *entgql.Cursor[gid.ID], last *int) (*model.TimelineConnection, error) {
	args := timeline.Args{First: first, Last: last}
	var err error
	if args.After, err = timelineKey(after, "after"); err != nil {
		return nil, err
	}
	if args.Before, err = timelineKey(before, "before"); err != nil {
		return nil, err
	}
	page, err := r.Timeline.Load(ctx, c, args, timelineLoaders(ctx))
	if err != nil {
		return nil, err
	}
	conn := &model.TimelineConnection{
		Edges: make([]*model.TimelineEdge, len(page.Entries)),
		PageInfo: &entgql.PageInfo[gid.ID]{
			HasNextPage: page.HasNextPage, HasPreviousPage: page.HasPreviousPage,
		},
	}
	for i, e := range page.Entries {
		conn.Edges[i] = &model.TimelineEdge{Node: timelineNode(e), Cursor: timelineCursor(e.Key)}
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	if selects(ctx, "totalCount") {
		if conn.TotalCount, err = r.Timeline.Count(ctx, c); err != nil {
			return nil, err
		}
	}
	return conn, nil
}

// A timeline cursor is entgql's Cursor holding an entry's key in ID and
// its time (RFC 3339, nanoseconds) in Value.
func timelineCursor(k timeline.Key) entgql.Cursor[gid.ID] {
	return entgql.Cursor[gid.ID]{ID: gid.ID(k.Key), Value: k.At.UTC().Format(time.RFC3339Nano)}
}

func timelineKey(c *entgql.Cursor[gid.ID], field string) (*timeline.Key, error) {
	if c == nil {
		return nil, nil
	}
	s, ok := c.Value.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if !ok || err != nil || c.ID == "" {
		return nil, apperr.Invalid(field, "not a timeline cursor")
	}
	return &timeline.Key{At: at.UTC(), Key: string(c.ID)}, nil
}

func timelineNode(e timeline.Entry) model.TimelineEntry {
	switch e.Kind {
	case timeline.KindMessage:
		return &model.MessageEntry{ID: e.ID(), OccurredAt: e.At, Message: e.Message}
	case timeline.KindActivity:
		return &model.ConversationActivity{ConversationActivity: e.Activity}
	case timeline.KindCall:
		return &model.CallEntry{ID: e.ID(), OccurredAt: e.At, Call: e.Call}
	case timeline.KindUnmerged:
		return &model.MergeEntry{ID: e.ID(), OccurredAt: e.At, Kind: model.MergeEntryKindUnmerged, Merge: e.Merge}
	default:
		return &model.MergeEntry{ID: e.ID(), OccurredAt: e.At, Kind: model.MergeEntryKindMerged, Merge: e.Merge}
	}
}

func (r *Resolver) activityConversation(ctx context.Context, a *model.ConversationActivity) (*ent.Conversation, error) {
	if conv, err := a.Edges.ConversationOrErr(); err == nil {
		return conv, nil
	}
	return r.db(ctx).Conversation.Get(ctx, a.ConversationID)
}

// activityAgent is ConversationActivity.actor and .agent: the agent the
// page loaded with the activity, or a lookup when it did not.
func (r *Resolver) activityAgent(ctx context.Context, id *gid.ID) (*ent.Agent, error) {
	if id == nil {
		return nil, nil
	}
	if a, field := enclosingActivity(ctx); a != nil {
		edge := a.Edges.AgentOrErr
		if field == "actor" {
			edge = a.Edges.ActorOrErr
		}
		ag, err := edge()
		if ent.IsNotFound(err) {
			return nil, nil // loaded, and gone (or not the viewer's)
		}
		if err == nil && ag.ID == *id {
			return ag, nil
		}
	}
	ag, err := r.db(ctx).Agent.Get(ctx, *id)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return ag, err
}

func (r *Resolver) activityTeam(ctx context.Context, a *model.ConversationActivity) (*ent.Team, error) {
	if a.TeamID == nil {
		return nil, nil
	}
	t, err := a.Edges.TeamOrErr()
	if ent.IsNotLoaded(err) {
		t, err = r.db(ctx).Team.Get(ctx, *a.TeamID)
	}
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return t, err
}

// enclosingActivity returns the activity whose field is being resolved,
// and the field's name.
func enclosingActivity(ctx context.Context) (*model.ConversationActivity, string) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, ""
	}
	for p := fc.Parent; p != nil; p = p.Parent {
		if a, ok := p.Result.(*model.ConversationActivity); ok && a.ConversationActivity != nil {
			return a, fc.Field.Name
		}
	}
	return nil, ""
}

// selects reports whether the field being resolved selects name.
func selects(ctx context.Context, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return true
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// timelineSelection is what a timeline selection asks of its entries'
// rows, by entry type and then field name (several when aliased).
type timelineSelection map[string]map[string][]graphql.CollectedField

func selectTimeline(ctx context.Context) timelineSelection {
	sel := timelineSelection{}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return sel
	}
	oc := graphql.GetOperationContext(ctx)
	implements := map[string][]string{
		"MessageEntry":         {"MessageEntry", "TimelineEntry"},
		"ConversationActivity": {"ConversationActivity", "TimelineEntry"},
		"MergeEntry":           {"MergeEntry", "TimelineEntry"},
		"CallEntry":            {"CallEntry", "TimelineEntry"},
	}
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, nil) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, nil) {
			if node.Name != "node" {
				continue
			}
			for typ, satisfies := range implements {
				for _, f := range graphql.CollectFields(oc, node.Selections, satisfies) {
					if sel[typ] == nil {
						sel[typ] = map[string][]graphql.CollectedField{}
					}
					sel[typ][f.Name] = append(sel[typ][f.Name], f)
				}
			}
		}
	}
	return sel
}

// collector is an ent query that eager-loads what a GraphQL field selects.
type collector[Q any] interface {
	CollectFields(ctx context.Context, satisfies ...string) (Q, error)
}

// collect shapes q by the selection of fields when it is one field: ent
// then loads only the selected columns and eager-loads the selected edges,
// at every depth. Aliases of one field (with different selections) get
// whole rows instead.
func collect[Q collector[Q]](ctx context.Context, q Q, fields []graphql.CollectedField, satisfies ...string) (Q, error) {
	if len(fields) != 1 {
		return q, nil
	}
	return q.CollectFields(graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: fields[0]}), satisfies...)
}

// timelineLoaders loads, once per page, the edges the selection asks of
// the entries' rows; without them each entry would cost its own queries.
func timelineLoaders(ctx context.Context) timeline.Loaders {
	sel := selectTimeline(ctx)
	var l timeline.Loaders
	if f := sel["MessageEntry"]["message"]; len(f) > 0 {
		l.Messages = func(q *ent.MessageQuery) (*ent.MessageQuery, error) {
			return collect(ctx, q, f, "Message", "Node")
		}
	}
	if f := sel["MergeEntry"]["merge"]; len(f) > 0 {
		l.Merges = func(q *ent.CustomerMergeQuery) (*ent.CustomerMergeQuery, error) {
			return collect(ctx, q, f, "CustomerMerge", "Node")
		}
	}
	if f := sel["CallEntry"]["call"]; len(f) > 0 {
		l.Calls = func(q *ent.CallQuery) (*ent.CallQuery, error) {
			return collect(ctx, q, f, "Call", "Node")
		}
	}
	act := sel["ConversationActivity"]
	if len(act["conversation"])+len(act["actor"])+len(act["agent"])+len(act["team"]) == 0 {
		return l
	}
	l.Activities = func(q *ent.ConversationActivityQuery) (*ent.ConversationActivityQuery, error) {
		var errs []error
		keep := func(_ any, err error) { errs = append(errs, err) }
		if f := act["conversation"]; len(f) > 0 {
			q.WithConversation(func(q *ent.ConversationQuery) { keep(collect(ctx, q, f, "Conversation", "Node")) })
		}
		if f := act["actor"]; len(f) > 0 {
			q.WithActor(func(q *ent.AgentQuery) { keep(collect(ctx, q, f, "Agent", "Node")) })
		}
		if f := act["agent"]; len(f) > 0 {
			q.WithAgent(func(q *ent.AgentQuery) { keep(collect(ctx, q, f, "Agent", "Node")) })
		}
		if f := act["team"]; len(f) > 0 {
			q.WithTeam(func(q *ent.TeamQuery) { keep(collect(ctx, q, f, "Team", "Node")) })
		}
		return q, errors.Join(errs...)
	}
	return l
}
