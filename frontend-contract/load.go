package contract

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Paths relative to the repository root. Sources are named by these paths,
// so errors point at the file to fix.
const (
	SchemaDir     = "schema"
	OperationsDir = "frontend-contract/operations"
)

// schemaGlobs are gqlgen.yml's schema globs, in the same order.
var schemaGlobs = []string{"*.graphql", "*.graphqls"}

// codegenDirectives configure gqlgen's Go code generation; they are not part
// of the contract clients see, so they are left out of it.
var codegenDirectives = []string{"goModel", "goField", "goTag", "goExtraField", "goEnum"}

// LoadSchema reads and validates the server's schema from root/schema, as
// gqlgen does, and drops gqlgen's code generation directives.
func LoadSchema(root string) (*ast.Schema, error) {
	var sources []*ast.Source
	for _, glob := range schemaGlobs {
		found, err := readSources(root, filepath.Join(SchemaDir, glob))
		if err != nil {
			return nil, err
		}
		sources = append(sources, found...)
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("no schema files in %s", filepath.Join(root, SchemaDir))
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		return nil, err
	}
	stripDirectives(schema, codegenDirectives...)
	return schema, nil
}

// ReadOperations reads root/frontend-contract/operations/*.graphql.
func ReadOperations(root string) ([]*ast.Source, error) {
	sources, err := readSources(root, filepath.Join(OperationsDir, "*.graphql"))
	if err == nil && len(sources) == 0 {
		err = fmt.Errorf("no operation files in %s", filepath.Join(root, OperationsDir))
	}
	return sources, err
}

// ParseOperations parses the operation files and validates them against the
// schema as one document, so a file may use fragments defined in another.
// Each error names its file, line and column.
func ParseOperations(schema *ast.Schema, sources []*ast.Source) (*ast.QueryDocument, gqlerror.List) {
	doc := &ast.QueryDocument{}
	var errs gqlerror.List
	for _, src := range sources {
		part, err := parser.ParseQuery(src)
		if err != nil {
			errs = append(errs, asGQLError(err, src.Name))
			continue
		}
		doc.Operations = append(doc.Operations, part.Operations...)
		doc.Fragments = append(doc.Fragments, part.Fragments...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if errs := validator.ValidateWithRules(schema, doc, nil); len(errs) > 0 {
		return nil, dedupe(errs)
	}
	return doc, nil
}

// dedupe drops repeated errors: the validator reports an error in a fragment
// once for every operation that spreads it.
func dedupe(errs gqlerror.List) gqlerror.List {
	seen := map[string]bool{}
	var out gqlerror.List
	for _, err := range errs {
		if msg := err.Error(); !seen[msg] {
			seen[msg] = true
			out = append(out, err)
		}
	}
	return out
}

func readSources(root, pattern string) ([]*ast.Source, error) {
	paths, err := filepath.Glob(filepath.Join(root, pattern))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var sources []*ast.Source
	for _, path := range paths {
		input, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		name := filepath.ToSlash(filepath.Join(filepath.Dir(pattern), filepath.Base(path)))
		sources = append(sources, &ast.Source{Name: name, Input: string(input)})
	}
	return sources, nil
}

func asGQLError(err error, file string) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	if !errors.As(err, &gqlErr) {
		gqlErr = gqlerror.Wrap(err)
	}
	if gqlErr.Extensions["file"] == nil {
		gqlErr.SetFile(file)
	}
	return gqlErr
}

// stripDirectives removes the named directives' definitions and every use of
// them on types, fields, arguments and enum values.
func stripDirectives(schema *ast.Schema, names ...string) {
	drop := func(list ast.DirectiveList) ast.DirectiveList {
		return slices.DeleteFunc(list, func(d *ast.Directive) bool {
			return slices.Contains(names, d.Name)
		})
	}
	for _, name := range names {
		delete(schema.Directives, name)
	}
	for _, def := range schema.Types {
		def.Directives = drop(def.Directives)
		for _, f := range def.Fields {
			f.Directives = drop(f.Directives)
			for _, arg := range f.Arguments {
				arg.Directives = drop(arg.Directives)
			}
		}
		for _, v := range def.EnumValues {
			v.Directives = drop(v.Directives)
		}
	}
}
