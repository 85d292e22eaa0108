package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Tag labels conversations and customers.
type Tag struct{ ent.Schema }

func (Tag) Mixin() []ent.Mixin { return tenantMixins("Tag") }

func (Tag) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(255).Annotations(entgql.OrderField("NAME")),
		field.String("color").Default("#6b7280").Match(colorPattern),
	}
}

func (Tag) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workspace_id", "name").Unique()}
}

func (Tag) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.QueryField(), entgql.RelayConnection(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}
