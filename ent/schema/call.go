package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"entgo.io/ent/entql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/internal/access"
	"github.com/switchboard/switchboard/internal/gid"
)

// Call is one telephone call with a customer: reported by a phone
// channel's telephony system (one row per channel and provider call id,
// its status moving only forward) or logged by an agent (logCall). It is
// on the customer's timeline (CallEntry) and on a conversation.
// customer_id follows merges, as messages' does.
type Call struct{ ent.Schema }

func (Call) Mixin() []ent.Mixin { return tenantMixins("Call") }

func (Call) Fields() []ent.Field {
	hidden := entgql.Skip()
	return []ent.Field{
		field.String("customer_id").GoType(gid0).Annotations(hidden),
		field.String("conversation_id").GoType(gid0).Optional().Nillable().Annotations(hidden),
		field.String("channel_id").GoType(gid0).Optional().Nillable().Immutable().Annotations(hidden),
		field.String("agent_id").GoType(gid0).Optional().Nillable().Annotations(hidden),
		field.String("recording_id").GoType(gid0).Optional().Nillable().Annotations(hidden),
		field.String("provider_call_id").Optional().Nillable().Immutable().MaxLen(255).Annotations(hidden).
			Comment("the telephony system's call id: one row per channel and call id"),
		field.Enum("status").Values("RINGING", "ANSWERED", "ENDED", "MISSED").
			Annotations(entgql.Type("CallStatus")).
			Comment("RINGING, then ANSWERED, then ENDED, or MISSED; never backwards"),
		field.Enum("direction").Values("INBOUND", "OUTBOUND").Default("INBOUND").
			Annotations(entgql.Type("CallDirection")),
		field.String("from").MaxLen(64).Comment("The calling number (E.164 when it is a phone number)."),
		field.String("to").MaxLen(64).Comment("The called number (E.164 when it is a phone number)."),
		field.Time("started_at").Comment("When the call started ringing, or was placed."),
		field.Time("answered_at").Optional().Nillable(),
		field.Time("ended_at").Optional().Nillable(),
		field.Int("duration_seconds").Optional().Nillable().Comment("How long the call lasted once answered."),
		field.String("recording_url").Optional().MaxLen(2048).Annotations(hidden).
			Comment("where the telephony system keeps the recording, until it is fetched into recording_id"),
	}
}

func (Call) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required(),
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique(),
		edge.To("channel", Channel.Type).Field("channel_id").Unique().Immutable().Annotations(entgql.Skip()),
		edge.To("agent", Agent.Type).Field("agent_id").Unique(),
		edge.To("recording", File.Type).Field("recording_id").Unique().
			Annotations(entsql.OnDelete(entsql.SetNull)),
	}
}

// Indexes: the timeline reads a customer's calls by (started_at, id); a
// redelivered event finds its call by (channel, provider call id).
func (Call) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "started_at", "id"),
		index.Fields("conversation_id"),
		index.Fields("channel_id", "provider_call_id").Unique().
			Annotations(entsql.IndexWhere("provider_call_id IS NOT NULL")),
	}
}

func (Call) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
	}
}

// Policy: an AGENT sees the calls of the conversations they see (a call
// without a conversation is for supervisors and admins).
func (Call) Policy() ent.Policy {
	return channelAccessPolicy(func(me gid.ID) entql.P {
		return entql.HasEdgeWith("conversation", sqlgraph.WrapFunc(access.Conversations(me)))
	})
}
