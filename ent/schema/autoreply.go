package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/internal/schematype"
)

// AutoReplyConfig is a channel's auto-replies (GraphQL AutoReplies):
// welcome, out of hours, keywords, all agents busy, and the cooldown
// between two sends of one rule in one conversation. Saved whole by
// setAutoReplies; sent by internal/autoreply.
type AutoReplyConfig struct{ ent.Schema }

func (AutoReplyConfig) Mixin() []ent.Mixin { return tenantMixins("AutoReplyConfig") }

func (AutoReplyConfig) Fields() []ent.Field {
	return []ent.Field{
		field.String("channel_id").GoType(gid0).Immutable(),
		field.JSON("welcome", schematype.AutoReplyText{}).
			Annotations(entgql.Type("AutoReplyText")),
		field.JSON("out_of_hours", schematype.AutoReplyText{}).
			Annotations(entgql.Type("AutoReplyText")),
		field.JSON("all_agents_busy", schematype.AutoReplyText{}).
			Annotations(entgql.Type("AutoReplyText")),
		field.JSON("keywords", []schematype.KeywordReply{}).
			Annotations(entgql.Type("[KeywordAutoReply!]")),
		field.Int("cooldown_minutes").Default(10),
	}
}

func (AutoReplyConfig) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("channel", Channel.Type).Field("channel_id").Unique().Required().Immutable(),
	}
}

func (AutoReplyConfig) Indexes() []ent.Index {
	return []ent.Index{index.Fields("channel_id").Unique()}
}

func (AutoReplyConfig) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Type("AutoReplies")}
}

// AutoReplySend records the last auto-reply of one rule in one
// conversation: when it went (for the cooldown), and the log position of
// the event it answered, written in the transaction that sent it, so a
// replayed event is recognised and answered once.
type AutoReplySend struct{ ent.Schema }

func (AutoReplySend) Mixin() []ent.Mixin { return tenantMixins("AutoReplySend") }

func (AutoReplySend) Fields() []ent.Field {
	return []ent.Field{
		field.String("conversation_id").GoType(gid0).Immutable(),
		field.String("rule_key").NotEmpty().Immutable().
			Comment("welcome, out_of_hours, all_agents_busy or keyword:<hash of match and pattern>"),
		field.Time("last_sent_at"),
		field.Int64("last_event_seq"),
	}
}

func (AutoReplySend) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Required().Immutable(),
	}
}

func (AutoReplySend) Indexes() []ent.Index {
	return []ent.Index{index.Fields("conversation_id", "rule_key").Unique()}
}

func (AutoReplySend) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
