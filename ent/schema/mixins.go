package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"

	"github.com/switchboard/switchboard/internal/gid"
)

// idMixin gives an entity a typed global id (see internal/gid).
type idMixin struct {
	mixin.Schema
	typ string
}

func (m idMixin) Fields() []ent.Field {
	typ := m.typ
	return []ent.Field{
		field.String("id").
			GoType(gid.ID("")).
			DefaultFunc(func() gid.ID { return gid.New(typ) }).
			Immutable().
			Annotations(entgql.OrderField("ID")),
	}
}

// timeMixin records when a row was created and last updated.
type timeMixin struct{ mixin.Schema }

func (timeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("updated_at").Default(now).UpdateDefault(now).
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// workspaceMixin puts an entity inside a workspace. The workspace is stamped
// by the tenant hook and every query and mutation is filtered by it (see
// tenant.go); it is never part of the API's inputs.
type workspaceMixin struct{ mixin.Schema }

func (workspaceMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("workspace_id").GoType(gid.ID("")).Immutable().
			Annotations(entgql.Skip()),
	}
}

func (workspaceMixin) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("workspace", Workspace.Type).Field("workspace_id").Unique().Required().Immutable().
			Annotations(entgql.Skip()),
	}
}

func (workspaceMixin) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workspace_id")}
}

func (workspaceMixin) Policy() ent.Policy { return tenantPolicy() }

func (workspaceMixin) Hooks() []ent.Hook { return []ent.Hook{tenantHook} }

// Mixins for an entity of the given type that lives in a workspace.
func tenantMixins(typ string) []ent.Mixin {
	return []ent.Mixin{idMixin{typ: typ}, timeMixin{}, workspaceMixin{}}
}
