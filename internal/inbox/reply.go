package inbox

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/message"
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
	// (no CHANNEL_USER there, no verified EXTERNAL_ID where the channel
	// addresses by one, no PHONE where it addresses by phone number).
	NoRecipient ReplyBlock = "NO_RECIPIENT"
	// ChannelDisabled: the conversation's channel is disabled.
	ChannelDisabled ReplyBlock = "CHANNEL_DISABLED"
	// OptedOut: every identity of the customer on the channel opted out
	// (unfollowed, STOP).
	OptedOut ReplyBlock = "OPTED_OUT"
	// WindowClosed: the channel's reply window after the customer's last
	// message closed, and the channel has no templates to send instead.
	WindowClosed ReplyBlock = "WINDOW_CLOSED"
	// TemplateRequired: only an approved template can go: the channel is
	// template-only, or its window closed and it has templates.
	TemplateRequired ReplyBlock = "TEMPLATE_REQUIRED"
)

// ReplyBlocks computes, for stored conversations, whether an agent's free
// text reply could be sent, in one statement whatever their number: each
// conversation's channel (kind, enabled), whether its customer has an
// identity the channel can address and has not opted out there, and, for
// kinds with a reply window, whether the customer wrote on the channel
// within it. Then the kind's declared capabilities decide, in this order:
// CHANNEL_DISABLED, NO_RECIPIENT, OPTED_OUT, TEMPLATE_REQUIRED (template
// only), and for a closed window TEMPLATE_REQUIRED when the kind sends
// templates, WINDOW_CLOSED otherwise. The result holds a conversation only
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
	windows := s.replyWindows()
	var rows []struct {
		ID          string `sql:"id"`
		Kind        string `sql:"kind"`
		Enabled     any    `sql:"enabled"`
		ChannelUser any    `sql:"channel_user"`
		OptedOut    any    `sql:"opted_out"`
		ExternalID  any    `sql:"external_id"`
		Phone       any    `sql:"phone"`
		WindowOpen  any    `sql:"window_open"`
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
			onChannel := []*sql.Predicate{sql.EQ(ci.C(customeridentity.FieldKind), customeridentity.KindCHANNEL_USER.String()),
				sql.ColumnsEQ(ci.C(customeridentity.FieldChannelID), sel.C(conversation.FieldChannelID))}
			channelUser := ident(append(onChannel, sql.IsNull(ci.C(customeridentity.FieldOptedOutAt)))...)
			optedOut := ident(append(onChannel, sql.NotNull(ci.C(customeridentity.FieldOptedOutAt)))...)
			externalID := ident(sql.EQ(ci.C(customeridentity.FieldKind), customeridentity.KindEXTERNAL_ID.String()),
				sql.EQ(ci.C(customeridentity.FieldVerified), true))
			phone := ident(sql.EQ(ci.C(customeridentity.FieldKind), customeridentity.KindPHONE.String()))
			sel.Join(ch).On(sel.C(conversation.FieldChannelID), ch.C(channel.FieldID))
			sel.Select(sel.C(conversation.FieldID), ch.C(channel.FieldKind), ch.C(channel.FieldEnabled)).
				AppendSelectExprAs(channelUser, "channel_user").
				AppendSelectExprAs(optedOut, "opted_out").
				AppendSelectExprAs(externalID, "external_id").
				AppendSelectExprAs(phone, "phone")
			if len(windows) > 0 {
				// The customer wrote on the channel within the kind's
				// window: the newest inbound message decides, found
				// through the (customer, created_at) index.
				m := sql.Table(message.Table)
				var within []*sql.Predicate
				now := s.now().UTC() // as stored: SQLite compares times as text
				for kind, w := range windows {
					within = append(within, sql.And(sql.EQ(ch.C(channel.FieldKind), kind),
						sql.GT(m.C(message.FieldCreatedAt), now.Add(-w))))
				}
				sel.AppendSelectExprAs(sql.Exists(sql.Select(m.C(message.FieldID)).From(m).Where(sql.And(
					sql.ColumnsEQ(m.C(message.FieldCustomerID), sel.C(conversation.FieldCustomerID)),
					sql.ColumnsEQ(m.C(message.FieldChannelID), sel.C(conversation.FieldChannelID)),
					sql.EQ(m.C(message.FieldDirection), message.DirectionINBOUND.String()),
					sql.Or(within...),
				))), "window_open")
			} else {
				sel.AppendSelectExprAs(sql.Expr("1"), "window_open")
			}
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
		caps := s.capabilities(r.Kind)
		switch {
		case !truthy(r.Enabled):
			out[id] = ChannelDisabled
		case !truthy(r.ChannelUser) && truthy(r.OptedOut):
			out[id] = OptedOut
		case !truthy(r.ChannelUser) && !(truthy(r.ExternalID) && caps.AddressByExternalID) && !(truthy(r.Phone) && caps.AddressByPhone):
			out[id] = NoRecipient
		case caps.TemplateOnly:
			out[id] = TemplateRequired
		case caps.ReplyWindow > 0 && !truthy(r.WindowOpen) && caps.Templates:
			out[id] = TemplateRequired
		case caps.ReplyWindow > 0 && !truthy(r.WindowOpen):
			out[id] = WindowClosed
		default:
			delete(out, id)
		}
	}
	return out, nil
}

// replyWindows are the registered kinds' reply windows, by kind.
func (s *Service) replyWindows() map[string]time.Duration {
	if s.kinds == nil {
		return nil
	}
	out := map[string]time.Duration{}
	for _, d := range s.kinds.Descriptions() {
		if d.Capabilities.ReplyWindow > 0 {
			out[d.Kind] = d.Capabilities.ReplyWindow
		}
	}
	return out
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
// not be sent: free text, or a template when template is set (which only
// TEMPLATE_REQUIRED lets through).
func (s *Service) checkReply(ctx context.Context, conv *ent.Conversation, kind string, template bool) error {
	blocks, err := s.ReplyBlocks(ctx, []*ent.Conversation{conv})
	if err != nil {
		return err
	}
	b := blocks[conv.ID]
	switch {
	case b == ReplyAllowed, b == TemplateRequired && template:
		return nil
	case b == ChannelDisabled:
		return apperr.New(apperr.Conflict, "%s: the channel is disabled; enable it to reply", b)
	case b == OptedOut:
		return apperr.New(apperr.Conflict, "%s: the customer opted out of messages on this channel", b)
	case b == WindowClosed:
		w := s.capabilities(kind).ReplyWindow
		return apperr.New(apperr.Conflict, "%s: the channel allows replies only within %s of the customer's last message", b, humanDuration(w))
	case b == TemplateRequired:
		return apperr.New(apperr.Conflict, "%s: only an approved template can be sent on this conversation now (SendMessageInput.template)", b)
	default:
		return apperr.New(apperr.Conflict, "%s: the customer has no identity on this channel to send to", b)
	}
}

// humanDuration writes a window as people say it: "24 hours", "7 days".
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}
