package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// ConsumerLease is a durable consumer (routing, automation, webhooks):
// which instance runs it, until when, and how far it has handled the event
// log. Holders renew the lease as they work; another instance takes the
// consumer over once it lapses. Position is a log position (events.seq):
// every event at or below it has been handled, in every workspace.
type ConsumerLease struct{ ent.Schema }

func (ConsumerLease) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().Comment("the consumer's name"),
		field.String("holder").NotEmpty(),
		field.Time("expires_at"),
		field.Int64("position").Default(0).Comment("the last log position handled"),
	}
}

func (ConsumerLease) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
