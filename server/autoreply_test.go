package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/autoreply"
	"github.com/switchboard/switchboard/internal/testenv"
)

// autoTexter is the relay with outbound messages (recorded), whose form
// field auto=1 marks a message auto-submitted (a provider's auto-reply).
type autoTexter struct {
	relay
	mu   *sync.Mutex
	sent *[]string
}

func (autoTexter) Describe() channels.Description {
	d := relay{}.Describe()
	d.Kind, d.DisplayName = "autotexter", "Auto texter (test provider)"
	d.Capabilities = channels.Capabilities{Inbound: true, Outbound: true}
	return d
}

func (x autoTexter) Send(_ context.Context, _ *channels.Config, m *channels.Outbound) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	*x.sent = append(*x.sent, m.Text)
	return "at-" + m.DeliveryID, nil
}

func (x autoTexter) Receive(ctx context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	d, err := x.relay.Receive(ctx, c, r, body)
	if err != nil {
		return nil, err
	}
	for i := range d.Messages {
		if d.Messages[i].Metadata["auto"] == "1" {
			d.Messages[i].AutoSubmitted = true
		}
		d.Messages[i].Metadata = nil
	}
	return d, nil
}

type arEnv struct {
	s     *testenv.Server
	clock *testenv.Clock
	admin string
	chID  string
	hook  string
	n     int
}

func newAREnv(t *testing.T, opts ...testenv.Option) *arEnv {
	t.Helper()
	e := &arEnv{clock: testenv.NewClock()}
	x := autoTexter{mu: &sync.Mutex{}, sent: &[]string{}}
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Now = e.clock.Now
		o.Adapters = []channels.Adapter{x}
	}}, opts...)
	e.admin = e.s.AdminToken(t)
	setStatus(t, e.s, e.admin, "OFFLINE") // not a routing candidate
	e.chID, e.hook = e.channel(t, e.admin)
	return e
}

// channel creates an autotexter channel and returns its id and webhook.
func (e *arEnv) channel(t *testing.T, tok string) (string, string) {
	t.Helper()
	var out struct {
		CreateChannel struct{ ID, WebhookURL string }
	}
	e.s.MustDo(t, tok, `mutation { createChannel(input: {kind: "autotexter", name: "Shop", secrets: {token: "`+relayToken+`"}}) { id webhookURL } }`, nil, &out)
	return out.CreateChannel.ID, e.s.URL + strings.TrimPrefix(out.CreateChannel.WebhookURL, e.s.Config.PublicURL)
}

const setAutoRepliesOp = `mutation($c: ID!, $in: AutoRepliesInput!) { setAutoReplies(channelID: $c, input: $in) {
	channelID cooldownMinutes welcome { enabled body } outOfHours { enabled body } allAgentsBusy { enabled body }
	keywords { match pattern body } } }`

func (e *arEnv) set(t *testing.T, in map[string]any) {
	t.Helper()
	e.s.MustDo(t, e.admin, setAutoRepliesOp, map[string]any{"c": e.chID, "in": in}, nil)
}

// post delivers a customer's message (auto: auto-submitted) and returns
// the customer's conversation.
func (e *arEnv) post(t *testing.T, from, text string, auto bool) string {
	t.Helper()
	e.n++
	form := url.Values{"id": {from + "-" + time.Now().Format("150405.000000000")}, "from": {from}, "name": {from}, "text": {text}}
	if auto {
		form.Set("auto", "1")
	}
	if status, body := postRelay(t, e.hook, form); status != 200 {
		t.Fatalf("webhook: %d %s", status, body)
	}
	var out struct {
		Conversations struct {
			Edges []struct {
				Node struct {
					ID       string
					Customer struct{ Name string }
				}
			}
		}
	}
	e.s.MustDo(t, e.admin, `{ conversations(first: 100) { edges { node { id customer { name } } } } }`, nil, &out)
	for _, ed := range out.Conversations.Edges {
		if ed.Node.Customer.Name == from {
			return ed.Node.ID
		}
	}
	t.Fatalf("no conversation of %s", from)
	return ""
}

