package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// pager is a test provider for the parts of the channel contract that
// the api and web channels do not use: a 24-hour reply window, templates
// kept in settings, a length limit, channel events and delivery receipts
// in its webhook, and sends it can be told to refuse. Its webhook takes
// JSON {"messages": [...], "receipts": [...], "events": [...]} in the
// contract's own field names, authenticated by a token header. Three
// kinds share it: "pager" (window and templates), "pager_window" (window
// without templates) and "pager_templates" (templates only).
type pager struct {
	kind string
	caps channels.Capabilities

	mu   sync.Mutex
	sent []channels.Outbound
	// next answers the next send; nil sends, returning "p-<n>".
	next error
	ids  []string // provider ids to return, in order, before "p-<n>"

	enableErr error
	hooks     []string
}

const pagerToken = "pager-shared-token-0123"

func newPagers() (*pager, *pager, *pager) {
	window := 24 * time.Hour
	return &pager{kind: "pager", caps: channels.Capabilities{Inbound: true, Outbound: true, Templates: true, MaxLength: 40, ReplyWindow: window}},
		&pager{kind: "pager_window", caps: channels.Capabilities{Inbound: true, Outbound: true, ReplyWindow: window}},
		&pager{kind: "pager_templates", caps: channels.Capabilities{Inbound: true, Outbound: true, Templates: true, TemplateOnly: true}}
}

func (p *pager) Describe() channels.Description {
	return channels.Description{Kind: p.kind, DisplayName: "Pager (test provider)",
		Settings:     []channels.Field{{Name: "templates", Label: "Templates", Type: channels.FieldList}},
		Secrets:      []channels.Field{{Name: "token", Label: "Token", Required: true}},
		Capabilities: p.caps}
}

func (p *pager) Validate(settings map[string]any, _ map[string]string) error {
	for k := range settings {
		if k != "templates" {
			return channels.SettingError(k, "unknown setting %q", k)
		}
	}
	return nil
}

func (p *pager) Verify(context.Context, *channels.Config) error { return nil }

// Enable and Disable record the calls, as a provider's setWebhook would
// see them; enableErr refuses the next Enable.
func (p *pager) Enable(_ context.Context, c *channels.Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.enableErr; err != nil {
		p.enableErr = nil
		return err
	}
	p.hooks = append(p.hooks, "enable "+c.WebhookURL)
	return nil
}

func (p *pager) Disable(_ context.Context, c *channels.Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hooks = append(p.hooks, "disable "+c.WebhookURL)
	return nil
}

func (p *pager) hookCalls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.hooks...)
}

func (p *pager) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

func (p *pager) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if r.Header.Get("X-Pager-Token") != c.Secrets["token"] {
		return nil, channels.Rejected(http.StatusUnauthorized, "bad token")
	}
	var d channels.Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, channels.Rejected(http.StatusBadRequest, "malformed: %v", err)
	}
	for i := range d.Messages {
		d.Messages[i].Sender.Verified = true
	}
	return &d, nil
}

func (p *pager) Templates(_ context.Context, c *channels.Config) ([]channels.Template, error) {
	raw, _ := json.Marshal(c.Settings["templates"])
	var out []channels.Template
	_ = json.Unmarshal(raw, &out)
	return out, nil
}

func (p *pager) Send(_ context.Context, _ *channels.Config, m *channels.Outbound) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.next; err != nil {
		p.next = nil
		return "", err
	}
	p.sent = append(p.sent, *m)
	if len(p.ids) > 0 {
		id := p.ids[0]
		p.ids = p.ids[1:]
		return id, nil
	}
	return "p-" + m.MessageID, nil
}

func (p *pager) outbound() []channels.Outbound {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]channels.Outbound(nil), p.sent...)
}

func (p *pager) answerNext(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = err
}

func (p *pager) returnIDs(ids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids = append(p.ids, ids...)
}

// clock is a settable time for the server.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

type pagerEnv struct {
	s                        *testenv.Server
	tok                      string
	clock                    *clock
	pager, window, templates *pager
	hooks                    map[string]string // kind -> webhook URL
	ids                      map[string]string // kind -> channel id
}

