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

// ChannelState is one entry of a channel's shared key-value store
// (channels.State): an access token, a receiver's checkpoint. The value
// is sealed like the channel's secrets; version grows with each write, for
// compare-and-set.
type ChannelState struct{ ent.Schema }

func (ChannelState) Mixin() []ent.Mixin { return tenantMixins("ChannelState") }

func (ChannelState) Fields() []ent.Field {
	return []ent.Field{
		field.String("channel_id").GoType(gid0).Immutable(),
		field.String("key").NotEmpty().MaxLen(128).Immutable(),
		field.Bytes("value").Sensitive().Comment("AES-GCM ciphertext"),
		field.Int64("version"),
	}
}

func (ChannelState) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("channel", Channel.Type).Field("channel_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (ChannelState) Indexes() []ent.Index {
	return []ent.Index{index.Fields("channel_id", "key").Unique()}
}

func (ChannelState) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}

// PendingReceipt is a delivery receipt that named a provider message id
// no sent message has yet: the provider answered before the sender
// recorded its id. It is applied, and deleted, when the id is recorded.
type PendingReceipt struct{ ent.Schema }

func (PendingReceipt) Mixin() []ent.Mixin { return tenantMixins("PendingReceipt") }

func (PendingReceipt) Fields() []ent.Field {
	return []ent.Field{
		field.String("channel_id").GoType(gid0).Immutable(),
		field.String("provider_message_id").NotEmpty().MaxLen(schematype.MaxProviderMessageID).Immutable(),
		field.Enum("status").Values("SENT", "DELIVERED", "READ", "FAILED").Immutable(),
		field.String("reason").Optional().MaxLen(1024).Immutable(),
		field.Time("occurred_at").Immutable(),
	}
}

func (PendingReceipt) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("channel_id", "provider_message_id"),
		index.Fields("created_at"),
	}
}

func (PendingReceipt) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}

// ReceiverLease is a channel's receiver (channels.Receiver): which
// instance runs it, until when, and how it is doing. The id is the
// channel's. Holders renew the lease while the receiver runs; another
// instance takes it over once it lapses.
type ReceiverLease struct{ ent.Schema }

func (ReceiverLease) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").GoType(gid0).Immutable().Comment("the channel's id"),
		field.String("workspace_id").GoType(gid0).Immutable(),
		field.String("holder").NotEmpty(),
		field.Time("expires_at"),
		field.Enum("state").Values("RUNNING", "STOPPED", "FAILING").Default("STOPPED"),
		field.String("last_error").Optional().MaxLen(1024),
		field.Time("last_success_at").Optional().Nillable(),
		field.Time("updated_at").Default(now).UpdateDefault(now),
	}
}

func (ReceiverLease) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Skip(entgql.SkipAll)}
}