type arMessage struct {
	Direction, SenderKind, Body string
	AutoSubmitted               bool
}

type arConversation struct {
	FirstResponseAt, WaitingSince *string
	Messages                      struct{ Edges []struct{ Node arMessage } }
}

func (e *arEnv) conversation(t *testing.T, id string) arConversation {
	t.Helper()
	var out struct{ Node arConversation }
	e.s.MustDo(t, e.admin, `query($id: ID!) { node(id: $id) { ... on Conversation { firstResponseAt waitingSince
		messages(first: 100) { edges { node { direction senderKind body autoSubmitted } } } } } }`, map[string]any{"id": id}, &out)
	return out.Node
}

// replies counts the conversation's outbound messages with this body.
func (e *arEnv) replies(t *testing.T, conv, body string) int {
	t.Helper()
	n := 0
	for _, ed := range e.conversation(t, conv).Messages.Edges {
		if m := ed.Node; m.Direction == "OUTBOUND" && m.Body == body {
			if m.SenderKind != "BOT" || !m.AutoSubmitted {
				t.Fatalf("auto-reply %q is %s, autoSubmitted %v; want BOT, true", body, m.SenderKind, m.AutoSubmitted)
			}
			n++
		}
	}
	return n
}

// waitReplies waits until the conversation has n auto-replies with body.
func (e *arEnv) waitReplies(t *testing.T, conv, body string, n int) {
	t.Helper()
	testenv.EventuallyErr(t, func() error {
		if got := e.replies(t, conv, body); got != n {
			return fmt.Errorf("%d replies %q, want %d", got, body, n)
		}
		return nil
	})
}

// TestAutoReplyConfig: setAutoReplies validates texts, patterns and the
// cooldown (INVALID_INPUT naming the field), replaces the whole
// configuration, and Channel.autoReplies reads it back.
func TestAutoReplyConfig(t *testing.T) {
	e := newAREnv(t)
	var ch struct {
		Node struct {
			AutoReplies *struct{ CooldownMinutes int }
		}
	}
	q := `query($id: ID!) { node(id: $id) { ... on Channel { autoReplies { cooldownMinutes welcome { enabled body } keywords { match pattern body } } } } }`
	e.s.MustDo(t, e.admin, q, map[string]any{"id": e.chID}, &ch)
	if ch.Node.AutoReplies != nil {
		t.Fatalf("a new channel has auto-replies: %+v", ch.Node.AutoReplies)
	}
	for _, tc := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"welcome": map[string]any{"enabled": true, "body": "Hi {{customer.nmae}}"}}, "input.welcome.body"},
		{map[string]any{"welcome": map[string]any{"enabled": true, "body": "  "}}, "input.welcome.body"},
		{map[string]any{"welcome": map[string]any{"enabled": false, "body": "{{channel.nextOpen}}"}}, "input.welcome.body"},
		{map[string]any{"outOfHours": map[string]any{"enabled": true, "body": "Back {{channel.nextOpen"}}, "input.outOfHours.body"},
		{map[string]any{"allAgentsBusy": map[string]any{"enabled": true, "body": "{{channel.nextOpen}}"}}, "input.allAgentsBusy.body"},
		{map[string]any{"keywords": []any{map[string]any{"match": "REGEX", "pattern": "(", "body": "x"}}}, "input.keywords[0].pattern"},
		{map[string]any{"keywords": []any{map[string]any{"match": "EXACT", "pattern": "ok", "body": "x"},
			map[string]any{"match": "CONTAINS", "pattern": strings.Repeat("a", autoreply.MaxPattern+1), "body": "x"}}}, "input.keywords[1].pattern"},
		{map[string]any{"cooldownMinutes": -1}, "input.cooldownMinutes"},
	} {
		r := e.s.Do(t, e.admin, setAutoRepliesOp, map[string]any{"c": e.chID, "in": tc.in})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "INVALID_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%v: %+v, want INVALID_INPUT on %s", tc.in, r.Errors, tc.field)
		}
	}
	if r := e.s.Do(t, e.admin, setAutoRepliesOp, map[string]any{"c": "chn_01jf3q6c8r7d9x2m4k5n6p7t8v", "in": map[string]any{}}); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("an unknown channel: %+v", r.Errors)
	}
	e.set(t, map[string]any{"welcome": map[string]any{"enabled": true, "body": `Hi {{customer.name | "there"}}`},
		"keywords":        []any{map[string]any{"match": "REGEX", "pattern": `^\d+$`, "body": "a number"}},
		"cooldownMinutes": 5})
	e.set(t, map[string]any{"welcome": map[string]any{"enabled": true, "body": "Hello"}}) // replaces all of it
	var got struct {
		Node struct {
			AutoReplies struct {
				CooldownMinutes int
				Welcome         struct {
					Enabled bool
					Body    string
				}
				Keywords []any
			}
		}
	}
	e.s.MustDo(t, e.admin, q, map[string]any{"id": e.chID}, &got)
	if a := got.Node.AutoReplies; a.CooldownMinutes != autoreply.DefaultCooldown || !a.Welcome.Enabled || a.Welcome.Body != "Hello" || len(a.Keywords) != 0 {
		t.Errorf("after replacing: %+v", a)
	}
}

