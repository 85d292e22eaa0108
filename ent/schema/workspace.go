package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

func now() time.Time { return time.Now().UTC() }

// Workspace is one business using Switchboard: every other row belongs to one.
type Workspace struct{ ent.Schema }

func (Workspace) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{typ: "Workspace"}, timeMixin{}}
}

func (Workspace) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(255),
		field.String("slug").NotEmpty().MaxLen(64).Match(slugPattern),
		field.String("timezone").Default("UTC").MaxLen(64).Validate(validTimezone),
		field.String("default_phone_region").Default("US").MaxLen(2).MinLen(2).
			Comment("ISO 3166 region used to read national phone numbers"),
		field.Strings("allowed_file_types").Optional().
			Comment(`content types files may have ("image/*" for a family); empty for the default list`),
	}
}

func (Workspace) Indexes() []ent.Index {
	return []ent.Index{index.Fields("slug").Unique()}
}

func (Workspace) Policy() ent.Policy { return workspacePolicy() }

func (Workspace) Annotations() []schemaAnnotation {
	return []schemaAnnotation{entgql.Mutations(entgql.MutationUpdate())}
}
