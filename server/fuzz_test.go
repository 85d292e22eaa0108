package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// FuzzGraphQLRequest sends documents and variables through the whole HTTP
// path (body checks, cost limits, parsing, validation, execution) as an
// anonymous caller and as an admin. Whatever arrives, the answer is a
// GraphQL JSON response with a 200, 400, 413 or 422 status, no error is
// INTERNAL, and nothing panics. CI runs it briefly (.ci/run).
func FuzzGraphQLRequest(f *testing.F) {
	for _, seed := range []struct{ query, vars string }{
		{`{ __typename }`, `{}`},
		{`query($f: Int) { conversations(first: $f) { totalCount edges { node { id } } } }`, `{"f": 5}`},
		{`mutation($n: String!) { createCustomer(input: {name: $n}) { id name } }`, `{"n": "Ann"}`},
		{`{ node(id: "cnv_x") { id ... on Conversation { messages(last: 2) { edges { node { body } } } } } }`, `null`},
		{`{ ...F } fragment F on Query { viewer { id } }`, `{"x": [1, "\u0000"]}`},
		{`{ __schema { types { name } } }`, `{}`},
		{`subscription { messageAdded { cursor } }`, `{}`},
		{`{ customers(search: "x", first: 101) { totalCount } }`, `{}`},
	} {
		f.Add(seed.query, seed.vars)
	}
	s := testenv.New(f, testenv.NoRouting)
	admin := s.AdminToken(f)
	f.Fuzz(func(t *testing.T, query, vars string) {
		body, err := json.Marshal(map[string]any{"query": query, "variables": json.RawMessage(vars)})
		if err != nil {
			body, _ = json.Marshal(map[string]any{"query": query})
		}
		for _, tok := range []string{"", admin} {
			req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			rec := httptest.NewRecorder()
			s.App.Handler.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			default:
				t.Fatalf("status %d for %q %q: %s", rec.Code, query, vars, rec.Body)
			}
			var resp struct {
				Errors []struct {
					Extensions map[string]any `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("not JSON (%v) for %q %q: %s", err, query, vars, rec.Body)
			}
			for _, e := range resp.Errors {
				if e.Extensions["code"] == "INTERNAL" {
					t.Fatalf("INTERNAL for %q %q: %s", query, vars, rec.Body)
				}
			}
		}
		if logs := s.Logs.String(); strings.Contains(logs, "panic") || strings.Contains(logs, "level=ERROR") {
			t.Fatalf("the server logged an error or a panic for %q %q:\n%s", query, vars, logs)
		}
	})
}
