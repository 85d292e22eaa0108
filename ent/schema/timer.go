package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Timer is a job due at a time (a snoozed conversation's wake-up, later a
// reminder or an SLA breach). Timers live in the database, so they survive
// restarts; an instance fires one only after claiming it with a
// conditional update, so one instance at a time runs a given timer (see
// internal/timers).
type Timer struct{ ent.Schema }

func (Timer) Mixin() []ent.Mixin { return []ent.Mixin{idMixin{typ: "Timer"}} }

func (Timer) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").NotEmpty().MaxLen(64).Immutable().
			Comment("what firing does, the name a handler registered"),
		field.String("subject").NotEmpty().MaxLen(64).Immutable().
			Comment("what the timer is about (a conversation id); one timer per kind and subject"),
		field.String("workspace_id").GoType(gid0).Immutable(),
		field.Time("due_at"),
		field.String("claimed_by").Optional(),
		field.Time("claimed_until").Optional().Nillable(),
		field.Int("attempts").Default(0),
		field.String("last_error").Optional().MaxLen(1024),
		field.Time("created_at").Default(now).Immutable(),
	}
}

func (Timer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "subject").Unique(),
		index.Fields("due_at"),
	}
}

func (Timer) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
