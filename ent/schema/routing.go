package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/internal/schematype"
)

// RoutingPolicy says how a channel's conversations reach agents: the
// strategy, and rules that derive a conversation's required skills. The
// channel's team says who may receive them. A channel without a policy is
// MANUAL: its conversations queue until an agent takes them.
type RoutingPolicy struct{ ent.Schema }

func (RoutingPolicy) Mixin() []ent.Mixin { return tenantMixins("RoutingPolicy") }

func (RoutingPolicy) Fields() []ent.Field {
	return []ent.Field{
		field.String("channel_id").GoType(gid0).Immutable(),
		field.Enum("strategy").Values("ROUND_ROBIN", "LEAST_BUSY", "SKILLS", "MANUAL").Default("MANUAL").
			Annotations(entgql.Type("RoutingStrategy")),
		field.JSON("skill_rules", []schematype.SkillRule{}).Optional().
			Annotations(entgql.Type("[SkillRule!]")),
		field.String("last_agent_id").GoType(gid0).Optional().Nillable().
			Comment("round robin: the agent who got the last conversation").
			Annotations(entgql.Skip()),
	}
}

func (RoutingPolicy) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("channel", Channel.Type).Field("channel_id").Unique().Required().Immutable(),
	}
}

func (RoutingPolicy) Indexes() []ent.Index {
	return []ent.Index{index.Fields("channel_id").Unique()}
}

func (RoutingPolicy) Annotations() []schemaAnnotation { return nil }