var pagerTemplates = []map[string]any{
	{"id": "order_update", "name": "Order update", "language": "en", "params": []string{"name", "order"},
		"body": "Hi {{name}}, order {{order}} shipped."},
	{"id": "order_update", "name": "Order update", "language": "zh_CN", "params": []string{"name", "order"},
		"body": "{{name}}，订单 {{order}} 已发货。"},
	{"id": "opaque", "name": "Provider-rendered", "params": []string{}},
}

func newPagerEnv(t *testing.T) *pagerEnv {
	t.Helper()
	e := &pagerEnv{clock: &clock{at: time.Now().UTC()}, hooks: map[string]string{}, ids: map[string]string{}}
	e.pager, e.window, e.templates = newPagers()
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Adapters = []channels.Adapter{e.pager, e.window, e.templates}
		o.Now = e.clock.Now
	}})
	e.tok = e.s.AdminToken(t)
	for _, kind := range []string{"pager", "pager_window", "pager_templates"} {
		var out struct {
			CreateChannel struct{ ID, WebhookURL string }
		}
		e.s.MustDo(t, e.tok, `mutation($k: String!, $s: Map) { createChannel(input: {kind: $k, name: $k, settings: $s, secrets: {token: "`+pagerToken+`"}}) { id webhookURL } }`,
			map[string]any{"k": kind, "s": map[string]any{"templates": pagerTemplates}}, &out)
		e.ids[kind] = out.CreateChannel.ID
		e.hooks[kind] = e.s.URL + strings.TrimPrefix(out.CreateChannel.WebhookURL, e.s.Config.PublicURL)
		// It registers with its provider when enabled, so it starts disabled.
		e.s.MustDo(t, e.tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": out.CreateChannel.ID}, nil)
	}
	return e
}

