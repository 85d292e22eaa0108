package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Tag labels conversations and customers.
type Tag struct{ ent.Schema }

func (Tag) Mixin() []ent.Mixin { return tenantMixins("Tag") }

func (Tag) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).Annotations(entgql.OrderField("NAME")),
		field.String("color").Default("#6b7280").Match(colorPattern),
	}
}

// Tags are many-to-many with conversations and customers: the inverse edges
// make ent build join tables (a bare edge.To would be one-to-many).
func (Tag) Edges() []ent.Edge {
	skip := entgql.Skip(entgql.SkipAll)
	return []ent.Edge{
		edge.From("conversations", Conversation.Type).Ref("tags").Annotations(skip),
		edge.From("customers", Customer.Type).Ref("tags").Annotations(skip),
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
