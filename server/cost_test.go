package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/graph"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/testenv"
)

// costPayloads are documents an attacker sends to exhaust a server, with
// the refusal each must get.
func costPayloads() []struct {
	name, query, code, measure string
	limit, value               int
} {
	d := graph.DefaultLimits()
	// Fragments spreading the next one twice: 2^12 copies of the last
	// fragment's field from a document of 30 lines.
	var bomb strings.Builder
	bomb.WriteString("{ ...F0 }\n")
	for i := range 12 {
		fmt.Fprintf(&bomb, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	bomb.WriteString("fragment F12 on Query { __typename }\n")
	deep := "__typename"
	for range 6 {
		deep = fmt.Sprintf("node(id: \"x\") { ... on Conversation { customer { %s } } }", deep)
	}
	return []struct {
		name, query, code, measure string
		limit, value               int
	}{
		{"20,000 repeated fields", "{ " + strings.Repeat("__typename ", 20_000) + "}", graph.CodeQueryTooLarge, "tokens", d.MaxTokens, 20_002},
		{"repeated fields under the token limit", "{ " + strings.Repeat("__typename ", 5_000) + "}", graph.CodeQueryTooLarge, "fields", d.MaxFields, 5_000},
		{"aliases of __schema", "{ " + aliases("__schema { queryType { name } }", 200) + " }", graph.CodeQueryTooLarge, "aliases", d.MaxAliases, 200},
		{"ten introspections", "{ " + aliases("__schema { types { name fields { name } } }", 10) + " }", graph.CodeQueryTooLarge, "introspection", d.MaxIntrospection, 10},
		{"fragment bomb", bomb.String(), graph.CodeQueryTooLarge, "fields", d.MaxFields, 4096},
		{"13 levels deep", "{ " + deep + " }", graph.CodeQueryTooDeep, "depth", d.MaxDepth, 13},
	}
}

func aliases(field string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: %s ", i, field)
	}
	return b.String()
}

// TestCostRefusedBeforeValidation: documents too large or too deep are
// refused with HTTP 422, their code, limit and value, before gqlparser
// validates them (the validation counter does not move) and before any
// resolver runs, with or without credentials.
func TestCostRefusedBeforeValidation(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	c := s.App.GraphQL
	for _, p := range costPayloads() {
		for _, tok := range []string{"", admin} {
			t.Run(p.name, func(t *testing.T) {
				validations, fields := c.Validations.Load(), c.RootFields.Load()
				r := s.Do(t, tok, p.query, nil)
				if r.Status != http.StatusUnprocessableEntity || len(r.Errors) != 1 || r.Errors[0].Code() != p.code {
					t.Fatalf("got %d %+v, want 422 %s", r.Status, r.Errors, p.code)
				}
				ext := r.Errors[0].Extensions
				if ext["measure"] != p.measure || ext["limit"] != float64(p.limit) || ext["value"] != float64(p.value) {
					t.Errorf("extensions %v, want measure %s limit %d value %d", ext, p.measure, p.limit, p.value)
				}
				if n := c.Validations.Load() - validations; n != 0 {
					t.Errorf("%d validations ran for a refused document", n)
				}
				if n := c.RootFields.Load() - fields; n != 0 {
					t.Errorf("%d root fields ran for a refused document", n)
				}
			})
		}
	}
}

// TestComplexityRefusedBeforeExecution: nested connections multiply; an
// operation over the budget is refused with 422 COMPLEXITY_LIMIT_EXCEEDED
// after validation but before any resolver or SQL statement runs, for any
// caller who may read (an agent, a READ token).
func TestComplexityRefusedBeforeExecution(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	_, agent := newAgent(t, s, admin, "ann@example.com", "AGENT")
	reader := newAPIToken(t, s, admin, "READ")
	// Twelve levels deep: within the depth limit.
	query := "{ conversations(first: 100) { edges { node { customer { conversations(first: 100) { edges { node { customer {" +
		" conversations(first: 100) { edges { node { id } } } } } } } } } } } }"
	c := s.App.GraphQL
	for _, tok := range []string{agent, reader} {
		// What authenticating the caller costs, measured on a request that
		// reads nothing.
		before := s.Statements.Load()
		s.MustDo(t, tok, `{ __typename }`, nil, nil)
		auth := s.Statements.Load() - before
		fields, statements := c.RootFields.Load(), s.Statements.Load()
		r := s.Do(t, tok, query, nil)
		if r.Status != http.StatusUnprocessableEntity || len(r.Errors) != 1 || r.Errors[0].Code() != graph.CodeComplexityExceeded {
			t.Fatalf("got %d %+v, want 422 %s", r.Status, r.Errors, graph.CodeComplexityExceeded)
		}
		ext := r.Errors[0].Extensions
		if ext["limit"] != float64(graph.DefaultLimits().MaxComplexity) || ext["value"].(float64) < 1e6 {
			t.Errorf("extensions %v, want the limit and a value over a million", ext)
		}
		if n := c.RootFields.Load() - fields; n != 0 {
			t.Errorf("%d root fields ran for a refused operation", n)
		}
		if n := s.Statements.Load() - statements; n > auth {
			t.Errorf("%d SQL statements ran for a refused operation (token %.8s)", n, tok)
		}
	}
	// One level of nesting at the largest page fits the budget.
	one := "{ conversations(first: 100) { edges { node { id customer { conversations(first: 50) { edges { node { id } } } } } } } }"
	if r := s.Do(t, agent, one, nil); r.Status != http.StatusOK || len(r.Errors) != 0 {
		t.Fatalf("a nested page within the budget: %d %+v", r.Status, r.Errors)
	}
}

// TestIntrospectionCanBeTurnedOff: SWITCHBOARD_INTROSPECTION=false refuses
// __schema and __type, also inside fragments, and keeps __typename.
func TestIntrospectionCanBeTurnedOff(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting, func(c *config.Config) { c.IntrospectionOff = true })
	for _, q := range []string{
		`{ __schema { queryType { name } } }`,
		`{ __type(name: "Query") { name } }`,
		`{ ...F } fragment F on Query { __schema { types { name } } }`,
	} {
		r := s.Do(t, "", q, nil)
		if r.Status != http.StatusUnprocessableEntity || len(r.Errors) != 1 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" ||
			!strings.Contains(r.Errors[0].Message, "introspection is disabled") {
			t.Errorf("%s: got %d %+v, want 422 introspection is disabled", q, r.Status, r.Errors)
		}
	}
	var out struct {
		Typename string `json:"__typename"`
	}
	s.MustDo(t, "", `{ __typename }`, nil, &out)
	if out.Typename != "Query" {
		t.Fatalf("__typename = %q", out.Typename)
	}
	// On by default.
	on := testenv.New(t, testenv.NoRouting)
	if r := on.Do(t, "", `{ __schema { queryType { name } } }`, nil); len(r.Errors) != 0 {
		t.Fatalf("introspection on by default: %+v", r.Errors)
	}
}

