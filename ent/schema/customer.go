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

// Customer is a person the business talks to, on any number of channels.
type Customer struct{ ent.Schema }

func (Customer) Mixin() []ent.Mixin { return tenantMixins("Customer") }

func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Optional().MaxRuneLen(schematype.MaxName).
			Comment("display name").
			Annotations(entgql.OrderField("NAME")),
		field.String("avatar_url").Optional().MaxLen(2048),
		field.JSON("custom_attributes", map[string]any{}).Optional().
			Annotations(entgql.Type("Map")),
		field.Bool("vip").Default(false),
		field.Text("notes").Optional().MaxLen(65536),
		field.String("merged_into_id").GoType(gid0).Optional().Nillable().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput)),
	}
}

func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("tags", Tag.Type),
		edge.To("identities", CustomerIdentity.Type).
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		// A merged customer (a tombstone) points at the customer it was
		// merged into; the column is on the tombstone's row.
		edge.To("merged_customers", Customer.Type).
			Annotations(entgql.Skip(entgql.SkipAll)).
			From("merged_into").Field("merged_into_id").Unique().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		edge.From("conversations", Conversation.Type).Ref("customer").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// The customers query is hand-written (schema/customers.graphqls): it adds
// search and leaves merged customers out.
func (Customer) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// CustomerIdentity is one way to recognise a customer: an email, a phone
// number, the business's own id, a channel-scoped id (a WeChat openid, a
// Telegram user...), or a platform's id of the person across the business's
// accounts on it (a WeChat unionid). Verified identities are unique; claims
// may repeat.
type CustomerIdentity struct{ ent.Schema }

func (CustomerIdentity) Mixin() []ent.Mixin { return tenantMixins("CustomerIdentity") }

func (CustomerIdentity) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").GoType(gid0).
			Comment("changes when customers merge or unmerge"),
		field.Enum("kind").Values("EMAIL", "PHONE", "EXTERNAL_ID", "CHANNEL_USER", "PLATFORM_USER").Immutable().
			Annotations(entgql.Type("IdentityKind")),
		field.String("value").NotEmpty().MaxLen(schematype.MaxIdentityValue).Immutable().
			Comment("normalised: emails lower-cased, phones in E.164"),
		field.String("channel_id").GoType(gid0).Optional().Nillable().Immutable().
			Comment("set for channel-scoped kinds"),
		field.Bool("verified").Default(false),
		field.Enum("source").Values("CHANNEL", "INTEGRATION", "WIDGET", "AGENT").Default("CHANNEL").
			Comment("where the identity came from: the channel itself, an integrator's API token, the website chat (verified by identityHash or claimed by the visitor), or an agent").
			Annotations(entgql.Type("IdentitySource")),
		field.Time("opted_out_at").Optional().Nillable().
			Comment("CHANNEL_USER: when the customer opted out of messages on the channel (unfollowed, STOP); null while reachable"),
	}
}

func (CustomerIdentity) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("identities").Field("customer_id").Unique().Required(),
		edge.To("channel", Channel.Type).Field("channel_id").Unique().Immutable(),
	}
}

func (CustomerIdentity) Indexes() []ent.Index {
	return []ent.Index{
		// Verified identities are unique; NULL channel ids would defeat a
		// plain unique index, so global and channel-scoped kinds get one each.
		// The predicates are written as PostgreSQL prints them back, so that
		// comparing the database with this schema finds no difference.
		index.Fields("workspace_id", "kind", "value").Unique().
			StorageKey("customer_identity_verified_unique").
			Annotations(entsql.IndexWhere("(verified AND (channel_id IS NULL))")),
		index.Fields("workspace_id", "kind", "value", "channel_id").Unique().
			StorageKey("customer_identity_verified_channel_unique").
			Annotations(entsql.IndexWhere("(verified AND (channel_id IS NOT NULL))")),
		index.Fields("workspace_id", "kind", "value").StorageKey("customer_identity_lookup"),
		index.Fields("customer_id"),
	}
}
