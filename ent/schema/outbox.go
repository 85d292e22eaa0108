package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OutboxItem is one outbound message waiting to be delivered through its
// channel. It is written in the transaction that stores the message;
// workers on any instance claim due items with a conditional update, call
// the provider outside any transaction, and record the outcome.
type OutboxItem struct{ ent.Schema }

func (OutboxItem) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{typ: "OutboxItem"}, timeMixin{}, workspaceMixin{}}
}

func (OutboxItem) Fields() []ent.Field {
	return []ent.Field{
		field.String("message_id").GoType(gid0).Immutable(),
		field.String("channel_id").GoType(gid0).Immutable(),
		field.Enum("status").Values("PENDING", "SENDING", "DONE", "FAILED").Default("PENDING"),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").Default(now),
		field.String("claimed_by").Optional(),
		field.Time("claimed_until").Optional().Nillable(),
		field.String("last_error").Optional().MaxLen(1024),
		field.String("provider_message_id").Optional().
			Comment("the provider's id for the sent message, for its delivery callbacks"),
	}
}

func (OutboxItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("message_id").Unique(),
		index.Fields("channel_id", "provider_message_id"),
	}
}

func (OutboxItem) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
