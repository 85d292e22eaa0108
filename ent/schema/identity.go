package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/internal/schematype"
)

// CustomerMerge records one merge of a customer (the secondary) into
// another (the primary): who did it, and in its snapshot exactly what
// moved and what the secondary had, so that unmerging restores it.
type CustomerMerge struct{ ent.Schema }

func (CustomerMerge) Mixin() []ent.Mixin { return tenantMixins("CustomerMerge") }

func (CustomerMerge) Fields() []ent.Field {
	return []ent.Field{
		field.String("primary_id").GoType(gid0).Immutable(),
		field.String("secondary_id").GoType(gid0).Immutable(),
		field.String("merged_by_id").GoType(gid0).Optional().Nillable().Immutable().
			Comment("the agent who merged; null for an automatic merge"),
		field.Bool("automatic").Default(false).Immutable(),
		field.Time("merged_at").Default(now).Immutable().
			Annotations(entgql.OrderField("MERGED_AT")),
		field.Time("unmerged_at").Optional().Nillable(),
		field.String("unmerged_by_id").GoType(gid0).Optional().Nillable(),
		field.JSON("snapshot", &schematype.MergeSnapshot{}).
			Annotations(entgql.Skip()),
	}
}

func (CustomerMerge) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("primary", Customer.Type).Field("primary_id").Unique().Required().Immutable(),
		edge.To("secondary", Customer.Type).Field("secondary_id").Unique().Required().Immutable(),
		edge.To("merged_by", Agent.Type).Field("merged_by_id").Unique().Immutable(),
		edge.To("unmerged_by", Agent.Type).Field("unmerged_by_id").Unique(),
	}
}

func (CustomerMerge) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("primary_id", "merged_at"),
		index.Fields("secondary_id", "merged_at"),
	}
}

func (CustomerMerge) Annotations() []schemaAnnotation {
	return nil
}

// CustomerDuplicate is a suggestion that two customers are one person,
// with the identities they share: recorded when an automatic merge would
// not be safe, for an agent to accept (merge) or dismiss.
type CustomerDuplicate struct{ ent.Schema }

func (CustomerDuplicate) Mixin() []ent.Mixin { return tenantMixins("CustomerDuplicate") }

func (CustomerDuplicate) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").GoType(gid0).Immutable().
			Comment("the customer who had the identity first"),
		field.String("duplicate_id").GoType(gid0).Immutable().
			Comment("the customer who also showed it"),
		field.JSON("evidence", []schematype.Evidence{}).
			Annotations(entgql.Type("[DuplicateEvidence!]")),
		field.Enum("status").Values("OPEN", "ACCEPTED", "DISMISSED", "CLOSED").Default("OPEN").
			Comment("CLOSED: one of the pair was merged into someone else, so the suggestion no longer applies").
			Annotations(entgql.Type("DuplicateStatus")),
		field.Time("resolved_at").Optional().Nillable(),
		field.String("resolved_by_id").GoType(gid0).Optional().Nillable(),
	}
}

func (CustomerDuplicate) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required().Immutable(),
		edge.To("duplicate", Customer.Type).Field("duplicate_id").Unique().Required().Immutable(),
		edge.To("resolved_by", Agent.Type).Field("resolved_by_id").Unique(),
	}
}

func (CustomerDuplicate) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "duplicate_id").Unique(),
		index.Fields("workspace_id", "status", "created_at"),
	}
}

func (CustomerDuplicate) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.QueryField("customerDuplicates"), entgql.RelayConnection(),
	}
}

// AttributeDefinition declares a typed custom attribute of customers, so
// that values keep their type (a DATE stays a date) through the API.
type AttributeDefinition struct{ ent.Schema }

func (AttributeDefinition) Mixin() []ent.Mixin { return tenantMixins("AttributeDefinition") }

func (AttributeDefinition) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(64).Match(attributeNamePattern).Immutable().
			Comment("the key in customAttributes").
			Annotations(entgql.OrderField("NAME")),
		field.String("label").Optional().MaxRuneLen(255),
		field.Enum("type").Values("STRING", "NUMBER", "BOOLEAN", "DATE").Immutable().
			Annotations(entgql.Type("AttributeType")),
	}
}

func (AttributeDefinition) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workspace_id", "name").Unique()}
}

func (AttributeDefinition) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.QueryField(), entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate()),
	}
}

// ConversationActivity is one step of a conversation's life (opened,
// assigned, resolved, reopened, transferred, taken), kept for the
// customer's timeline and the assignment history. customer_id follows the
// conversation through merges.
type ConversationActivity struct{ ent.Schema }

func (ConversationActivity) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{typ: "ConversationActivity"}, workspaceMixin{}}
}

func (ConversationActivity) Fields() []ent.Field {
	return []ent.Field{
		field.String("conversation_id").GoType(gid0).Immutable(),
		field.String("customer_id").GoType(gid0),
		field.Enum("kind").Values("OPENED", "ASSIGNED", "UNASSIGNED", "RESOLVED", "REOPENED", "TRANSFERRED", "TAKEN", "SNOOZED", "WOKEN",
			// Channel events (channels.EventKind): note holds the detail.
			"FOLLOWED", "UNFOLLOWED", "OPTED_OUT", "OPTED_IN", "MENU_CLICK", "CALL",
			// An automation rule acted: rule_id names it, note says what changed.
			"RULE_APPLIED").Immutable(),
		field.String("actor_id").GoType(gid0).Optional().Nillable().Immutable().
			Comment("the agent who acted; null for Switchboard itself"),
		field.String("agent_id").GoType(gid0).Optional().Nillable().Immutable().
			Comment("the assignee, for ASSIGNED, TRANSFERRED and TAKEN"),
		field.String("team_id").GoType(gid0).Optional().Nillable().Immutable(),
		field.Enum("reason").Values("AUTO", "MANUAL", "TRANSFER", "TAKEN").Optional().Nillable().Immutable().
			Annotations(entgql.Type("AssignmentReason")),
		field.String("note").Optional().MaxLen(4096).Immutable(),
		field.Time("occurred_at").Default(now).Immutable(),
		field.String("rule_id").GoType(gid0).Optional().Nillable().Immutable().
			Comment("RULE_APPLIED: the automation rule"),
		field.String("dedupe_key").Optional().Nillable().Immutable().MaxLen(600).
			Comment("a channel event's channel and provider event id: a redelivered event is recorded once"),
	}
}

func (ConversationActivity) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Required().Immutable(),
		edge.To("actor", Agent.Type).Field("actor_id").Unique().Immutable(),
		edge.To("agent", Agent.Type).Field("agent_id").Unique().Immutable(),
		edge.To("team", Team.Type).Field("team_id").Unique().Immutable(),
	}
}

func (ConversationActivity) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "occurred_at", "id"),
		index.Fields("conversation_id", "occurred_at"),
		index.Fields("workspace_id", "dedupe_key").Unique().
			Annotations(entsql.IndexWhere("dedupe_key IS NOT NULL")),
	}
}

func (ConversationActivity) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
