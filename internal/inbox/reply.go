package inbox

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// ReplyBlock says why a reply on a conversation cannot be sent; "" when
// it can. The values are the GraphQL enum ReplyBlockedReason.
type ReplyBlock string

const (
	// ReplyAllowed: nothing stands in the way.
	ReplyAllowed ReplyBlock = ""
	// NoRecipient: the customer has no identity the channel can address
	// (no CHANNEL_USER there, and no verified EXTERNAL_ID where the channel
	// addresses by one).
	NoRecipient ReplyBlock = "NO_RECIPIENT"
	// ChannelDisabled: the conversation's channel is disabled.
	ChannelDisabled ReplyBlock = "CHANNEL_DISABLED"
)

// ReplyBlocks computes, for stored conversations, whether an agent's reply
// could be sent, in one statement whatever their number: each
// conversation's channel (kind, enabled) and whether its customer has an
// identity the channel can address. The result holds a conversation only
// when it is blocked.
func (s *Service) ReplyBlocks(ctx context.Context, convs []*ent.Conversation) (map[gid.ID]ReplyBlock, error) {
	c := s.db(ctx)
	out := map[gid.ID]ReplyBlock{}
	if len(convs) == 0 {
		return out, nil
	}
	ids := make([]gid.ID, len(convs))
	for i, cv := range convs {
		ids[i] = cv.ID
	}
	var rows []struct {
		ID          string `sql:"id"`
		Kind        string `sql:"kind"`
		Enabled     any    `sql:"enabled"`
		ChannelUser any    `sql:"channel_user"`
		ExternalID  any    `sql:"external_id"`
	}
	err := c.Conversation.Query().Where(conversation.IDIn(ids...)).
		Modify(func(sel *sql.Selector) {
			ch := sql.Table(channel.Table)
			ident := func(extra ...*sql.Predicate) *sql.Predicate {
				ci := sql.Table(customeridentity.Table)
				return sql.Exists(sql.Select(ci.C(customeridentity.FieldID)).From(ci).Where(sql.And(append(extra,
					sql.ColumnsEQ(ci.C(customeridentity.FieldCustomerID), sel.C(conversation.FieldCustomerID)))...)))
			}
			ci := sql.Table(customeridentity.Table)
			channelUser := ident(sql.EQ(ci.C(customeridentity.FieldKind), customeridentity.KindCHANNEL_USER.String()),
				sql.ColumnsEQ(ci.C(customeridentity.FieldChannelID), sel.C(conversation.FieldChannelID)))
			externalID := ident(sql.EQ(ci.C(customeridentity.FieldKind), customeridentity.KindEXTERNAL_ID.String()),
				sql.EQ(ci.C(customeridentity.FieldVerified), true))
			sel.Join(ch).On(sel.C(conversation.FieldChannelID), ch.C(channel.FieldID))
			sel.Select(sel.C(conversation.FieldID), ch.C(channel.FieldKind), ch.C(channel.FieldEnabled)).
				AppendSelectExprAs(channelUser, "channel_user").
				AppendSelectExprAs(externalID, "external_id")
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("inbox: reply eligibility: %w", err)
	}
	for _, id := range ids {
		out[id] = NoRecipient // until its row says otherwise
	}
	for _, r := range rows {
		id := gid.ID(r.ID)
		switch {
		case !truthy(r.Enabled):
			out[id] = ChannelDisabled
		case truthy(r.ChannelUser), truthy(r.ExternalID) && s.capabilities(r.Kind).AddressByExternalID:
			delete(out, id)
		}
	}
	return out, nil
}

// truthy reads a boolean column: bool on PostgreSQL, an integer on SQLite.
func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case int64:
		return b != 0
	case int:
		return b != 0
	case []byte:
		return string(b) == "1" || string(b) == "true" || string(b) == "t"
	case string:
		return b == "1" || b == "true" || b == "t"
	}
	return false
}

// checkReply refuses, with CONFLICT naming the reason, a reply that could
// not be sent.
func (s *Service) checkReply(ctx context.Context, conv *ent.Conversation) error {
	blocks, err := s.ReplyBlocks(ctx, []*ent.Conversation{conv})
	if err != nil {
		return err
	}
	switch blocks[conv.ID] {
	case ReplyAllowed:
		return nil
	case ChannelDisabled:
		return apperr.New(apperr.Conflict, "%s: the channel is disabled; enable it to reply", ChannelDisabled)
	default:
		return apperr.New(apperr.Conflict, "%s: the customer has no identity on this channel to send to", NoRecipient)
	}
}
