package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/gid"
)

// messageFiles are a message's files in order: its attachments and its
// source (File.original). For a message in a
// list (a connection's edges, the visitor's messages, nodes(ids:)) the
// first to ask loads them for the whole list in one statement, and the
// others read the result (see listLoads).
func (r *Resolver) messageFiles(ctx context.Context, id gid.ID) ([]*ent.File, error) {
	loads, _ := ctx.Value(listLoadsKey{}).(*listLoads)
	list, ids := messageList(ctx, id)
	if loads == nil || list == nil {
		m, err := r.loadMessageFiles(ctx, []gid.ID{id})
		return m[id], err
	}
	p := loads.page(listPageKey{list, "attachments"})
	p.once.Do(func() { p.result, p.err = r.loadMessageFiles(ctx, ids) })
	m, _ := p.result.(map[gid.ID][]*ent.File)
	return m[id], p.err
}

// attachmentsOf is fs without a message's source.
func attachmentsOf(fs []*ent.File) []*ent.File {
	out := make([]*ent.File, 0, len(fs))
	for _, f := range fs {
		if !f.Original {
			out = append(out, f)
		}
	}
	return out
}

func (r *Resolver) loadMessageFiles(ctx context.Context, ids []gid.ID) (map[gid.ID][]*ent.File, error) {
	fs, err := r.db(ctx).File.Query().Where(file.MessageIDIn(ids...)).
		Order(ent.Asc(file.FieldPosition), ent.Asc(file.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[gid.ID][]*ent.File, len(ids))
	for _, id := range ids {
		out[id] = []*ent.File{}
	}
	for _, f := range fs {
		out[*f.MessageID] = append(out[*f.MessageID], f)
	}
	return out, nil
}

// messageList finds the nearest list of messages the field being
// resolved belongs to, and its messages' ids; nil when it is in none.
func messageList(ctx context.Context, id gid.ID) (*graphql.FieldContext, []gid.ID) {
	fc, msgs := messagesInList(ctx, id)
	if fc == nil {
		return nil, nil
	}
	ids := make([]gid.ID, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return fc, ids
}

// messagesInList is messageList with the messages themselves.
func messagesInList(ctx context.Context, id gid.ID) (*graphql.FieldContext, []*ent.Message) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, nil
	}
	for fc = fc.Parent; fc != nil; fc = fc.Parent {
		var msgs []*ent.Message
		switch v := fc.Result.(type) {
		case []*ent.MessageEdge:
			for _, e := range v {
				if e != nil && e.Node != nil {
					msgs = append(msgs, e.Node)
				}
			}
		case []*model.VisitorMessageEdge:
			for _, e := range v {
				if e != nil && e.Node != nil {
					msgs = append(msgs, e.Node)
				}
			}
		case []*model.TimelineEdge: // a customer's timeline
			for _, e := range v {
				if m, ok := e.Node.(*model.MessageEntry); ok && m.Message != nil {
					msgs = append(msgs, m.Message)
				}
			}
		case []*ent.Message:
			for _, m := range v {
				if m != nil {
					msgs = append(msgs, m)
				}
			}
		case []ent.Noder:
			for _, n := range v {
				if m, ok := n.(*ent.Message); ok && m != nil {
					msgs = append(msgs, m)
				}
			}
		default:
			continue
		}
		for _, m := range msgs {
			if m.ID == id {
				return fc, msgs
			}
		}
		return nil, nil
	}
	return nil, nil
}
