package schema

import (
	"context"
	"regexp"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/entql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/viewer"
)

// shortcutPattern: what the console types after "/".
var shortcutPattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// QuickReply is a canned answer agents insert by typing "/shortcut"
// (internal/quickreplies): shared with the workspace, a team, or kept
// personal.
type QuickReply struct{ ent.Schema }

func (QuickReply) Mixin() []ent.Mixin { return tenantMixins("QuickReply") }

func (QuickReply) Fields() []ent.Field {
	return []ent.Field{
		field.String("shortcut").Match(shortcutPattern).
			Comment(`What the console types after "/": lower-case letters, digits, "-" and "_", 1 to 32 characters.`),
		field.String("title").NotEmpty().MaxRuneLen(255),
		field.Text("body").MaxLen(schematype.MaxBody).Default("").
			Comment(`The text, with variables such as {{customer.name | "there"}} (renderQuickReply fills them).`),
		field.Enum("scope").Values("WORKSPACE", "TEAM", "PERSONAL").Immutable().
			Annotations(entgql.Type("QuickReplyScope")),
		field.String("team_id").GoType(gid0).Optional().Nillable().Immutable().
			Annotations(entgql.Skip()),
		field.String("owner_id").GoType(gid0).Optional().Nillable().Immutable().
			Annotations(entgql.Skip()),
		field.String("scope_key").Immutable().
			Comment(`"W", "T:<team>" or "P:<owner>": shortcuts are unique per workspace and scope key`).
			Annotations(entgql.Skip()),
		field.JSON("template", &schematype.QuickReplyTemplate{}).Optional().
			Comment("the approved template sent instead of the body on template-only channels").
			Annotations(entgql.Skip()),
	}
}

func (QuickReply) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("team", Team.Type).Field("team_id").Unique().Immutable(),
		edge.To("owner", Agent.Type).Field("owner_id").Unique().Immutable(),
		edge.To("attachments", File.Type).Annotations(entgql.Skip()),
	}
}

func (QuickReply) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workspace_id", "scope_key", "shortcut").Unique()}
}

func (QuickReply) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.RelayConnection(),
		entgql.Skip(entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}

// Policy: next to the workspace rule, an agent (or an API token, for its
// creator) sees the workspace's quick replies, those of teams they belong
// to (supervisors and admins: of every team) and their own personal ones;
// any other is missing, exactly like one that does not exist.
func (QuickReply) Policy() ent.Policy {
	rule := privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		a := viewer.FromContext(ctx)
		if a == nil || (a.Kind != viewer.KindAgent && a.Kind != viewer.KindAPIToken) {
			return privacy.Skip
		}
		wf, ok := f.(interface{ Where(entql.P) })
		if !ok {
			return privacy.Denyf("%T cannot be filtered by scope", f)
		}
		me := string(a.AgentID)
		team := entql.And(entql.FieldEQ("scope", "TEAM"), entql.HasEdgeWith("team", entql.HasEdgeWith("agents", entql.FieldEQ("id", me))))
		if a.Role.Rank() >= viewer.RoleSupervisor.Rank() {
			team = entql.FieldEQ("scope", "TEAM")
		}
		wf.Where(entql.Or(entql.FieldEQ("scope", "WORKSPACE"), team,
			entql.And(entql.FieldEQ("scope", "PERSONAL"), entql.FieldEQ("owner_id", me))))
		return privacy.Skip
	})
	return privacy.Policy{Query: privacy.QueryPolicy{rule}, Mutation: privacy.MutationPolicy{rule}}
}
