package server_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/testenv"
)

// automationEnv is a server with a relay channel (real webhook
// deliveries) for automation rule tests.
type automationEnv struct {
	s       *testenv.Server
	tok     string
	webhook string
	n       int
}

func newAutomationEnv(t *testing.T, opts ...testenv.Option) *automationEnv {
	t.Helper()
	s := testenv.NewWithChannels(t, []channels.Adapter{relay{}}, opts...)
	tok := s.AdminToken(t)
	return &automationEnv{s: s, tok: tok, webhook: relayChannel(t, s, tok, "relay", "Relay")}
}

// message delivers a customer's message through the webhook.
func (e *automationEnv) message(t *testing.T, from, text string) {
	t.Helper()
	e.n++
	code, body := postRelay(t, e.webhook, url.Values{"id": {fmt.Sprintf("m-%d", e.n)}, "from": {from}, "name": {"Cy " + from}, "text": {text}})
	if code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
}

func (e *automationEnv) tag(t *testing.T, name string) string {
	t.Helper()
	var out struct{ CreateTag struct{ ID string } }
	e.s.MustDo(t, e.tok, `mutation($n: String!) { createTag(input: {name: $n}) { id } }`, map[string]any{"n": name}, &out)
	return out.CreateTag.ID
}

func (e *automationEnv) rule(t *testing.T, in map[string]any) string {
	t.Helper()
	var out struct{ CreateAutomationRule struct{ ID string } }
	e.s.MustDo(t, e.tok, `mutation($in: CreateAutomationRuleInput!) { createAutomationRule(input: $in) { id } }`, map[string]any{"in": in}, &out)
	return out.CreateAutomationRule.ID
}

