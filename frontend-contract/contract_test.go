package contract

import (
	"bytes"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The tests run in frontend-contract/, so the repository root is "..".
const root = ".."

// TestOperationsAreValid validates every operation file against the server's
// schema (../schema/*.graphql and *.graphqls).
func TestOperationsAreValid(t *testing.T) {
	schema, err := LoadSchema(root)
	if err != nil {
		t.Fatalf("loading the schema: %v", err)
	}
	sources, err := ReadOperations(root)
	if err != nil {
		t.Fatal(err)
	}
	_, errs := ParseOperations(schema, sources)
	byFile := map[string][]error{}
	for _, err := range errs {
		file, _ := err.Extensions["file"].(string)
		byFile[file] = append(byFile[file], err)
	}
	for _, src := range sources {
		t.Run(path.Base(src.Name), func(t *testing.T) {
			for _, err := range byFile[src.Name] {
				t.Error(err)
			}
		})
		delete(byFile, src.Name)
	}
	for _, errs := range byFile {
		for _, err := range errs {
			t.Error(err)
		}
	}
}

// TestGeneratedFilesAreUpToDate fails when schema.graphql or types.ts differ
// from what the generator makes of the current schema and operations.
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	files, err := Generate(root)
	if err != nil {
		t.Fatalf("generating the frontend contract: %v", err)
	}
	for _, f := range files {
		have, err := os.ReadFile(f.Name)
		if err != nil {
			t.Errorf("frontend-contract/%s: %v\nRun `go generate ./...` at the repository root.", f.Name, err)
			continue
		}
		if !bytes.Equal(have, f.Content) {
			line, got, want := firstDifference(have, f.Content)
			t.Errorf("frontend-contract/%s is out of date with the schema or the operations "+
				"(line %d is %q, should be %q).\nRun `go generate ./...` at the repository root "+
				"(or `go generate ./frontend-contract/...`) and commit the result.", f.Name, line, got, want)
		}
	}
}

func firstDifference(have, want []byte) (line int, got, expected string) {
	h, w := strings.Split(string(have), "\n"), strings.Split(string(want), "\n")
	for i := 0; ; i++ {
		if i >= len(h) || i >= len(w) || h[i] != w[i] {
			return i + 1, at(h, i), at(w, i)
		}
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}

// TestBrokenOperationNamesFile shows that a broken operation is reported with
// its file, line and the validator's message.
func TestBrokenOperationNamesFile(t *testing.T) {
	schema, err := LoadSchema(root)
	if err != nil {
		t.Fatal(err)
	}
	broken := &ast.Source{Name: OperationsDir + "/broken.graphql", Input: "query Broken {\n  viewer { nickname }\n}\n"}
	_, errs := ParseOperations(schema, []*ast.Source{broken})
	if len(errs) == 0 {
		t.Fatal("an operation selecting an unknown field was accepted")
	}
	want := "frontend-contract/operations/broken.graphql:2:12: Cannot query field \"nickname\" on type \"Agent\"."
	if got := errs[0].Error(); !strings.HasPrefix(got, want) {
		t.Errorf("error is %q, want it to start with %q", got, want)
	}
}

// TestSchemaSnapshotParses checks that schema.graphql is valid SDL that
// prints back to itself.
func TestSchemaSnapshotParses(t *testing.T) {
	schema, err := LoadSchema(root)
	if err != nil {
		t.Fatal(err)
	}
	printed := PrintSchema(schema)
	reparsed, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(printed)})
	if err != nil {
		t.Fatalf("the snapshot does not parse: %v", err)
	}
	if again := PrintSchema(reparsed); !bytes.Equal(again, printed) {
		line, got, want := firstDifference(again, printed)
		t.Errorf("the snapshot does not print back to itself: line %d is %q, was %q", line, got, want)
	}
}

// TestTypeScriptShapes covers what the current operations do not use:
// aliases, @include, and a union of an interface's possible types.
func TestTypeScriptShapes(t *testing.T) {
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: `
		interface Node { id: ID! }
		type User implements Node { id: ID! name: String }
		type Bot implements Node { id: ID! }
		type Query { node(id: ID!): Node, me: User! }`})
	if err != nil {
		t.Fatal(err)
	}
	doc, errs := ParseOperations(schema, []*ast.Source{{Name: "test.graphql", Input: `
		query Q($id: ID!, $withName: Boolean = false) {
			node(id: $id) { __typename id ... on User { name @include(if: $withName) } }
			me { who: name }
		}`}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ts, err := TypeScript(schema, doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `export type QQuery = {
  node: {
    __typename: "Bot";
    id: string;
  } | {
    __typename: "User";
    id: string;
    name?: string | null;
  } | null;
  me: {
    who: string | null;
  };
};
export type QVariables = {
  id: string;
  withName?: boolean | null;
};
`
	if !strings.HasSuffix(string(ts), want) {
		t.Errorf("types.ts ends with\n%s\nwant\n%s", ts[bytes.LastIndex(ts, []byte("\n\n"))+2:], want)
	}
}
