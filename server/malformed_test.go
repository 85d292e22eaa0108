package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/testenv"
)

// TestMalformedBodies: a body that is not one GraphQL request is answered
// 400 with INVALID_INPUT naming what is wrong, never INTERNAL, never after
// a recovered panic, and the log (kept at debug level) holds its size and
// the reason but nothing of the body: the password inside never appears.
func TestMalformedBodies(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	const password = "Hunter2-correct-horse"
	signIn := `"mutation { signIn(email: \"admin@example.com\", password: \"` + password + `\") { token } }"`
	for _, c := range []struct{ name, body, field string }{
		{"trailing comma", `{"query":` + signIn + `,}`, "body"},
		{"not JSON", `query=` + password, "body"},
		{"cut short", `{"query":` + signIn, "body"},
		{"batch", `[{"query":` + signIn + `}]`, "body"},
		{"query not a string", `{"query":1,"variables":{"p":"` + password + `"}}`, "query"},
		{"no query", `{"variables":{"p":"` + password + `"}}`, "query"},
		{"variables a string", `{"query":` + signIn + `,"variables":"` + password + `"}`, "variables"},
		{"variables a list", `{"query":` + signIn + `,"variables":["` + password + `"]}`, "variables"},
		{"operationName a number", `{"query":` + signIn + `,"operationName":7}`, "operationName"},
		{"extensions a string", `{"query":` + signIn + `,"extensions":"` + password + `"}`, "extensions"},
		{"two objects", `{"query":` + signIn + `}{"query":"{ __typename }"}`, "body"},
		{"empty", ``, "body"},
		{"a string", `"` + password + `"`, "body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.DoRaw(t, "", []byte(c.body))
			if r.Status != http.StatusBadRequest || len(r.Errors) != 1 || r.Errors[0].Code() != "INVALID_INPUT" ||
				r.Errors[0].Extensions["field"] != c.field {
				t.Fatalf("got %d %+v, want 400 INVALID_INPUT on %s", r.Status, r.Errors, c.field)
			}
		})
	}
	logs := s.Logs.String()
	if strings.Contains(logs, password) {
		t.Errorf("the password reached the log:\n%s", logs)
	}
	for _, bad := range []string{"panic", "level=ERROR"} {
		if strings.Contains(logs, bad) {
			t.Errorf("the log has %q:\n%s", bad, logs)
		}
	}
	if !strings.Contains(logs, `msg="graphql request refused"`) || !strings.Contains(logs, "request_id=") && !strings.Contains(logs, "size=") {
		t.Errorf("refusals are not logged with their size and reason:\n%s", logs)
	}
	// GET: malformed variables get the same answer.
	res, err := http.Get(s.URL + "/graphql?query=" + url.QueryEscape("{ __typename }") + "&variables=" + url.QueryEscape(`{"p":"`+password+`"`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("GET with broken variables: %d, want 400", res.StatusCode)
	}
	// A well-formed request still works.
	var ok struct {
		Typename string `json:"__typename"`
	}
	s.MustDo(t, "", `{ __typename }`, nil, &ok)
}

