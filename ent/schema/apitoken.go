package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/vektah/gqlparser/v2/ast"
)

// ApiToken lets an integrator call the API. Only a hash of its secret is kept.
type ApiToken struct{ ent.Schema }

func (ApiToken) Mixin() []ent.Mixin { return tenantMixins("ApiToken") }

func (ApiToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255).Annotations(entgql.OrderField("NAME")),
		field.String("token_hash").Sensitive().Immutable().
			Comment("hex SHA-256 of the secret").
			Annotations(entgql.Skip()),
		field.String("token_prefix").Immutable().
			Comment("the first characters of the secret, to recognise it"),
		field.Strings("scopes").
			Annotations(entgql.Type("[ApiTokenScope!]")),
		field.String("created_by_id").GoType(gid0).Optional().Nillable().Immutable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

func (ApiToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("created_by", Agent.Type).Field("created_by_id").Unique().Immutable(),
	}
}

func (ApiToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token_hash").Unique()}
}

func (ApiToken) Annotations() []schemaAnnotation {
	return []schemaAnnotation{
		entgql.RelayConnection(),
		entgql.QueryField().Directives(entgql.NewDirective("access",
			&ast.Argument{Name: "role", Value: &ast.Value{Raw: "ADMIN", Kind: ast.EnumValue}})),
	}
}
