package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AgentPresence records that an instance holds a live connection of an
// agent. Instances renew their rows on a heartbeat; an agent with no fresh
// row on any instance (a crashed instance stops renewing) goes OFFLINE.
type AgentPresence struct{ ent.Schema }

func (AgentPresence) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{typ: "AgentPresence"}, workspaceMixin{}}
}

func (AgentPresence) Fields() []ent.Field {
	return []ent.Field{
		field.String("agent_id").GoType(gid0).Immutable(),
		field.String("instance_id").NotEmpty().Immutable(),
		field.Int("connections").Default(0),
		field.Time("last_seen").Default(now),
	}
}

func (AgentPresence) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("agent_id", "instance_id").Unique(),
		index.Fields("last_seen"),
	}
}

func (AgentPresence) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}

// ConversationRead is how far an agent has read a conversation.
type ConversationRead struct{ ent.Schema }

func (ConversationRead) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{typ: "ConversationRead"}, workspaceMixin{}}
}

func (ConversationRead) Fields() []ent.Field {
	return []ent.Field{
		field.String("agent_id").GoType(gid0).Immutable(),
		field.String("conversation_id").GoType(gid0).Immutable(),
		field.Time("read_at").Default(now),
	}
}

func (ConversationRead) Indexes() []ent.Index {
	return []ent.Index{index.Fields("agent_id", "conversation_id").Unique()}
}

func (ConversationRead) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
