package contract

import (
	"errors"
	"fmt"
)

// File is a generated file, named relative to frontend-contract/.
type File struct {
	Name    string
	Content []byte
}

// Generate loads the schema and the operations from the repository at root
// and returns schema.graphql and types.ts.
func Generate(root string) ([]File, error) {
	schema, err := LoadSchema(root)
	if err != nil {
		return nil, fmt.Errorf("loading the schema: %w", err)
	}
	sources, err := ReadOperations(root)
	if err != nil {
		return nil, err
	}
	doc, errs := ParseOperations(schema, sources)
	if len(errs) > 0 {
		return nil, errors.Join(errors.New("invalid operations"), errs)
	}
	ts, err := TypeScript(schema, doc)
	if err != nil {
		return nil, err
	}
	return []File{
		{Name: "schema.graphql", Content: PrintSchema(schema)},
		{Name: "types.ts", Content: ts},
	}, nil
}
