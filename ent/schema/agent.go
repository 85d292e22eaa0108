package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/internal/schematype"
)

// Agent is a person who answers customers: an agent, supervisor or admin.
type Agent struct{ ent.Schema }

func (Agent) Mixin() []ent.Mixin { return tenantMixins("Agent") }

func (Agent) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("NAME")),
		field.String("email").NotEmpty().MaxLen(255).Validate(validEmail).
			Annotations(entgql.OrderField("EMAIL")),
		field.String("password_hash").Sensitive().
			Annotations(entgql.Skip()),
		field.Enum("role").Values("ADMIN", "SUPERVISOR", "AGENT").Default("AGENT").
			Annotations(entgql.Type("Role")),
		field.Enum("status").Values("ONLINE", "AWAY", "OFFLINE").Default("OFFLINE").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Int("capacity").Default(5).Min(0).Max(1000).
			Comment("open conversations the agent can hold at once"),
		field.Int("load").Default(0).
			Comment("OPEN and PENDING conversations assigned to the agent; routing raises it only with a conditional update (load < capacity)").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		field.JSON("skills", []schematype.Skill{}).Optional().
			Annotations(entgql.Type("[AgentSkill!]"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.String("avatar_url").Optional().MaxLen(2048),
		field.Bool("active").Default(true).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Int("token_generation").Default(0).
			Comment("goes up when the password changes or is reset; session tokens carry it, and older ones stop working").
			Annotations(entgql.Skip()),
		field.Bool("must_change_password").Default(false).
			Comment("set by an admin's password reset: the agent's sessions may only change the password until it is").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		field.Bytes("totp_secret").Optional().Nillable().Sensitive().
			Comment("the TOTP secret, sealed with the secrets box; set by enableTotp, kept by confirmTotp").
			Annotations(entgql.Skip()),
		field.Bool("totp_enabled").Default(false).
			Comment("sign-in asks for a TOTP code").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
		field.Int64("totp_last_step").Default(0).
			Comment("the time step of the last TOTP code accepted: a code is used once").
			Annotations(entgql.Skip()),
	}
}

func (Agent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("teams", Team.Type).Ref("agents"),
		edge.From("assigned_conversations", Conversation.Type).Ref("assignee").
			Annotations(entgql.Skip()),
		// The inverse of Channel.member_agents, which ent needs for a
		// many-to-many edge; not in the API.
		edge.From("member_channels", Channel.Type).Ref("member_agents").
			Annotations(entgql.Skip()),
	}
}

func (Agent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("email").Unique()}
}

func (Agent) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.QueryField(), entgql.RelayConnection(),
		// createAgent has a hand-written input: it takes a password and skills.
		entgql.Mutations(entgql.MutationUpdate()),
	}
}

// Team is a group of agents a channel can route to.
type Team struct{ ent.Schema }

func (Team) Mixin() []ent.Mixin { return tenantMixins("Team") }

func (Team) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).Annotations(entgql.OrderField("NAME")),
	}
}

func (Team) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("agents", Agent.Type),
		// The inverse of Channel.member_teams; not in the API.
		edge.From("member_channels", Channel.Type).Ref("member_teams").
			Annotations(entgql.Skip()),
	}
}

func (Team) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workspace_id", "name").Unique()}
}

func (Team) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.QueryField(), entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
