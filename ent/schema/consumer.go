package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ConsumerCheckpoint is how far a durable consumer (routing, automation,
// webhooks) has handled a workspace's event log.
type ConsumerCheckpoint struct{ ent.Schema }

func (ConsumerCheckpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{typ: "ConsumerCheckpoint"}}
}

func (ConsumerCheckpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("consumer").NotEmpty().Immutable(),
		field.String("workspace_id").GoType(gid0).Immutable(),
		field.Int64("seq").Default(0),
		field.Time("updated_at").Default(now).UpdateDefault(now),
	}
}

func (ConsumerCheckpoint) Indexes() []ent.Index {
	return []ent.Index{index.Fields("consumer", "workspace_id").Unique()}
}

func (ConsumerCheckpoint) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}

// ConsumerLease says which instance runs a durable consumer, until when.
// Holders renew it; another instance takes it over once it lapses.
type ConsumerLease struct{ ent.Schema }

func (ConsumerLease) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().Comment("the consumer's name"),
		field.String("holder").NotEmpty(),
		field.Time("expires_at"),
	}
}

func (ConsumerLease) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