// conversation is the only conversation of a sender.
func (e *automationEnv) conversation(t *testing.T) string {
	t.Helper()
	var out struct {
		Conversations struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	testenv.Eventually(t, func() bool {
		e.s.MustDo(t, e.tok, `{ conversations(first: 5) { edges { node { id } } } }`, nil, &out)
		return len(out.Conversations.Edges) == 1
	}, "the conversation")
	return out.Conversations.Edges[0].Node.ID
}

type ruleStep struct {
	ActivityKind string
	Note         *string
	RuleID       *string
}

type convState struct {
	Priority string
	Tags     []struct{ ID string }
	Messages struct {
		Edges []struct{ Node struct{ Body string } }
	}
	Customer struct {
		ID       string
		Timeline struct{ Edges []struct{ Node ruleStep } }
	}
}

func (e *automationEnv) state(t *testing.T, conv string) convState {
	t.Helper()
	var out struct{ Node convState }
	e.s.MustDo(t, e.tok, `query($c: ID!) { node(id: $c) { ... on Conversation { priority tags { id }
		messages(first: 50) { edges { node { body } } }
		customer { id timeline(first: 100) { edges { node { ... on ConversationActivity { activityKind note ruleID } } } } } } } }`,
		map[string]any{"c": conv}, &out)
	return out.Node
}

// applied counts RULE_APPLIED steps of a rule on the conversation's timeline.
func (st convState) applied(rule string) int {
	n := 0
	for _, e := range st.Customer.Timeline.Edges {
		if e.Node.ActivityKind == "RULE_APPLIED" && e.Node.RuleID != nil && *e.Node.RuleID == rule {
			n++
		}
	}
	return n
}

func (st convState) hasTag(id string) bool {
	return slices.ContainsFunc(st.Tags, func(t struct{ ID string }) bool { return t.ID == id })
}

func (e *automationEnv) runs(t *testing.T, rule string) []string {
	t.Helper()
	var out struct {
		AutomationRuleRuns struct {
			Edges []struct{ Node struct{ Outcome string } }
		}
	}
	e.s.MustDo(t, e.tok, `query($r: ID!) { automationRuleRuns(first: 100, where: {ruleID: $r}) { edges { node { outcome } } } }`,
		map[string]any{"r": rule}, &out)
	var o []string
	for _, e := range out.AutomationRuleRuns.Edges {
		o = append(o, e.Node.Outcome)
	}
	return o
}

// TestAutomationRules: a matching rule's actions show on the timeline
// (RULE_APPLIED), stopProcessing ends the chain, moving a rule changes the
// order, and a replayed event log applies nothing twice.
func TestAutomationRules(t *testing.T) {
	e := newAutomationEnv(t)
	refund, other := e.tag(t, "refund"), e.tag(t, "other")
	a := e.rule(t, map[string]any{
		"name": "Refunds", "trigger": "MESSAGE_RECEIVED", "stopProcessing": true,
		"conditions": map[string]any{"operator": "AND", "conditions": []any{
			map[string]any{"field": "MESSAGE_TEXT", "operator": "CONTAINS", "values": []string{"refund"}}}},
		"actions": []any{
			map[string]any{"type": "ADD_TAG", "tagIDs": []string{refund}},
			map[string]any{"type": "SET_PRIORITY", "priority": "HIGH"},
			map[string]any{"type": "ADD_NOTE", "body": `Refund asked by {{customer.name | "someone"}}`},
		},
	})
	b := e.rule(t, map[string]any{
		"name": "Everything", "trigger": "MESSAGE_RECEIVED",
		"actions": []any{map[string]any{"type": "ADD_TAG", "tagIDs": []string{other}}},
	})
	var list struct {
		AutomationRules struct {
			Edges []struct {
				Node struct {
					ID       string
					Position int
				}
			}
		}
	}
	e.s.MustDo(t, e.tok, `{ automationRules(first: 10) { edges { node { id position } } } }`, nil, &list)
	if ed := list.AutomationRules.Edges; len(ed) != 2 || ed[0].Node.ID != a || ed[1].Node.ID != b || ed[1].Node.Position != 1 {
		t.Fatalf("rules: %+v", list)
	}

	e.message(t, "c1", "I want a REFUND please")
	conv := e.conversation(t)
	var st convState
	testenv.Eventually(t, func() bool { st = e.state(t, conv); return st.applied(a) == 1 }, "rule A applied")
	st = e.state(t, conv) // read again: the conversation may have been read before the timeline's commit
	if !st.hasTag(refund) || st.Priority != "HIGH" || st.hasTag(other) || st.applied(b) != 0 {
		t.Fatalf("after A with stopProcessing: %+v", st)
	}
	if !slices.ContainsFunc(st.Messages.Edges, func(m struct{ Node struct{ Body string } }) bool {
		return m.Node.Body == "Refund asked by Cy c1"
	}) {
		t.Errorf("no rendered note: %+v", st.Messages)
	}
	for _, ed := range st.Customer.Timeline.Edges {
		if ed.Node.ActivityKind == "RULE_APPLIED" && (ed.Node.Note == nil || !strings.Contains(*ed.Node.Note, "added tag refund")) {
			t.Errorf("RULE_APPLIED note: %v", ed.Node.Note)
		}
	}

	// B first now: it applies, then A (which stops nothing after it).
	var moved struct{ MoveAutomationRule struct{ Position int } }
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { moveAutomationRule(id: $id, position: 0) { position } }`, map[string]any{"id": b}, &moved)
	e.message(t, "c1", "refund again")
	testenv.Eventually(t, func() bool { st = e.state(t, conv); return st.applied(a) == 2 && st.applied(b) == 1 }, "B then A")
	st = e.state(t, conv)
	if !st.hasTag(other) {
		t.Fatalf("B's tag missing: %+v", st.Tags)
	}

	// Replay: the consumer starts again from the beginning of the log,
	// with the rules in the order they had (a replay evaluates the rules
	// as they are; what was applied is not applied again).
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { moveAutomationRule(id: $id, position: 1) { position } }`, map[string]any{"id": b}, &moved)
	db := e.s.App.DB
	var pos int64
	if err := db.SQL.QueryRow(`SELECT position FROM consumer_leases WHERE id = 'automation'`).Scan(&pos); err != nil {
		t.Fatal(err)
	}
	e.s.StopWorkers()
	if _, err := db.SQL.Exec(`UPDATE consumer_leases SET position = 0, holder = 'replay', expires_at = '2000-01-01 00:00:00+00:00' WHERE id = 'automation'`); err != nil {
		t.Fatal(err)
	}
	second := testenv.NewOn(t, testenv.Reopen(t, db), testenv.SameSecrets(e.s))
	testenv.Eventually(t, func() bool {
		var p int64
		return second.App.DB.SQL.QueryRow(`SELECT position FROM consumer_leases WHERE id = 'automation'`).Scan(&p) == nil && p >= pos
	}, "the replay")
	e.s = second
	st = e.state(t, conv)
	if st.applied(a) != 2 || st.applied(b) != 1 || len(e.runs(t, a)) != 2 || len(e.runs(t, b)) != 1 {
		t.Fatalf("after replay: A %d B %d runs %v %v", st.applied(a), st.applied(b), e.runs(t, a), e.runs(t, b))
	}
}

