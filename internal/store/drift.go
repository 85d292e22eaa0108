package store

import (
	"context"
	"fmt"
	"strings"

	atlasschema "ariga.io/atlas/sql/schema"
	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/migrate"
)

// Drift lists how the database's schema differs from the ent schema this
// binary was built with (empty when it matches), changing nothing. After
// Migrate it is empty unless the migrations are missing one (which
// `go run ./ent/migrate/gen -check` catches in CI) or someone changed the
// database by hand.
func (d *DB) Drift(ctx context.Context) ([]string, error) {
	var found []string
	record := func(next entschema.Differ) entschema.Differ {
		return entschema.DiffFunc(func(current, desired *atlasschema.Schema) ([]atlasschema.Change, error) {
			changes, err := next.Diff(current, desired)
			if err != nil {
				return nil, err
			}
			for _, c := range changes {
				found = append(found, describeChange(c)...)
			}
			return nil, nil // apply nothing
		})
	}
	c := ent.NewClient(ent.Driver(d.Driver))
	err := c.Schema.Create(ctx,
		migrate.WithForeignKeys(true), migrate.WithDropColumn(true), migrate.WithDropIndex(true),
		entschema.WithDiffHook(record))
	if err != nil {
		return nil, fmt.Errorf("store: compare schema: %w", err)
	}
	return found, nil
}

func describeChange(c atlasschema.Change) []string {
	switch c := c.(type) {
	case *atlasschema.AddTable:
		return []string{"missing table " + c.T.Name}
	case *atlasschema.DropTable:
		return []string{"extra table " + c.T.Name}
	case *atlasschema.ModifyTable:
		var out []string
		for _, tc := range c.Changes {
			out = append(out, c.T.Name+": "+describeTableChange(tc))
		}
		return out
	}
	return []string{fmt.Sprintf("%T", c)}
}

func describeTableChange(c atlasschema.Change) string {
	switch c := c.(type) {
	case *atlasschema.AddColumn:
		return "missing column " + c.C.Name
	case *atlasschema.DropColumn:
		return "extra column " + c.C.Name
	case *atlasschema.ModifyColumn:
		return "column " + c.To.Name + " differs"
	case *atlasschema.AddIndex:
		return "missing index " + c.I.Name
	case *atlasschema.DropIndex:
		return "extra index " + c.I.Name
	case *atlasschema.ModifyIndex:
		return "index " + c.To.Name + " differs"
	case *atlasschema.AddForeignKey:
		return "missing foreign key " + c.F.Symbol
	case *atlasschema.DropForeignKey:
		return "extra foreign key " + c.F.Symbol
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", c), "*schema.")
}