// TestUnstorableStrings: NUL characters and invalid UTF-8 in arguments or
// variables are INVALID_INPUT naming the field, on SQLite as on PostgreSQL
// (which cannot store NUL), and nothing is written.
func TestUnstorableStrings(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	count := func() int {
		var out struct{ Customers struct{ TotalCount int } }
		s.MustDo(t, admin, `{ customers { totalCount } }`, nil, &out)
		return out.Customers.TotalCount
	}
	before := count()
	for _, c := range []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"NUL in a variable", `mutation($n: String!) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": "Ann\x00"}, "n"},
		{"NUL in an input object variable", `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`,
			map[string]any{"i": map[string]any{"name": "Ann", "notes": "a\x00b"}}, "notes"},
		{"NUL in a literal", `mutation { createCustomer(input: {name: "Ann\u0000"}) { id } }`, nil, "name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, admin, c.query, c.vars)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "INVALID_INPUT" || r.Errors[0].Extensions["field"] != c.field {
				t.Fatalf("got %d %+v, want INVALID_INPUT on %s", r.Status, r.Errors, c.field)
			}
		})
	}
	if n := count(); n != before {
		t.Fatalf("%d customers after refused requests, want %d", n, before)
	}
}

// TestRequestDeadline: an HTTP operation still running at
// SWITCHBOARD_REQUEST_TIMEOUT (here: a database that stopped answering)
// stops, answers one error instead of one per field, changes nothing, and
// is logged once.
func TestRequestDeadline(t *testing.T) {
	// Long enough for the admin's sign-in (bcrypt) under -race on a loaded
	// machine; the stalled operations below wait for it in full.
	s := testenv.New(t, testenv.NoRouting, func(c *config.Config) { c.RequestTimeout = time.Second })
	admin := s.AdminToken(t)
	s.Faults.Stall.Store(true)
	r := s.Do(t, admin, `{ a: customers { totalCount } b: conversations { totalCount } c: agents { totalCount } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "INTERNAL" || !strings.Contains(r.Errors[0].Message, "longer than the server allows") {
		t.Fatalf("got %+v, want one error saying the operation ran too long", r.Errors)
	}
	r = s.Do(t, admin, `mutation { createCustomer(input: {name: "Late"}) { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "INTERNAL" {
		t.Fatalf("mutation past its deadline: %+v", r.Errors)
	}
	s.Faults.Stall.Store(false)
	n, err := s.App.Client.Customer.Query().Count(testenv.System(t.Context()))
	if err != nil || n != 0 {
		t.Fatalf("%d customers (%v) after a mutation past its deadline, want 0", n, err)
	}
	if got := strings.Count(s.Logs.String(), `msg="graphql operation stopped"`); got != 2 {
		t.Errorf("%d log lines for 2 stopped operations:\n%s", got, s.Logs.String())
	}
}

// TestTransactionFailures: a BEGIN or COMMIT that fails as a lost
// connection does reaches the client as INTERNAL with retryable: true and
// none of the driver's words, and the mutation changes nothing.
func TestTransactionFailures(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	for _, fault := range []string{"begin", "commit"} {
		t.Run(fault, func(t *testing.T) {
			f := &s.Faults.FailBegin
			if fault == "commit" {
				f = &s.Faults.FailCommit
			}
			f.Store(true)
			r := s.Do(t, admin, `mutation { createTag(input: {name: "vip"}) { id } }`, nil)
			f.Store(false)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "INTERNAL" || r.Errors[0].Extensions["retryable"] != true {
				t.Fatalf("got %+v, want one INTERNAL error with retryable: true", r.Errors)
			}
			for _, leak := range []string{"tcp", "10.0.0.5", "connection reset", "transaction"} {
				if strings.Contains(r.Errors[0].Message, leak) {
					t.Errorf("the client sees %q: %q", leak, r.Errors[0].Message)
				}
			}
			if len(r.Data) > 0 && string(r.Data) != "null" {
				t.Errorf("data %s from a failed transaction", r.Data)
			}
			var tags struct{ Tags struct{ TotalCount int } }
			s.MustDo(t, admin, `{ tags { totalCount } }`, nil, &tags)
			if tags.Tags.TotalCount != 0 {
				t.Fatalf("%d tags after a failed %s", tags.Tags.TotalCount, fault)
			}
		})
	}
	if !strings.Contains(s.Logs.String(), "connection reset") {
		t.Errorf("the cause is not logged:\n%s", s.Logs.String())
	}
}

// TestSubscriptionOverHTTP: a subscription sent as a plain POST is refused
// at once (422) instead of holding the request open until an event.
func TestSubscriptionOverHTTP(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting)
	admin := s.AdminToken(t)
	r := s.Do(t, admin, `subscription { conversationChanged { cursor } }`, nil)
	if r.Status != http.StatusUnprocessableEntity || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "websocket") {
		t.Fatalf("got %d %+v, want 422 pointing at the websocket", r.Status, r.Errors)
	}
}

// TestClientGoneStopsExecution: when the client hangs up, the operation
// stops at once (here: a database that stopped answering would otherwise
// hold it until the 1-hour deadline), and is logged once as canceled.
func TestClientGoneStopsExecution(t *testing.T) {
	s := testenv.New(t, testenv.NoRouting, func(c *config.Config) { c.RequestTimeout = time.Hour })
	admin := s.AdminToken(t)
	s.Faults.Stall.Store(true)
	defer s.Faults.Stall.Store(false)
	ctx, cancel := context.WithCancel(t.Context())
	started := s.Statements.Load()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql",
			strings.NewReader(`{"query":"{ customers { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	// Wait until the operation is stalled in the database, then hang up.
	testenv.Eventually(t, func() bool { return s.Statements.Load() > started+1 }, "the operation to reach the database")
	cancel()
	<-done
	testenv.Eventually(t, func() bool {
		return strings.Contains(s.Logs.String(), `msg="graphql operation stopped" operation="" reason="context canceled"`)
	}, "the operation to stop")
}
