package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/switchboard/switchboard/internal/schematype"
)

// AutomationRule: when its trigger happens to a conversation and its
// conditions hold, its actions run in order (internal/automation). Rules
// of a workspace are evaluated in position order (dense, 0..n-1).
type AutomationRule struct{ ent.Schema }

func (AutomationRule) Mixin() []ent.Mixin { return tenantMixins("AutomationRule") }

func (AutomationRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(255),
		field.Bool("enabled").Default(true),
		field.Int("position").Default(0).Annotations(entgql.OrderField("POSITION")),
		field.Enum("trigger").Values("CONVERSATION_CREATED", "MESSAGE_RECEIVED", "CONVERSATION_STATUS_CHANGED",
			"CONVERSATION_ASSIGNED", "CONVERSATION_IDLE", "CUSTOMER_UPDATED").
			Annotations(entgql.Type("AutomationTrigger")),
		field.Int("idle_minutes").Optional().Nillable().
			Comment("CONVERSATION_IDLE: minutes without a message"),
		field.JSON("conditions", schematype.RuleConditionGroup{}).
			Annotations(entgql.Type("AutomationConditionGroup")),
		field.JSON("actions", []schematype.RuleAction{}).
			Annotations(entgql.Type("[AutomationAction!]")),
		field.Bool("stop_processing").Default(false),
		field.Time("suspended_at").Optional().Nillable(),
		field.String("suspended_reason").Optional().MaxLen(1024),
	}
}

func (AutomationRule) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("runs", AutomationRuleRun.Type).Ref("rule").Annotations(entgql.Skip()),
	}
}

func (AutomationRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workspace_id", "position")}
}

// supervisorOnly: rules and their runs are read by supervisors and admins
// (agents do not see them); only admins change rules.
func supervisorOnly() schemaAnnotation {
	return entgql.QueryField().Directives(entgql.NewDirective("access",
		&ast.Argument{Name: "role", Value: &ast.Value{Raw: "SUPERVISOR", Kind: ast.EnumValue}}))
}

func (AutomationRule) Annotations() []schemaAnnotation {
	return []schemaAnnotation{supervisorOnly(), entgql.RelayConnection()}
}

// AutomationRuleRun records a rule applied to a conversation (or failing,
// suspended, skipped), once per triggering event: the unique key on
// (rule, event position, conversation) makes a replayed event a no-op.
type AutomationRuleRun struct{ ent.Schema }

func (AutomationRuleRun) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{typ: "AutomationRuleRun"}, workspaceMixin{}}
}

func (AutomationRuleRun) Fields() []ent.Field {
	return []ent.Field{
		field.String("rule_id").GoType(gid0).Immutable(),
		field.String("conversation_id").GoType(gid0).Immutable(),
		field.Int64("event_position").Immutable().Annotations(entgql.Skip()).
			Comment("the triggering event's position in the log; for CONVERSATION_IDLE minus the due time (unix seconds)"),
		field.Enum("outcome").Values("APPLIED", "FAILED", "SUSPENDED", "SKIPPED").Immutable().
			Annotations(entgql.Type("AutomationRuleRunOutcome")),
		field.JSON("changes", []string{}).Optional().Immutable().
			Comment("what the actions changed, for people"),
		field.String("error").Optional().MaxLen(1024).Immutable(),
		field.JSON("chain", []string{}).Optional().Immutable().Annotations(entgql.Skip()).
			Comment("the rules applied since the chain's root event, this one included"),
		field.Time("created_at").Default(now).Immutable().Annotations(entgql.OrderField("CREATED_AT")),
	}
}

func (AutomationRuleRun) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("rule", AutomationRule.Type).Field("rule_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("conversation", Conversation.Type).Field("conversation_id").Unique().Required().Immutable().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

func (AutomationRuleRun) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("rule_id", "event_position", "conversation_id").Unique(),
		index.Fields("conversation_id", "created_at"),
	}
}

func (AutomationRuleRun) Annotations() []schemaAnnotation {
	return []schemaAnnotation{supervisorOnly(), entgql.RelayConnection()}
}
