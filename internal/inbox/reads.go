package inbox

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversationread"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/internal/gid"
)

// MarkRead records that an agent has read a conversation up to now.
func (s *Service) MarkRead(ctx context.Context, agentID, conversationID gid.ID) (*ent.Conversation, error) {
	c := s.db(ctx)
	conv, err := c.Conversation.Get(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	err = c.ConversationRead.Create().
		SetAgentID(agentID).SetConversationID(conv.ID).SetReadAt(s.now().UTC()).
		OnConflictColumns(conversationread.FieldAgentID, conversationread.FieldConversationID).
		UpdateReadAt().
		Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("inbox: mark read: %w", err)
	}
	return conv, nil
}

// UnreadCounts returns, for each of the conversations, how many of its
// messages (notes included) were created after the agent last read it, or
// all of them when the agent never did, not counting the agent's own. It
// costs one grouped statement however many conversations it is given.
// Conversations with nothing unread are absent from the map.
func (s *Service) UnreadCounts(ctx context.Context, agentID gid.ID, conversationIDs []gid.ID) (map[gid.ID]int, error) {
	c := s.db(ctx)
	out := make(map[gid.ID]int, len(conversationIDs))
	if len(conversationIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ConversationID string `json:"conversation_id"`
		Count          int    `json:"count"`
	}
	err := c.Message.Query().
		Where(
			message.ConversationIDIn(conversationIDs...),
			message.Or(message.AuthorIDIsNil(), message.AuthorIDNEQ(agentID)),
			notReadBy(agentID),
		).
		GroupBy(message.FieldConversationID).
		Aggregate(ent.Count()).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("inbox: unread counts: %w", err)
	}
	for _, r := range rows {
		out[gid.ID(r.ConversationID)] = r.Count
	}
	return out, nil
}

// notReadBy: the agent has no read mark on the message's conversation at
// or after the message.
func notReadBy(agentID gid.ID) predicate.Message {
	return func(s *sql.Selector) {
		r := sql.Table(conversationread.Table)
		s.Where(sql.Not(sql.Exists(
			sql.Select(r.C(conversationread.FieldID)).From(r).Where(sql.And(
				sql.EQ(r.C(conversationread.FieldAgentID), string(agentID)),
				sql.ColumnsEQ(r.C(conversationread.FieldConversationID), s.C(message.FieldConversationID)),
				sql.ColumnsGTE(r.C(conversationread.FieldReadAt), s.C(message.FieldCreatedAt)),
			)),
		)))
	}
}