// TestAutomationRulePingPong: A's action triggers B and B's would trigger
// A again: each runs once.
func TestAutomationRulePingPong(t *testing.T) {
	e := newAutomationEnv(t)
	for _, name := range []string{"stage", "score"} {
		e.s.MustDo(t, e.tok, `mutation($n: String!) { createAttributeDefinition(input: {name: $n, type: STRING}) { id } }`, map[string]any{"n": name}, nil)
	}
	a := e.rule(t, map[string]any{
		"name": "A", "trigger": "CUSTOMER_UPDATED",
		"conditions": map[string]any{"operator": "AND", "conditions": []any{
			map[string]any{"field": "CUSTOMER_ATTRIBUTE", "operator": "EQUALS", "attribute": "stage", "values": []string{"lead"}}}},
		"actions": []any{map[string]any{"type": "SET_CUSTOMER_ATTRIBUTE", "attribute": "score", "value": "1"}},
	})
	b := e.rule(t, map[string]any{
		"name": "B", "trigger": "CUSTOMER_UPDATED",
		"conditions": map[string]any{"operator": "AND", "conditions": []any{
			map[string]any{"field": "CUSTOMER_ATTRIBUTE", "operator": "IS_SET", "attribute": "score"}}},
		"actions": []any{map[string]any{"type": "SET_CUSTOMER_ATTRIBUTE", "attribute": "stage", "value": "lead"}},
	})
	e.message(t, "c2", "hello")
	conv := e.conversation(t)
	cust := e.state(t, conv).Customer.ID
	e.s.MustDo(t, e.tok, `mutation($c: ID!) { updateCustomer(id: $c, input: {customAttributes: {stage: "lead"}}) { id } }`, map[string]any{"c": cust}, nil)
	testenv.Eventually(t, func() bool { st := e.state(t, conv); return st.applied(a) == 1 && st.applied(b) == 1 }, "A then B")
	// Give a loop time to show itself: more messages go through the
	// consumer after the chain, so it has handled every event before them.
	e.message(t, "c2", "later")
	testenv.Eventually(t, func() bool {
		return len(e.state(t, conv).Messages.Edges) == 2
	}, "the later message")
	var lease int64
	testenv.Eventually(t, func() bool {
		var max int64
		_ = e.s.App.DB.SQL.QueryRow(`SELECT MAX(seq) FROM events`).Scan(&max)
		_ = e.s.App.DB.SQL.QueryRow(`SELECT position FROM consumer_leases WHERE id = 'automation'`).Scan(&lease)
		return lease >= max
	}, "the consumer to catch up")
	if ra, rb := e.runs(t, a), e.runs(t, b); len(ra) != 1 || len(rb) != 1 {
		t.Fatalf("runs: A %v, B %v", ra, rb)
	}
}

