package schema

import (
	"crypto/rand"
	"encoding/base32"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

// Conversation is one thread with a customer on one channel.
type Conversation struct{ ent.Schema }

func (Conversation) Mixin() []ent.Mixin { return tenantMixins("Conversation") }

func (Conversation) Fields() []ent.Field {
	serverOwned := entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
	return []ent.Field{
		field.String("customer_id").GoType(gid0),
		field.String("channel_id").GoType(gid0).Immutable(),
		field.String("assignee_id").GoType(gid0).Optional().Nillable(),
		field.String("team_id").GoType(gid0).Optional().Nillable(),
		field.String("last_message_id").GoType(gid0).Optional().Nillable().Annotations(entgql.Skip()),
		field.Enum("status").Values("OPEN", "PENDING", "SNOOZED", "RESOLVED").Default("OPEN").
			Annotations(entgql.OrderField("STATUS"), serverOwned),
		field.Enum("priority").Values("LOW", "NORMAL", "HIGH", "URGENT").Default("NORMAL").
			Annotations(entgql.Type("Priority")),
		field.String("subject").Optional().MaxRuneLen(998),
		field.Time("last_message_at").Optional().Nillable().
			Annotations(entgql.OrderField("LAST_MESSAGE_AT"), serverOwned),
		field.Time("waiting_since").Optional().Nillable().
			Comment("since when the customer has been waiting for an answer").
			Annotations(entgql.OrderField("WAITING_SINCE"), serverOwned),
		field.Time("first_response_at").Optional().Nillable().Annotations(serverOwned),
		field.Time("resolved_at").Optional().Nillable().Annotations(serverOwned),
		field.Time("snoozed_until").Optional().Nillable().Annotations(serverOwned),
		field.String("key").NotEmpty().Immutable().DefaultFunc(newConversationKey).
			Comment("unguessable; channels carry it in reply addresses and thread ids (channels.Outbound.ThreadKey)").
			Annotations(entgql.Skip()),
	}
}

func (Conversation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required(),
		edge.To("channel", Channel.Type).Field("channel_id").Unique().Required().Immutable(),
		edge.To("assignee", Agent.Type).Field("assignee_id").Unique(),
		edge.To("team", Team.Type).Field("team_id").Unique(),
		edge.To("tags", Tag.Type),
		edge.To("last_message", Message.Type).Field("last_message_id").Unique().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
				entsql.OnDelete(entsql.SetNull)),
		edge.From("messages", Message.Type).Ref("conversation").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes: the inbox lists a workspace's conversations, all or by status,
// in the order they show (last message, then id: connections page by
// both), without sorting; (workspace, assignee, status), small because
// its keys repeat, counts them (totalCount) and an agent's, from the index
// alone.
func (Conversation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("workspace_id", "last_message_at", "id"),
		index.Fields("workspace_id", "status", "last_message_at", "id"),
		index.Fields("workspace_id", "assignee_id", "status"),
		index.Fields("customer_id", "channel_id", "status"),
		index.Fields("channel_id", "key").Unique(),
	}
}

func (Conversation) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.QueryField(), entgql.RelayConnection()}
}

// Message is one message of a conversation, either way, or a private note.
type Message struct{ ent.Schema }

func (Message) Mixin() []ent.Mixin { return tenantMixins("Message") }

func (Message) Fields() []ent.Field {
	return []ent.Field{
		field.String("conversation_id").GoType(gid0).Immutable(),
		field.String("channel_id").GoType(gid0).Immutable(),
		field.String("customer_id").GoType(gid0).Optional().
			Comment("the conversation's customer, kept here for the customer's timeline; follows merges").
			Annotations(entgql.Skip()),
		field.String("author_id").GoType(gid0).Optional().Nillable().Immutable(),
		field.Enum("direction").Values("INBOUND", "OUTBOUND").Immutable(),
		field.Enum("sender_kind").Values("CUSTOMER", "AGENT", "BOT", "SYSTEM").Immutable(),
		field.Text("body").MaxLen(schematype.MaxBody).Immutable(),
		field.String("content_type").Default("text/plain").MaxLen(255).Immutable(),
		field.Text("html").Optional().Nillable().Immutable().
			Comment("The message's HTML (a mail's), sanitised by its channel: no scripts, no event handlers; null when it has none. body is its text."),
		field.JSON("metadata", map[string]any{}).Optional().
			Comment(`the provider's extras, and Switchboard's notes under its own keys ("sanitized": what ingest changed so the message could be stored)`).
			Annotations(entgql.Type("Map")),
		field.Bool("private").Default(false).Immutable(),
		field.Bool("auto_submitted").Default(false).Immutable().
			Comment("no person wrote it: an auto-reply, a bounce, a bot; it never reopens a conversation or triggers auto-replies"),
		field.JSON("template", &schematype.TemplateMessage{}).Optional().Immutable().
			Comment("the approved template an agent sent, with its parameters; body is its text when known").
			Annotations(entgql.Skip()),
		field.String("provider_message_id").Optional().Nillable().MaxLen(schematype.MaxProviderMessageID).Immutable(),
		// Mentions are a JSON list on the message rather than a table of
		// their own: at most MaxMentions ids, written once with the note
		// and never changed (Immutable), always read with their message
		// (Message.mentions loads the agents for a whole list of messages
		// in one statement), and they move with the message through
		// merges because they are part of its row. Nothing queries
		// "messages mentioning X": the mentioned agent is told through the
		// message.mentioned events, which name them.
		field.JSON("mentioned_agent_ids", []gid.ID{}).Optional().Immutable().
			Comment("the agents a private note mentions, in the order given, each once").
			Annotations(entgql.Skip()),
		field.Enum("delivery_status").Values("QUEUED", "SENT", "DELIVERED", "READ", "FAILED").Optional().Nillable(),
		field.String("delivery_error").Optional().MaxLen(1024),
	}
}

