package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/internal/schematype"
)

// Channel is one connected channel: a web chat, a mailbox, an SMS number, a
// WeChat account... Its kind is a registry name, not an enum.
type Channel struct{ ent.Schema }

func (Channel) Mixin() []ent.Mixin { return tenantMixins("Channel") }

func (Channel) Fields() []ent.Field {
	serverOwned := entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
	return []ent.Field{
		field.String("kind").NotEmpty().MaxLen(64).Immutable().
			Annotations(entgql.OrderField("KIND")),
		field.String("name").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("NAME")),
		field.Bool("enabled").Default(false).Annotations(serverOwned),
		field.String("key").NotEmpty().Immutable().
			Comment("unguessable public identifier, part of the webhook URL").
			Annotations(serverOwned),
		field.JSON("settings", map[string]any{}).Optional().
			Annotations(entgql.Type("Map")),
		field.Bytes("secrets").Optional().Sensitive().
			Comment("AES-GCM ciphertext of the JSON map of secret fields").
			Annotations(entgql.Skip()),
		field.Strings("secret_fields").Optional().
			Comment("names of the secret fields that are set").
			Annotations(entgql.Skip()),
		field.Enum("verification_state").Values("UNVERIFIED", "VERIFIED", "FAILED").Default("UNVERIFIED").
			Annotations(serverOwned),
		field.String("verification_error").Optional().Annotations(serverOwned),
		field.Time("verified_at").Optional().Nillable().Annotations(serverOwned),
		field.Int("priority").Default(0).Min(-1000).Max(1000).
			Comment("higher is served first when conversations queue").
			Annotations(entgql.OrderField("PRIORITY")),
		field.String("team_id").GoType(gid0).Optional().Nillable(),
		field.JSON("working_hours", &schematype.WorkingHours{}).Optional().
			Annotations(entgql.Type("WorkingHours"), serverOwned),
	}
}

func (Channel) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("team", Team.Type).Field("team_id").Unique(),
		// Channel members (Chatwoot's inbox members): the agents, directly
		// or through a team, who see its conversations. A channel without
		// members is every agent's. See access.go.
		edge.To("member_agents", Agent.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.To("member_teams", Team.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

func (Channel) Indexes() []ent.Index {
	return []ent.Index{index.Fields("key").Unique()}
}

func (Channel) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		// Channel inputs are hand-written: they carry write-only secrets.
		entgql.QueryField(), entgql.RelayConnection(),
	}
}