// TestAutoReplies: the welcome goes on the first message only; a keyword
// answers (first match wins) but never our own, an agent's or an
// auto-submitted message; each rule cools down per conversation; the
// replies are BOT messages that leave the first response null; and a
// replayed event log sends nothing twice.
func TestAutoReplies(t *testing.T) {
	e := newAREnv(t)
	e.set(t, map[string]any{
		"welcome": map[string]any{"enabled": true, "body": `Hi {{customer.name | "there"}}, welcome to {{channel.name}}!`},
		"keywords": []any{
			map[string]any{"match": "CONTAINS", "pattern": "hours", "body": "Our hours are 9-18."},
			map[string]any{"match": "REGEX", "pattern": `(?i)^order\s+\d+$`, "body": "Orders ship in a day."},
			map[string]any{"match": "EXACT", "pattern": "order 1", "body": "never: an earlier rule matches"},
		},
		"outOfHours": map[string]any{"enabled": true, "body": "unused: no working hours"},
	})
	const welcome, hours, order = "Hi ana, welcome to Shop!", "Our hours are 9-18.", "Orders ship in a day."

	conv := e.post(t, "ana", "hello", false)
	e.waitReplies(t, conv, welcome, 1)
	c := e.conversation(t, conv)
	if c.FirstResponseAt != nil || c.WaitingSince == nil {
		t.Errorf("after an auto-reply: firstResponseAt %v, waitingSince %v; want null, set", c.FirstResponseAt, c.WaitingSince)
	}

	// Not the first message: no welcome. A keyword answers; its answer
	// contains the keyword but is ours (BOT): no loop.
	e.post(t, "ana", "hello again", false)
	e.post(t, "ana", "What are your HOURS?", false)
	e.waitReplies(t, conv, hours, 1)
	// Auto-submitted and agents' messages are never answered.
	e.post(t, "ana", "hours (auto-reply)", true)
	e.s.MustDo(t, e.admin, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "our hours: 9-18"}) { id } }`, map[string]any{"c": conv}, nil)
	// Cooldown: the same rule again within 10 minutes is not answered...
	e.clock.Advance(9 * time.Minute)
	e.post(t, "ana", "hours?", false)
	// ...another rule is (the first rule that matches), and it marks
	// that everything before it was handled.
	e.post(t, "ana", "ORDER 1", false)
	e.waitReplies(t, conv, order, 1)
	if n, m := e.replies(t, conv, hours), e.replies(t, conv, welcome); n != 1 || m != 1 {
		t.Fatalf("%d hours replies and %d welcomes, want 1 each", n, m)
	}
	e.clock.Advance(2 * time.Minute)
	e.post(t, "ana", "hours?", false)
	e.waitReplies(t, conv, hours, 2)

	// Another customer has a cooldown of their own.
	bob := e.post(t, "bob", "opening hours", false)
	e.waitReplies(t, bob, hours, 1) // a keyword wins over the welcome
	if n := e.replies(t, bob, "Hi bob, welcome to Shop!"); n != 0 {
		t.Errorf("bob got %d welcomes besides the keyword reply", n)
	}

	// Replay: the consumer's position goes back to the start; handling
	// every event again sends nothing new, even without a cooldown to
	// hide a second send.
	e.set(t, map[string]any{
		"welcome":         map[string]any{"enabled": true, "body": `Hi {{customer.name | "there"}}, welcome to {{channel.name}}!`},
		"keywords":        []any{map[string]any{"match": "CONTAINS", "pattern": "hours", "body": hours}, map[string]any{"match": "REGEX", "pattern": `(?i)^order\s+\d+$`, "body": order}},
		"cooldownMinutes": 0,
	})
	e.s.StopWorkers()
	db := e.s.App.DB.SQL
	if _, err := db.Exec(`UPDATE consumer_leases SET position = 0, holder = 'reset', expires_at = $1 WHERE id = $2`,
		time.Unix(0, 0).UTC(), autoreply.ConsumerName); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.s.App.AutoReplies.Run(ctx)
	testenv.EventuallyErr(t, func() error {
		e.clock.Advance(time.Second) // the consumer stores its position every second (of its clock)
		var last, handled int64
		if err := db.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&last); err != nil {
			return err
		}
		if err := db.QueryRow(`SELECT position FROM consumer_leases WHERE id = $1 AND holder <> 'reset'`, autoreply.ConsumerName).Scan(&handled); err != nil {
			return err
		}
		if handled < last {
			return fmt.Errorf("replayed up to %d of %d", handled, last)
		}
		return nil
	})
	for _, w := range []struct {
		conv, body string
		n          int
	}{{conv, welcome, 1}, {conv, hours, 2}, {conv, order, 1}, {bob, hours, 1}} {
		if got := e.replies(t, w.conv, w.body); got != w.n {
			t.Errorf("after the replay: %d replies %q, want %d", got, w.body, w.n)
		}
	}
}

// TestAutoReplyOutOfHours: outside working hours an inbound message gets
// the out-of-hours reply with the next opening in the channel's time zone,
// across a time-zone midnight and over a holiday; a keyword still comes
// first; within hours nothing is sent.
func TestAutoReplyOutOfHours(t *testing.T) {
	e := newAREnv(t)
	e.set(t, map[string]any{
		"outOfHours": map[string]any{"enabled": true, "body": "Closed until {{channel.nextOpen}}."},
		"keywords":   []any{map[string]any{"match": "EXACT", "pattern": "ping", "body": "pong"}},
	})
	hours := func(holidays []string) {
		var weekly []any
		for _, d := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"} {
			weekly = append(weekly, map[string]any{"day": d, "start": "09:00", "end": "18:00"})
		}
		e.s.MustDo(t, e.admin, `mutation($id: ID!, $wh: WorkingHoursInput) { updateChannel(id: $id, input: {workingHours: $wh}) { id } }`,
			map[string]any{"id": e.chID, "wh": map[string]any{"timezone": "Asia/Shanghai", "weekly": weekly, "holidays": holidays}}, nil)
	}
	hours(nil)
	// Sunday 23:30 UTC: Monday 07:30 in Shanghai, before opening.
	now := e.clock.Now()
	sunday := time.Date(now.Year(), now.Month(), now.Day(), 23, 30, 0, 0, time.UTC)
	for sunday.Weekday() != time.Sunday || !sunday.After(now) {
		sunday = sunday.AddDate(0, 0, 1)
	}
	e.clock.Advance(sunday.Sub(now))
	e.admin = e.s.AdminToken(t) // tokens expire on the server's clock
	monday, tuesday := sunday.AddDate(0, 0, 1).Format("2006-01-02"), sunday.AddDate(0, 0, 2).Format("2006-01-02")

	cy := e.post(t, "cy", "hello", false)
	e.waitReplies(t, cy, "Closed until Mon "+monday+" 09:00 (Asia/Shanghai).", 1)
	e.post(t, "cy", "ping", false) // a keyword comes first
	e.waitReplies(t, cy, "pong", 1)

	// Monday is a holiday: the next opening is Tuesday's.
	hours([]string{monday})
	dee := e.post(t, "dee", "hello", false)
	e.waitReplies(t, dee, "Closed until Tue "+tuesday+" 09:00 (Asia/Shanghai).", 1)

	// Tuesday 10:30 in Shanghai: open, no out-of-hours reply.
	e.clock.Advance(27 * time.Hour)
	e.admin = e.s.AdminToken(t)
	eve := e.post(t, "eve", "hello", false)
	e.post(t, "eve", "ping", false)
	e.waitReplies(t, eve, "pong", 1)
	for _, ed := range e.conversation(t, eve).Messages.Edges {
		if strings.HasPrefix(ed.Node.Body, "Closed") {
			t.Errorf("within working hours: %q", ed.Node.Body)
		}
	}
}

// TestAutoReplyAllAgentsBusy: when routing queues a conversation because
// no agent is free, the busy reply tells its place in the queue, once per
// queuing.
func TestAutoReplyAllAgentsBusy(t *testing.T) {
	e := newAREnv(t, testenv.SignupOpen)
	// Another workspace's waiting conversation is not in this queue.
	var up struct{ SignUp struct{ Token string } }
	e.s.MustDo(t, "", `mutation { signUp(input: {workspaceName: "Other", name: "O", email: "o@other.test", password: "password-1"}) { token } }`, nil, &up)
	other := up.SignUp.Token
	setStatus(t, e.s, other, "OFFLINE")
	otherCh, otherHook := e.channel(t, other)
	setPolicy(t, e.s, other, otherCh, map[string]any{"strategy": "LEAST_BUSY"})
	if status, body := postRelay(t, otherHook, url.Values{"id": {"o1"}, "from": {"o1"}, "text": {"hello"}}); status != 200 {
		t.Fatalf("webhook: %d %s", status, body)
	}
	e.clock.Advance(time.Second)

	setPolicy(t, e.s, e.admin, e.chID, map[string]any{"strategy": "LEAST_BUSY"})
	e.set(t, map[string]any{
		"allAgentsBusy": map[string]any{"enabled": true, "body": "You are number {{queue.position}} in line."},
		"keywords":      []any{map[string]any{"match": "EXACT", "pattern": "ping", "body": "pong"}},
	})
	p1 := e.post(t, "p1", "hello", false)
	e.waitReplies(t, p1, "You are number 1 in line.", 1)
	e.clock.Advance(time.Second)
	p2 := e.post(t, "p2", "hello", false)
	e.waitReplies(t, p2, "You are number 2 in line.", 1)
	// More messages while waiting: not queued again.
	e.post(t, "p1", "anyone?", false)
	e.post(t, "p1", "ping", false)
	e.waitReplies(t, p1, "pong", 1)
	busy := 0
	for _, ed := range e.conversation(t, p1).Messages.Edges {
		if strings.HasPrefix(ed.Node.Body, "You are number") {
			busy++
		}
	}
	if busy != 1 {
		t.Errorf("%d busy replies to one queuing, want 1", busy)
	}
}