func (Message) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Required().Immutable(),
		edge.To("channel", Channel.Type).Field("channel_id").Unique().Required().Immutable(),
		edge.To("author", Agent.Type).Field("author_id").Unique().Immutable(),
	}
}

func (Message) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "created_at", "id"),
		index.Fields("conversation_id", "created_at"),
		index.Fields("channel_id", "provider_message_id").Unique().
			Annotations(entsql.IndexWhere("provider_message_id IS NOT NULL")),
	}
}

func (Message) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection()}
}

// newConversationKey is a conversation's unguessable key: 128 random bits,
// lower-case base32 (fits an email address's local part).
func newConversationKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("schema: reading random bytes: " + err.Error())
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// File is a file's bytes as Switchboard keeps them (internal/files): an
// attachment of a message, an upload waiting to be attached, or an
// inbound provider's media still being fetched. The row is written only
// after the bytes are durably stored; bytes no row points to are swept.
type File struct{ ent.Schema }

func (File) Mixin() []ent.Mixin { return tenantMixins("File") }

func (File) Fields() []ent.Field {
	hidden := entgql.Skip()
	return []ent.Field{
		field.String("name").MaxLen(255).Default("").Comment("The file's name as given, made safe to show."),
		field.String("content_type").MaxLen(255).Comment("What the bytes are: sniffed from them and checked against the declared type."),
		field.Int64("size").Default(0).Annotations(entgql.Type("Int")).Comment("Bytes; 0 until a PENDING file is fetched."),
		field.String("sha256").Optional().Annotations(hidden).Comment("hex, of the stored bytes"),
		field.String("storage_key").Optional().Annotations(hidden).
			Comment("where the bytes are: starts with the workspace id; empty until a PENDING file is fetched"),
		field.String("thumbnail_key").Optional().Nillable().Annotations(hidden).
			Comment(`an image's thumbnail; "" when none can be made, null when not made yet`),
		field.Int("width").Optional().Nillable().Comment("An image's width in pixels."),
		field.Int("height").Optional().Nillable().Comment("An image's height in pixels."),
		field.Enum("status").Values("PENDING", "READY", "FAILED").Default("READY").
			Annotations(entgql.Type("AttachmentStatus")).
			Comment("PENDING while a channel's media is still being fetched from its provider; FAILED when that gave up."),
		field.String("error").Optional().MaxLen(1024).Comment("Why a FAILED fetch failed."),
		field.String("message_id").GoType(gid0).Optional().Nillable().Annotations(hidden).Comment("the message it is attached to"),
		field.Int("position").Default(0).Annotations(hidden).Comment("its place among its message's attachments"),
		field.Bool("original").Default(false).Immutable().Annotations(hidden).
			Comment("the message exactly as the provider sent it (Message.source: a mail's raw bytes), not an attachment"),
		field.JSON("source", map[string]string{}).Optional().Sensitive().Annotations(hidden).
			Comment("a PENDING file's provider handle (url, mediaID, contentType, name), kept until fetched"),
		field.Int("attempts").Default(0).Annotations(hidden).Comment("fetches tried"),
		field.Time("next_attempt_at").Optional().Nillable().Annotations(hidden).Comment("when a PENDING file is fetched next"),
		field.String("uploader_agent_id").GoType(gid0).Optional().Nillable().Immutable().Annotations(hidden),
		field.String("uploader_customer_id").GoType(gid0).Optional().Nillable().Immutable().Annotations(hidden).
			Comment("a website visitor's customer"),
		field.String("channel_id").GoType(gid0).Optional().Nillable().Immutable().Annotations(hidden).
			Comment("the channel it came through"),
		field.Time("deleted_at").Optional().Nillable().
			Comment("When deleteAttachment removed its bytes; it stays on its message as a tombstone."),
		field.String("quick_reply_id").GoType(gid0).Optional().Nillable().Annotations(hidden).
			Comment("the quick reply that keeps it (never a message's: sends get copies); the sweep leaves it"),
	}
}

func (File) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("quick_reply", QuickReply.Type).Ref("attachments").Field("quick_reply_id").Unique().
			Annotations(entgql.Skip()),
	}
}

func (File) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("message_id"),
		index.Fields("status", "next_attempt_at"),
		index.Fields("storage_key"),
		index.Fields("quick_reply_id"),
	}
}

// File is exposed as Attachment; clients never create or filter them
// through generated inputs.
func (File) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Type("Attachment"),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
