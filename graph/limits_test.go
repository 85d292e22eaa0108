package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/complexity"

	contract "github.com/switchboard/switchboard/frontend-contract"
	"github.com/switchboard/switchboard/graph/generated"
)

// TestContractOperationsWithinLimits runs every operation of the frontend
// contract against the default limits, with every Int variable (the page
// sizes) at the largest page, and asks for room: each measure at most half
// its limit, the depth two levels below it.
func TestContractOperationsWithinLimits(t *testing.T) {
	es := costModel{generated.NewExecutableSchema(generated.Config{})}
	sources, err := contract.ReadOperations("..")
	if err != nil {
		t.Fatal(err)
	}
	doc, errs := contract.ParseOperations(es.Schema(), sources)
	if len(errs) > 0 {
		t.Fatalf("the contract does not validate against the server's schema: %v", errs)
	}
	limits := DefaultLimits()
	var most docMeasure
	mostComplexity := 0
	for _, op := range doc.Operations {
		m := &measurer{doc: doc, frags: map[string]*fragMeasure{}}
		got := m.set(op.SelectionSet)
		vars := map[string]any{}
		for _, v := range op.VariableDefinitions {
			if v.Type.Name() == "Int" {
				vars[v.Variable] = int64(MaxPageSize)
			}
		}
		cost := complexity.Calculate(context.Background(), es, op, vars)
		t.Logf("%-28s fields=%3d aliases=%d depth=%2d complexity=%6d", op.Name, got.fields, got.aliases, got.depth, cost)
		if got.fields > limits.MaxFields/2 || got.aliases > limits.MaxAliases/2 || got.depth > limits.MaxDepth-2 || cost > limits.MaxComplexity/2 {
			t.Errorf("%s leaves too little room under the default limits (%+v): fields %d, aliases %d, depth %d, complexity %d",
				op.Name, limits, got.fields, got.aliases, got.depth, cost)
		}
		most.fields, most.aliases, most.depth = max(most.fields, got.fields), max(most.aliases, got.aliases), max(most.depth, got.depth)
		mostComplexity = max(mostComplexity, cost)
	}
	t.Logf("largest: fields=%d aliases=%d depth=%d complexity=%d", most.fields, most.aliases, most.depth, mostComplexity)
}
