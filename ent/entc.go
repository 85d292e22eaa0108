//go:build ignore

// entc generates the ent data layer and, through entgql, the GraphQL schema
// of the entities (schema/ent.graphql). Run by `go generate ./...` from the
// repository root, before gqlgen.
package main

import (
	"fmt"
	"log"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	if err := countAllRows(); err != nil {
		log.Fatalf("entgql: %v", err)
	}
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("schema/ent.graphql"),
		entgql.WithConfigPath("gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithNodeDescriptor(false),
	)
	if err != nil {
		log.Fatalf("entgql: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Target:  "./ent",
		Package: "github.com/switchboard/switchboard/ent",
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureIntercept,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureNamedEdges,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("entc: %v", err)
	}
}

// countAllRows makes a connection's totalCount `SELECT COUNT(*)` instead of
// entgql's `COUNT(table.id)`: PostgreSQL answers COUNT(*) from the index of
// the filter (an index-only scan), while COUNT(id) reads the table for
// the id column. It rewrites entgql's own pagination helper, so entgql
// upgrades carry over, and fails if the helper no longer reads as expected.
func countAllRows() error {
	const name = "gql_pagination/helper/paginate"
	const from, to = "c.Count(ctx)", "c.Aggregate(Count()).Int(ctx)"
	t := entgql.PaginationTemplate.Lookup(name)
	if t == nil || t.Tree == nil {
		return fmt.Errorf("template %q not found", name)
	}
	text := t.Tree.Root.String()
	if n := strings.Count(text, from); n != 1 {
		return fmt.Errorf("template %q: %d occurrences of %q, want 1", name, n, from)
	}
	text = strings.Replace(text, from, to, 1)
	_, err := entgql.PaginationTemplate.Parse(`{{ define "` + name + `" }}` + text + `{{ end }}`)
	return err
}