// BenchmarkRefusal reports the server time of each refusal (the client and
// server share the process: ns/op is one request's round trip).
func BenchmarkRefusal(b *testing.B) {
	s := testenv.New(b, testenv.NoRouting)
	admin := s.AdminToken(b)
	payloads := costPayloads()
	payloads = append(payloads, struct {
		name, query, code, measure string
		limit, value               int
	}{name: "nested connections", query: "{ conversations(first: 100) { edges { node { customer { conversations(first: 100) { edges { node { customer { conversations(first: 100) { edges { node { id } } } } } } } } } } } }"})
	// The reference: the smallest operation there is, answered.
	b.Run("reference_{__typename}", func(b *testing.B) {
		body := []byte(`{"query": "{ __typename }"}`)
		for b.Loop() {
			if r := s.DoRaw(b, admin, body); r.Status != http.StatusOK {
				b.Fatalf("status %d %+v", r.Status, r.Errors)
			}
		}
	})
	for _, p := range payloads {
		b.Run(strings.ReplaceAll(p.name, " ", "_"), func(b *testing.B) {
			body := []byte(fmt.Sprintf(`{"query": %q}`, p.query))
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if r := s.DoRaw(b, admin, body); r.Status != http.StatusUnprocessableEntity {
					b.Fatalf("status %d %+v", r.Status, r.Errors)
				}
			}
		})
	}
}