// deliver posts a delivery to a pager channel's webhook and returns the
// status.
func (e *pagerEnv) deliver(t *testing.T, kind string, d map[string]any) int {
	t.Helper()
	body, _ := json.Marshal(d)
	req, _ := http.NewRequest(http.MethodPost, e.hooks[kind], bytes.NewReader(body))
	req.Header.Set("X-Pager-Token", pagerToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func msgFrom(sender, id, text string) map[string]any {
	return map[string]any{"ProviderMessageID": id, "Sender": map[string]any{"ExternalID": sender, "Name": sender}, "Text": text}
}

// conversationOf is the id of the customer's latest conversation on the
// channel, found through the API.
func (e *pagerEnv) conversations(t *testing.T) []conversationRow {
	t.Helper()
	var out struct {
		Conversations struct {
			Edges []struct{ Node conversationRow }
		}
	}
	e.s.MustDo(t, e.tok, `{ conversations(first: 50) { edges { node { id status canReply replyBlockedReason channel { id } customer { id }
		messages(first: 50) { edges { node { id body autoSubmitted deliveryStatus deliveryError direction } } } } } } }`, nil, &out)
	rows := make([]conversationRow, len(out.Conversations.Edges))
	for i, ed := range out.Conversations.Edges {
		rows[i] = ed.Node
	}
	return rows
}

type conversationRow struct {
	ID                 string
	Status             string
	CanReply           bool
	ReplyBlockedReason *string
	Channel, Customer  struct{ ID string }
	Messages           struct {
		Edges []struct {
			Node struct {
				ID, Body, Direction string
				AutoSubmitted       bool
				DeliveryStatus      *string
				DeliveryError       *string
			}
		}
	}
}

func (e *pagerEnv) conversation(t *testing.T, id string) conversationRow {
	t.Helper()
	for _, c := range e.conversations(t) {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no conversation %s", id)
	return conversationRow{}
}

func (e *pagerEnv) only(t *testing.T, kind string) conversationRow {
	t.Helper()
	var found []conversationRow
	for _, c := range e.conversations(t) {
		if c.Channel.ID == e.ids[kind] {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d conversations on %s, want 1", len(found), kind)
	}
	return found[0]
}

func reason(r *string) string {
	if r == nil {
		return ""
	}
	return *r
}

const sendQ = `mutation($c: ID!, $b: String!, $t: TemplateMessageInput) { sendMessage(input: {conversationID: $c, body: $b, template: $t}) { id body deliveryStatus } }`

// TestReplyWindowAndTemplates: a kind with a 24-hour window answers free
// text within it; after it, replyBlockedReason is TEMPLATE_REQUIRED and
// only an approved template goes (rendered, with its parameters checked);
// a kind without templates says WINDOW_CLOSED; a template-only kind takes
// templates only; text longer than the kind sends is refused naming the
// limit. Every refusal queues nothing.
func TestReplyWindowAndTemplates(t *testing.T) {
	e := newPagerEnv(t)
	s, tok := e.s, e.tok
	for _, kind := range []string{"pager", "pager_window", "pager_templates"} {
		if st := e.deliver(t, kind, map[string]any{"Messages": []any{msgFrom("ann", "m1-"+kind, "hello")}}); st != 200 {
			t.Fatalf("%s inbound: %d", kind, st)
		}
	}
	conv := e.only(t, "pager")
	if !conv.CanReply || conv.ReplyBlockedReason != nil {
		t.Fatalf("within the window: %+v", conv)
	}
	s.MustDo(t, tok, sendQ, map[string]any{"c": conv.ID, "b": "on it"}, nil)
	// The kind sends no files: refused before anything is queued, the
	// upload still unsent.
	file := upload(t, s, tok, "a.pdf", "application/pdf", []byte("%PDF-1.7\nx"))
	sendFileQ := `mutation($c: ID!, $a: [ID!]) { sendMessage(input: {conversationID: $c, body: "see", attachmentIDs: $a}) { id } }`
	wantConflict(t, s.Do(t, tok, sendFileQ, map[string]any{"c": conv.ID, "a": []string{file.ID}}), "cannot send files")
	s.MustDo(t, tok, `mutation($c: ID!, $a: [ID!]) { sendMessage(input: {conversationID: $c, body: "note", private: true, attachmentIDs: $a}) { id } }`,
		map[string]any{"c": conv.ID, "a": []string{file.ID}}, nil) // a note keeps files whatever the channel
	r := s.Do(t, tok, sendQ, map[string]any{"c": conv.ID, "b": strings.Repeat("x", 41)})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "INVALID_INPUT" || !strings.Contains(r.Errors[0].Message, "at most 40") {
		t.Fatalf("over-long text: %+v", r.Errors)
	}
	if tpl := e.only(t, "pager_templates"); tpl.CanReply || reason(tpl.ReplyBlockedReason) != "TEMPLATE_REQUIRED" {
		t.Fatalf("template-only kind: %+v", tpl)
	}
	wantConflict(t, s.Do(t, tok, sendQ, map[string]any{"c": e.only(t, "pager_templates").ID, "b": "free text"}), "TEMPLATE_REQUIRED")

	e.clock.Advance(25 * time.Hour)
	tok = s.AdminToken(t) // the earlier one expired
	e.tok = tok
	conv = e.only(t, "pager")
	if conv.CanReply || reason(conv.ReplyBlockedReason) != "TEMPLATE_REQUIRED" {
		t.Fatalf("after the window, with templates: %+v", conv)
	}
	if w := e.only(t, "pager_window"); w.CanReply || reason(w.ReplyBlockedReason) != "WINDOW_CLOSED" {
		t.Fatalf("after the window, without templates: %+v", w)
	}
	before := len(conv.Messages.Edges)
	wantConflict(t, s.Do(t, tok, sendQ, map[string]any{"c": conv.ID, "b": "too late"}), "TEMPLATE_REQUIRED")
	r = s.Do(t, tok, sendQ, map[string]any{"c": e.only(t, "pager_window").ID, "b": "too late"})
	wantConflict(t, r, "WINDOW_CLOSED")
	if !strings.Contains(r.Errors[0].Message, "24 hours") {
		t.Fatalf("WINDOW_CLOSED does not name the window: %s", r.Errors[0].Message)
	}
	r = s.Do(t, tok, sendQ, map[string]any{"c": e.only(t, "pager_window").ID, "b": "", "t": map[string]any{"templateID": "order_update", "params": map[string]any{"name": "Ann", "order": "A1"}}})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "INVALID_INPUT" {
		t.Fatalf("a template on a kind without templates: %+v", r.Errors)
	}

	// Templates: wrong ones are refused naming what is wrong.
	for name, tc := range map[string]struct {
		t    map[string]any
		want string
	}{
		"unknown template":  {map[string]any{"templateID": "nope"}, `no template "nope"`},
		"unknown language":  {map[string]any{"templateID": "order_update", "language": "fr"}, `language "fr"`},
		"missing parameter": {map[string]any{"templateID": "order_update", "params": map[string]any{"name": "Ann"}}, `"order"`},
		"unknown parameter": {map[string]any{"templateID": "order_update", "params": map[string]any{"name": "Ann", "order": "1", "x": "y"}}, `no parameter "x"`},
	} {
		r := s.Do(t, tok, sendQ, map[string]any{"c": conv.ID, "b": "", "t": tc.t})
		if codes := r.Codes(); len(codes) != 1 || codes[0] != "INVALID_INPUT" || !strings.Contains(r.Errors[0].Message, tc.want) {
			t.Fatalf("%s: want INVALID_INPUT naming %s, got %+v", name, tc.want, r.Errors)
		}
	}
	if n := len(e.conversation(t, conv.ID).Messages.Edges); n != before {
		t.Fatalf("refused sends stored messages: %d, want %d", n, before)
	}

	var sent struct {
		SendMessage struct{ ID, Body string }
	}
	s.MustDo(t, tok, sendQ, map[string]any{"c": conv.ID, "b": "", "t": map[string]any{"templateID": "order_update", "language": "zh_CN",
		"params": map[string]any{"name": "安", "order": 42}}}, &sent)
	if sent.SendMessage.Body != "安，订单 42 已发货。" {
		t.Fatalf("stored body %q", sent.SendMessage.Body)
	}
	s.MustDo(t, tok, sendQ, map[string]any{"c": e.only(t, "pager_templates").ID, "b": "", "t": map[string]any{"templateID": "opaque"}}, nil)
	var got []channels.Outbound
	testenv.Eventually(t, func() bool {
		got = append(e.pager.outbound(), e.templates.outbound()...)
		return len(got) == 3
	}, "three sends")
	tm := got[1]
	if tm.Template == nil || tm.Template.ID != "order_update" || tm.Template.Language != "zh_CN" || tm.Template.Params["order"] != "42" || tm.Text != "安，订单 42 已发货。" {
		t.Fatalf("the adapter got %+v (template %+v)", tm, tm.Template)
	}
	if op := got[2]; op.Template == nil || op.Template.ID != "opaque" || op.Text != "" {
		t.Fatalf("a provider-rendered template reached the adapter as %+v", op)
	}
	if got[0].ReplyTo != "m1-pager" || got[0].ThreadKey == "" {
		t.Fatalf("reply-to %q, thread key %q", got[0].ReplyTo, got[0].ThreadKey)
	}

	var tpl struct {
		Node struct {
			Templates []struct {
				ID     string
				Params []string
				Body   *string
			}
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Channel { templates { id name language params body } } } }`, map[string]any{"id": e.ids["pager"]}, &tpl)
	if len(tpl.Node.Templates) != 3 || tpl.Node.Templates[0].ID != "order_update" || len(tpl.Node.Templates[0].Params) != 2 || tpl.Node.Templates[2].Body != nil {
		t.Fatalf("Channel.templates: %+v", tpl.Node.Templates)
	}

	// Starting a conversation follows the same rules.
	onlyTemplates := e.only(t, "pager_templates")
	startTQ := `mutation($cu: ID!, $ch: ID!, $b: String!, $t: TemplateMessageInput) { startConversation(input: {customerID: $cu, channelID: $ch, body: $b, template: $t}) { id } }`
	wantConflict(t, s.Do(t, tok, startTQ, map[string]any{"cu": onlyTemplates.Customer.ID, "ch": e.ids["pager_templates"], "b": "hello"}), "TEMPLATE_REQUIRED")
	s.MustDo(t, tok, startTQ, map[string]any{"cu": onlyTemplates.Customer.ID, "ch": e.ids["pager_templates"], "b": "", "t": map[string]any{"templateID": "opaque"}}, nil)

	// The customer writes again: the window opens.
	e.deliver(t, "pager", map[string]any{"Messages": []any{msgFrom("ann", "m2", "still there?")}})
	if c := e.only(t, "pager"); !c.CanReply {
		t.Fatalf("after a new message: %+v", c)
	}
}

// TestChannelEventsAndOptOut: a follow starts a conversation with a
// FOLLOWED activity; an opt-out makes the customer unreachable on the
// channel (OPTED_OUT, sends refused before queuing) and shows on the
// timeline; a redelivered event is recorded once; opting in again makes
// them reachable.
func TestChannelEventsAndOptOut(t *testing.T) {
	e := newPagerEnv(t)
	s, tok := e.s, e.tok
	ev := func(id, kind, detail string) map[string]any {
		return map[string]any{"Events": []any{map[string]any{"ProviderEventID": id, "Kind": kind, "Detail": detail,
			"Sender": map[string]any{"ExternalID": "bob", "Name": "Bob"}}}}
	}
	if st := e.deliver(t, "pager", ev("e1", "FOLLOWED", "qrscene_42")); st != 200 {
		t.Fatalf("follow: %d", st)
	}
	e.deliver(t, "pager", map[string]any{"Messages": []any{msgFrom("bob", "b1", "hi")}})
	conv := e.only(t, "pager")
	if !conv.CanReply {
		t.Fatalf("after a follow and a message: %+v", conv)
	}
	for range 2 { // the provider redelivers
		if st := e.deliver(t, "pager", ev("e2", "OPTED_OUT", "STOP")); st != 200 {
			t.Fatalf("opt-out: %d", st)
		}
	}
	conv = e.only(t, "pager")
	if conv.CanReply || reason(conv.ReplyBlockedReason) != "OPTED_OUT" {
		t.Fatalf("after an opt-out: %+v", conv)
	}
	wantConflict(t, s.Do(t, tok, sendQ, map[string]any{"c": conv.ID, "b": "please come back"}), "OPTED_OUT")
	wantConflict(t, s.Do(t, tok, sendQ, map[string]any{"c": conv.ID, "b": "", "t": map[string]any{"templateID": "opaque"}}), "OPTED_OUT")
	s.MustDo(t, tok, `mutation($c: ID!) { sendMessage(input: {conversationID: $c, body: "note", private: true}) { id } }`, map[string]any{"c": conv.ID}, nil)

	var tl struct {
		Node struct {
			Timeline struct {
				Edges []struct {
					Node struct {
						ActivityKind string
						Note         *string
					}
				}
			}
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Customer { timeline(first: 50) { edges { node { ... on ConversationActivity { activityKind note } } } } } } }`,
		map[string]any{"id": conv.Customer.ID}, &tl)
	var kinds []string
	for _, ed := range tl.Node.Timeline.Edges {
		if k := ed.Node.ActivityKind; k != "" {
			kinds = append(kinds, k+":"+reason(ed.Node.Note))
		}
	}
	slices.Sort(kinds) // the first two happened at one instant of the test's clock
	if want := "FOLLOWED:qrscene_42,OPENED:,OPTED_OUT:STOP"; strings.Join(kinds, ",") != want {
		t.Fatalf("timeline activities %v, want %s", kinds, want)
	}

	e.deliver(t, "pager", ev("e3", "OPTED_IN", "START"))
	if c := e.only(t, "pager"); !c.CanReply {
		t.Fatalf("after opting in: %+v", c)
	}
	s.MustDo(t, tok, sendQ, map[string]any{"c": conv.ID, "b": "welcome back"}, nil)
}

// TestReceipts: receipts move an outbound message's status forward only
// (READ then a late DELIVERED stays READ; FAILED keeps its reason), and a
// receipt that arrives before the send recorded the provider's id is kept
// and applied once it is.
func TestReceipts(t *testing.T) {
	e := newPagerEnv(t)
	s, tok := e.s, e.tok
	e.deliver(t, "pager", map[string]any{"Messages": []any{msgFrom("cy", "c1", "hello")}})
	conv := e.only(t, "pager")
	receipt := func(id, status, why string) {
		t.Helper()
		if st := e.deliver(t, "pager", map[string]any{"Receipts": []any{map[string]any{"ProviderMessageID": id, "Status": status, "Reason": why}}}); st != 200 {
			t.Fatalf("receipt: %d", st)
		}
	}

	// The provider reports on "early" before the send returns it.
	receipt("early", "DELIVERED", "")
	e.pager.returnIDs("early", "second")
	first := s.Send(t, tok, conv.ID, "one")
	waitStatus(t, s, tok, first, "DELIVERED")

	second := s.Send(t, tok, conv.ID, "two")
	waitStatus(t, s, tok, second, "SENT")
	ws, err := s.DialWS(t, tok, testenv.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	updates := ws.Subscribe(`subscription { messageUpdated { message { id deliveryStatus } } }`, nil)
	s.WaitSubscribers(t, 1)
	receipt("second", "READ", "")
	var ev struct {
		MessageUpdated struct {
			Message struct{ ID, DeliveryStatus string }
		}
	}
	updates.Next(t, &ev)
	if ev.MessageUpdated.Message.ID != second || ev.MessageUpdated.Message.DeliveryStatus != "READ" {
		t.Fatalf("messageUpdated = %+v", ev)
	}
	receipt("second", "DELIVERED", "") // late, out of order
	if st, _ := waitStatus(t, s, tok, second, "READ"); st != "READ" {
		t.Fatal(st)
	}

	e.pager.returnIDs("third")
	third := s.Send(t, tok, conv.ID, "three")
	waitStatus(t, s, tok, third, "SENT")
	receipt("third", "FAILED", "handset unreachable")
	if _, why := waitStatus(t, s, tok, third, "FAILED"); why != "handset unreachable" {
		t.Fatalf("deliveryError %q", why)
	}
	receipt("unknown-id", "READ", "") // a message sent elsewhere: kept, harmless
}

// TestThreadKeyAndAutoSubmitted: a reply carrying a conversation's key
// joins that conversation (reopening it) rather than the customer's open
// one; an auto-submitted message (an out-of-office) is stored but neither
// reopens a resolved conversation nor makes the customer wait.
func TestThreadKeyAndAutoSubmitted(t *testing.T) {
	e := newPagerEnv(t)
	s, tok := e.s, e.tok
	e.deliver(t, "pager", map[string]any{"Messages": []any{msgFrom("dee", "d1", "first topic")}})
	a := e.only(t, "pager")
	s.Send(t, tok, a.ID, "answer")
	var key string
	testenv.Eventually(t, func() bool {
		if out := e.pager.outbound(); len(out) == 1 {
			key = out[0].ThreadKey
		}
		return key != ""
	}, "the reply to reach the provider")
	s.MustDo(t, tok, `mutation($id: ID!) { setConversationStatus(id: $id, status: RESOLVED) { id } }`, map[string]any{"id": a.ID}, nil)

	// An out-of-office answer: stored in the resolved conversation, which
	// stays resolved.
	auto := msgFrom("dee", "d-auto", "I am away")
	auto["AutoSubmitted"] = true
	e.deliver(t, "pager", map[string]any{"Messages": []any{auto}})
	got := e.conversation(t, a.ID)
	if got.Status != "RESOLVED" || len(got.Messages.Edges) != 3 || !got.Messages.Edges[2].Node.AutoSubmitted {
		t.Fatalf("after an auto-reply: status %s, %d messages", got.Status, len(got.Messages.Edges))
	}

	// An agent starts a second conversation with Dee on the channel.
	var b struct{ StartConversation struct{ ID string } }
	s.MustDo(t, tok, `mutation($cu: ID!, $ch: ID!) { startConversation(input: {customerID: $cu, channelID: $ch, body: "new topic"}) { id } }`,
		map[string]any{"cu": a.Customer.ID, "ch": e.ids["pager"]}, &b)

	// Dee answers the first thread: it reopens, the second is untouched.
	threaded := msgFrom("dee", "d2", "back to the first topic")
	threaded["ThreadKey"] = key
	e.deliver(t, "pager", map[string]any{"Messages": []any{threaded}})
	if got := e.conversation(t, a.ID); got.Status != "OPEN" || got.Messages.Edges[len(got.Messages.Edges)-1].Node.Body != "back to the first topic" {
		t.Fatalf("the threaded reply: %+v", got)
	}
	// A key that is not Dee's (or nobody's) is ignored: the open conversation.
	stray := msgFrom("dee", "d3", "no thread")
	stray["ThreadKey"] = "not-a-key"
	e.deliver(t, "pager", map[string]any{"Messages": []any{stray}})
	// Both are open now: the newest takes it.
	if n := len(e.conversation(t, b.StartConversation.ID).Messages.Edges); n != 2 {
		t.Fatalf("conversation B has %d messages, want 2", n)
	}
}

// TestRetryAfter: a send the provider asks to retry later is not
// attempted again before that time.
func TestRetryAfter(t *testing.T) {
	e := newPagerEnv(t)
	s, tok := e.s, e.tok
	e.deliver(t, "pager", map[string]any{"Messages": []any{msgFrom("eve", "e1", "hello")}})
	conv := e.only(t, "pager")
	e.pager.answerNext(channels.RetryLater(time.Hour, "rate limited"))
	id := s.Send(t, tok, conv.ID, "later")
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Node struct{ DeliveryStatus, DeliveryError string }
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": id}, &out)
		if out.Node.DeliveryStatus != "QUEUED" || out.Node.DeliveryError != "rate limited" {
			return errStr("message is " + out.Node.DeliveryStatus + " (" + out.Node.DeliveryError + ")")
		}
		return nil
	})
	time.Sleep(300 * time.Millisecond) // many backoffs of the test's 20 ms retry
	if n := len(e.pager.outbound()); n != 0 {
		t.Fatalf("sent %d times within the hour the provider asked for", n)
	}
	e.clock.Advance(61 * time.Minute)
	waitStatus(t, s, tok, id, "SENT")
}

type errStr string

func (e errStr) Error() string { return string(e) }

// TestEnableHook: a kind that registers with its provider starts
// disabled; enabling calls its Enable outside any transaction, and a
// refusal leaves it disabled with CONFLICT giving the provider's words;
// disabling calls Disable after the channel is off.
func TestEnableHook(t *testing.T) {
	e := newPagerEnv(t)
	s, tok := e.s, e.tok
	id := e.ids["pager"]
	enabled := func() bool {
		var out struct{ Node struct{ Enabled bool } }
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Channel { enabled } } }`, map[string]any{"id": id}, &out)
		return out.Node.Enabled
	}
	if calls := e.pager.hookCalls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "enable http://switchboard.test/webhooks/pager/") || !enabled() {
		t.Fatalf("after enabling: calls %v, enabled %v", calls, enabled())
	}
	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: false) { id } }`, map[string]any{"id": id}, nil)
	if calls := e.pager.hookCalls(); len(calls) != 2 || !strings.HasPrefix(calls[1], "disable ") || enabled() {
		t.Fatalf("after disabling: calls %v, enabled %v", calls, enabled())
	}
	e.pager.mu.Lock()
	e.pager.enableErr = errStr("bad token: 401 from the provider")
	e.pager.mu.Unlock()
	r := s.Do(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": id})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "CONFLICT" || !strings.Contains(r.Errors[0].Message, "bad token") || enabled() {
		t.Fatalf("a refused enable: %+v, enabled %v", r.Errors, enabled())
	}
	// Setting the same state again calls nothing.
	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: false) { id } }`, map[string]any{"id": id}, nil)
	if calls := e.pager.hookCalls(); len(calls) != 2 {
		t.Fatalf("calls %v", calls)
	}
}
