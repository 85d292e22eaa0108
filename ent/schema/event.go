package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event is one entry of the event log: a change clients can see, appended
// in the transaction of the change (see internal/events). Its seq is its
// position in the log, unique across workspaces, and the subscriptions'
// cursor; positions increase but are not contiguous.
// The ids it names are plain columns, not foreign keys: the log outlives
// what it talks about.
type Event struct{ ent.Schema }

func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{typ: "Event"}, workspaceMixin{}}
}

func (Event) Fields() []ent.Field {
	id := func(name string) ent.Field { return field.String(name).GoType(gid0).Optional().Immutable() }
	return []ent.Field{
		field.Int64("seq").Immutable(),
		field.String("type").Immutable(),
		field.String("change").Optional().Immutable(),
		id("conversation_id"),
		id("message_id"),
		id("customer_id"),
		id("agent_id"),
		id("previous_agent_id"),
		id("merge_id"),
		field.String("cause").Optional().Immutable().MaxLen(100).
			Comment(`who or what made it happen: "AGENT:agt_…", "API_TOKEN:…", "CHANNEL:chn_…", "AUTOMATION_RULE:…", "AUTO_REPLY:chn_…", "ROUTING", "SYSTEM"`),
		field.Time("created_at").Default(now).Immutable(),
	}
}

func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("workspace_id", "seq").Unique(),
		index.Fields("seq").Unique(), // durable consumers read the whole log in order
		index.Fields("created_at"),
	}
}

func (Event) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}

// EventSequence is a workspace's retention mark: pruned_through is the
// highest position retention has deleted, and a cursor before it has
// expired. On SQLite one more row (id "_log") counts the log's positions;
// PostgreSQL takes them from the writing transaction's id instead (see
// internal/events), so no row is locked by every writer.
type EventSequence struct{ ent.Schema }

func (EventSequence) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").GoType(gid0).Immutable().Comment("the workspace id"),
		field.Int64("last_seq").Default(0),
		field.Int64("pruned_through").Default(0),
	}
}

func (EventSequence) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