// TestAutomationRuleRateCap: a rule that would give a conversation more
// actions per minute than the cap is suspended; enabling it lifts that.
func TestAutomationRuleRateCap(t *testing.T) {
	e := newAutomationEnv(t, func(c *config.Config) { c.AutomationMaxActionsPerMinute = 3 })
	tag := e.tag(t, "seen")
	r := e.rule(t, map[string]any{
		"name": "Runaway", "trigger": "MESSAGE_RECEIVED",
		"actions": []any{map[string]any{"type": "ADD_TAG", "tagIDs": []string{tag}}},
	})
	for i := range 4 {
		e.message(t, "c3", fmt.Sprintf("message %d", i))
	}
	testenv.Eventually(t, func() bool { return len(e.runs(t, r)) == 4 }, "four runs")
	outcomes := e.runs(t, r)
	slices.Sort(outcomes)
	if !slices.Equal(outcomes, []string{"APPLIED", "APPLIED", "APPLIED", "SUSPENDED"}) {
		t.Fatalf("outcomes %v", outcomes)
	}
	var got struct {
		Node struct {
			SuspendedAt     *string
			SuspendedReason *string
		}
	}
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on AutomationRule { suspendedAt suspendedReason } } }`, map[string]any{"id": r}, &got)
	if got.Node.SuspendedAt == nil || got.Node.SuspendedReason == nil || !strings.Contains(*got.Node.SuspendedReason, "3 actions per minute") {
		t.Fatalf("not suspended: %+v", got)
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { updateAutomationRule(id: $id, input: {enabled: true}) { suspendedAt suspendedReason } }`,
		map[string]any{"id": r}, &struct{}{})
	e.s.MustDo(t, e.tok, `query($id: ID!) { node(id: $id) { ... on AutomationRule { suspendedAt suspendedReason } } }`, map[string]any{"id": r}, &got)
	if got.Node.SuspendedAt != nil {
		t.Fatalf("still suspended: %+v", got)
	}
}

// TestAutomationRuleInputs: other workspaces' ids are NOT_FOUND, bad
// expressions INVALID_INPUT, agents may not change rules; testAutomationRule
// explains without acting.
func TestAutomationRuleInputs(t *testing.T) {
	e := newAutomationEnv(t)
	otherTok := e.s.NewWorkspace(t, "other", "admin@other.test")
	var foreign struct{ CreateTag struct{ ID string } }
	e.s.MustDo(t, otherTok, `mutation { createTag(input: {name: "theirs"}) { id } }`, nil, &foreign)
	mut := `mutation($in: CreateAutomationRuleInput!) { createAutomationRule(input: $in) { id } }`
	cases := []struct {
		in   map[string]any
		code string
	}{
		{map[string]any{"name": "x", "trigger": "MESSAGE_RECEIVED",
			"actions": []any{map[string]any{"type": "ADD_TAG", "tagIDs": []string{foreign.CreateTag.ID}}}}, "NOT_FOUND"},
		{map[string]any{"name": "x", "trigger": "MESSAGE_RECEIVED",
			"conditions": map[string]any{"operator": "OR", "conditions": []any{
				map[string]any{"field": "CONVERSATION_TAG", "operator": "IN", "ids": []string{foreign.CreateTag.ID}}}},
			"actions": []any{map[string]any{"type": "RESOLVE"}}}, "NOT_FOUND"},
		{map[string]any{"name": "x", "trigger": "MESSAGE_RECEIVED",
			"conditions": map[string]any{"operator": "AND", "conditions": []any{
				map[string]any{"field": "MESSAGE_TEXT", "operator": "MATCHES", "values": []string{"(unclosed"}}}},
			"actions": []any{map[string]any{"type": "RESOLVE"}}}, "INVALID_INPUT"},
		{map[string]any{"name": "x", "trigger": "MESSAGE_RECEIVED",
			"actions": []any{map[string]any{"type": "SEND_QUICK_REPLY", "quickReplyID": foreign.CreateTag.ID}}}, "NOT_FOUND"},
		{map[string]any{"name": "x", "trigger": "MESSAGE_RECEIVED",
			"actions": []any{map[string]any{"type": "ADD_NOTE", "body": "{{unknown.var}}"}}}, "INVALID_INPUT"},
	}
	for i, c := range cases {
		res := e.s.Do(t, e.tok, mut, map[string]any{"in": c.in})
		if codes := res.Codes(); !slices.Equal(codes, []string{c.code}) {
			t.Errorf("case %d: codes %v, want %s (%+v)", i, codes, c.code, res.Errors)
		}
	}
	mine := e.tag(t, "mine")
	r := e.rule(t, map[string]any{"name": "VIP refunds", "trigger": "MESSAGE_RECEIVED",
		"conditions": map[string]any{"operator": "OR", "conditions": []any{
			map[string]any{"field": "VIP", "operator": "IS_TRUE"},
			map[string]any{"field": "MESSAGE_TEXT", "operator": "MATCHES", "values": []string{`(?i)refund`}}}},
		"actions": []any{map[string]any{"type": "ADD_TAG", "tagIDs": []string{mine}}, map[string]any{"type": "RESOLVE"}}})
	// The other workspace sees neither the rule nor can it change it.
	if code := e.s.Do(t, otherTok, `mutation($id: ID!) { deleteAutomationRule(id: $id) }`, map[string]any{"id": r}).Codes(); !slices.Equal(code, []string{"NOT_FOUND"}) {
		t.Errorf("foreign delete: %s", code)
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { updateAutomationRule(id: $id, input: {enabled: false}) { id } }`, map[string]any{"id": r}, nil)
	e.message(t, "c4", "a refund?")
	conv := e.conversation(t)
	var test struct {
		TestAutomationRule struct {
			Matched bool
			Root    struct {
				Operator   string
				Conditions []struct {
					Matched bool
					Detail  string
				}
			}
			Actions []string
		}
	}
	e.s.MustDo(t, e.tok, `query($r: ID!, $c: ID!) { testAutomationRule(id: $r, conversationID: $c) { matched
		root { operator conditions { matched detail } } actions } }`, map[string]any{"r": r, "c": conv}, &test)
	tr := test.TestAutomationRule
	if !tr.Matched || len(tr.Root.Conditions) != 2 || tr.Root.Conditions[0].Matched || !tr.Root.Conditions[1].Matched ||
		!slices.Equal(tr.Actions, []string{"added tag mine", "resolved"}) {
		t.Fatalf("test: %+v", tr)
	}
	if st := e.state(t, conv); st.hasTag(mine) {
		t.Fatalf("testing acted: %+v", st.Tags)
	}
	if code := e.s.Do(t, otherTok, `query($r: ID!, $c: ID!) { testAutomationRule(id: $r, conversationID: $c) { matched } }`,
		map[string]any{"r": r, "c": conv}).Codes(); !slices.Equal(code, []string{"NOT_FOUND"}) {
		t.Errorf("foreign test: %s", code)
	}
}

// TestAutomationRuleQuickReply: SEND_QUICK_REPLY checks the quick reply
// when saved and, when the rule applies, sends it to the conversation with
// its variables filled, as a BOT message.
func TestAutomationRuleQuickReply(t *testing.T) {
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Adapters = append(o.Adapters, relay{})
	}})
	tok := s.AdminToken(t)
	e := &automationEnv{s: s, tok: tok, webhook: relayChannel(t, s, tok, "relay", "Relay")}
	bad := e.s.Do(t, tok, `mutation($in: CreateAutomationRuleInput!) { createAutomationRule(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"name": "x", "trigger": "CONVERSATION_CREATED", "actions": []any{map[string]any{"type": "SEND_QUICK_REPLY", "quickReplyID": gid.New("QuickReply")}}}})
	if !slices.Equal(bad.Codes(), []string{"NOT_FOUND"}) {
		t.Fatalf("unknown quick reply: %+v", bad.Errors)
	}
	var qr struct{ CreateQuickReply struct{ ID string } }
	e.s.MustDo(t, tok, `mutation($in: CreateQuickReplyInput!) { createQuickReply(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"shortcut": "hello", "title": "Hello", "scope": "WORKSPACE",
		"body": `Hi {{customer.name | "there"}}, thanks for writing to {{channel.name}}. {{agent.name | "The team"}}`}}, &qr)
	r := e.rule(t, map[string]any{"name": "Welcome", "trigger": "CONVERSATION_CREATED",
		"actions": []any{map[string]any{"type": "SEND_QUICK_REPLY", "quickReplyID": qr.CreateQuickReply.ID}}})
	e.message(t, "c5", "hi")
	conv := e.conversation(t)
	testenv.Eventually(t, func() bool { return e.state(t, conv).applied(r) == 1 }, "the welcome rule")
	var out struct {
		Node struct {
			Messages struct {
				Edges []struct {
					Node struct{ Body, SenderKind string }
				}
			}
		}
	}
	e.s.MustDo(t, tok, `query($c: ID!) { node(id: $c) { ... on Conversation { messages(first: 10) { edges { node { body senderKind } } } } } }`,
		map[string]any{"c": conv}, &out)
	var bot []string
	for _, m := range out.Node.Messages.Edges {
		if m.Node.SenderKind == "BOT" {
			bot = append(bot, m.Node.Body)
		}
	}
	if want := []string{"Hi Cy c5, thanks for writing to Relay. The team"}; !slices.Equal(bot, want) {
		t.Fatalf("bot messages %q, want %q", bot, want)
	}
	// The timeline says which quick reply went, by name.
	var notes []string
	for _, e := range e.state(t, conv).Customer.Timeline.Edges {
		if e.Node.ActivityKind == "RULE_APPLIED" && e.Node.Note != nil {
			notes = append(notes, *e.Node.Note)
		}
	}
	if want := []string{`Welcome: sent quick reply "Hello" (/hello)`}; !slices.Equal(notes, want) {
		t.Fatalf("timeline notes %q, want %q", notes, want)
	}
}

// TestAutomationRuleIdle: a CONVERSATION_IDLE rule applies once the
// conversation has had no message for its minutes (a durable timer), once
// per quiet period.
func TestAutomationRuleIdle(t *testing.T) {
	clock := testenv.NewClock()
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Now = clock.Now
		o.Adapters = append(o.Adapters, relay{})
	}, testenv.AuthClock(clock)})
	tok := s.AdminToken(t)
	e := &automationEnv{s: s, tok: tok, webhook: relayChannel(t, s, tok, "relay", "Relay")}
	stale := e.tag(t, "stale")
	r := e.rule(t, map[string]any{"name": "Stale", "trigger": "CONVERSATION_IDLE", "idleMinutes": 30,
		"actions": []any{map[string]any{"type": "ADD_TAG", "tagIDs": []string{stale}}}})
	e.message(t, "c6", "anyone there?")
	conv := e.conversation(t)
	// Not before its time.
	clock.Advance(29 * time.Minute)
	e.message(t, "c6", "hello?") // a new message: the quiet period starts again
	testenv.Eventually(t, func() bool { return len(e.state(t, conv).Messages.Edges) == 2 }, "the second message")
	clock.Advance(29 * time.Minute)
	e.tok = e.s.AdminToken(t)
	if st := e.state(t, conv); st.applied(r) != 0 {
		t.Fatalf("applied before 30 quiet minutes: %+v", st)
	}
	clock.Advance(2 * time.Minute)
	testenv.Eventually(t, func() bool { return e.state(t, conv).applied(r) == 1 }, "the idle rule")
	if st := e.state(t, conv); !st.hasTag(stale) {
		t.Fatalf("no tag: %+v", st.Tags)
	}
	clock.Advance(time.Hour)
	e.tok = e.s.AdminToken(t)
	if runs := e.runs(t, r); len(runs) != 1 {
		t.Fatalf("runs %v", runs)
	}
}
