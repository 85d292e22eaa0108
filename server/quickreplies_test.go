package server_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/smstencent/smstencenttest"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/viewer"
)

const qrFields = `id shortcut title body scope team { id } owner { id } createdAt updatedAt`

type quickReply struct {
	ID, Shortcut, Title, Body, Scope string
	Team, Owner                      *struct{ ID string }
	Attachments                      []attachment
}

const createQR = `mutation($in: CreateQuickReplyInput!) { createQuickReply(input: $in) { ` + qrFields + ` } }`

func createQuickReply(t *testing.T, s *testenv.Server, tok string, in map[string]any) quickReply {
	t.Helper()
	var out struct{ CreateQuickReply quickReply }
	s.MustDo(t, tok, createQR, map[string]any{"in": in}, &out)
	return out.CreateQuickReply
}

// listQuickReplies pages through quickReplies(search:) first at a time
// and returns the shortcuts in order and the total count.
func listQuickReplies(t *testing.T, s *testenv.Server, tok, search string, first int) ([]string, int) {
	t.Helper()
	var got []string
	var after any
	for page := 0; ; page++ {
		var out struct {
			QuickReplies struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   *string
				}
				Edges []struct {
					Cursor string
					Node   quickReply
				}
			}
		}
		s.MustDo(t, tok, `query($s: String, $f: Int, $a: Cursor) { quickReplies(search: $s, first: $f, after: $a) {
			totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id shortcut } } } }`,
			map[string]any{"s": search, "f": first, "a": after}, &out)
		c := out.QuickReplies
		if len(c.Edges) > first || page > 20 {
			t.Fatalf("page %d has %d edges (first %d)", page, len(c.Edges), first)
		}
		for _, e := range c.Edges {
			got = append(got, e.Node.Shortcut)
		}
		if !c.PageInfo.HasNextPage {
			return got, c.TotalCount
		}
		after = *c.PageInfo.EndCursor
	}
}

func wantCode(t *testing.T, r *testenv.Response, code string) {
	t.Helper()
	if codes := r.Codes(); len(codes) != 1 || codes[0] != code {
		t.Fatalf("want %s, got %+v", code, r.Errors)
	}
}

// TestQuickReplyScopes: any agent keeps PERSONAL quick replies that no one
// else sees; WORKSPACE and TEAM ones need a supervisor and are seen by
// everyone, and by the team's members; whatever an agent cannot see is
// NOT_FOUND (as another workspace's); an unknown variable is INVALID_INPUT
// and saves nothing; a taken shortcut is CONFLICT; updates and deletes.
func TestQuickReplyScopes(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	aID, a := newAgent(t, s, admin, "qr-a@example.com", "AGENT")
	_, b := newAgent(t, s, admin, "qr-b@example.com", "AGENT")
	team := createID(t, s, admin, `mutation($a: [ID!]) { createTeam(input: {name: "Billing", agentIDs: $a}) { id } }`,
		map[string]any{"a": []string{aID}})

	mine := createQuickReply(t, s, a, map[string]any{"shortcut": "/Thanks", "title": "Thanks", "body": `Thanks {{customer.name | "there"}}!`, "scope": "PERSONAL"})
	if mine.Shortcut != "thanks" || mine.Scope != "PERSONAL" || mine.Owner == nil || mine.Owner.ID != aID || mine.Team != nil {
		t.Fatalf("created %+v", mine)
	}
	wantCode(t, s.Do(t, a, createQR, map[string]any{"in": map[string]any{"shortcut": "all", "title": "x", "body": "x", "scope": "WORKSPACE"}}), "FORBIDDEN")
	wantCode(t, s.Do(t, a, createQR, map[string]any{"in": map[string]any{"shortcut": "tm", "title": "x", "body": "x", "scope": "TEAM", "teamID": team}}), "FORBIDDEN")
	shared := createQuickReply(t, s, admin, map[string]any{"shortcut": "hello", "title": "Hello", "body": "Hello!", "scope": "WORKSPACE"})
	teamQR := createQuickReply(t, s, admin, map[string]any{"shortcut": "invoice", "title": "Invoice", "body": "See your invoice.", "scope": "TEAM", "teamID": team})
	if teamQR.Team == nil || teamQR.Team.ID != team || teamQR.Owner != nil {
		t.Fatalf("team quick reply %+v", teamQR)
	}
	wantCode(t, s.Do(t, admin, createQR, map[string]any{"in": map[string]any{"shortcut": "x", "title": "x", "body": "x", "scope": "TEAM"}}), "INVALID_INPUT")

	// Who sees what.
	for _, tc := range []struct {
		who, tok string
		want     string
	}{{"A", a, "hello,invoice,thanks"}, {"B", b, "hello"}, {"admin", admin, "hello,invoice"}} {
		got, total := listQuickReplies(t, s, tc.tok, "", 10)
		if strings.Join(sortedCopy(got), ",") != strings.Join(sortedCopy(strings.Split(tc.want, ",")), ",") || total != len(got) {
			t.Errorf("%s sees %v (total %d), want %s", tc.who, got, total, tc.want)
		}
	}
	var node struct{ Node *struct{ ID string } }
	s.MustDo(t, b, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": mine.ID}, &node)
	if node.Node != nil {
		t.Fatal("B reads A's personal quick reply through node")
	}
	upd := `mutation($id: ID!, $in: UpdateQuickReplyInput!) { updateQuickReply(id: $id, input: $in) { ` + qrFields + ` } }`
	wantCode(t, s.Do(t, b, upd, map[string]any{"id": mine.ID, "in": map[string]any{"title": "mine now"}}), "NOT_FOUND")
	wantCode(t, s.Do(t, b, `mutation($id: ID!) { deleteQuickReply(id: $id) }`, map[string]any{"id": teamQR.ID}), "NOT_FOUND")
	wantCode(t, s.Do(t, admin, upd, map[string]any{"id": mine.ID, "in": map[string]any{"title": "x"}}), "NOT_FOUND")
	wantCode(t, s.Do(t, a, upd, map[string]any{"id": teamQR.ID, "in": map[string]any{"title": "x"}}), "FORBIDDEN")
	other := s.NewWorkspace(t, "Other", "qr-other@example.com")
	wantCode(t, s.Do(t, other, upd, map[string]any{"id": shared.ID, "in": map[string]any{"title": "x"}}), "NOT_FOUND")
	if got, _ := listQuickReplies(t, s, other, "", 10); len(got) != 0 {
		t.Fatalf("another workspace lists %v", got)
	}

	// An unknown variable: INVALID_INPUT naming it, nothing saved.
	r := s.Do(t, a, createQR, map[string]any{"in": map[string]any{"shortcut": "bad", "title": "Bad", "body": "Hi {{customer.nickname}}", "scope": "PERSONAL"}})
	wantCode(t, r, "INVALID_INPUT")
	if !strings.Contains(r.Errors[0].Message, `unknown variable "customer.nickname"`) {
		t.Fatalf("message %q", r.Errors[0].Message)
	}
	wantCode(t, s.Do(t, a, upd, map[string]any{"id": mine.ID, "in": map[string]any{"body": "{{agent.name"}}), "INVALID_INPUT")
	if got, _ := listQuickReplies(t, s, a, "", 10); len(got) != 3 {
		t.Fatalf("after refusals A sees %v", got)
	}
	// A shortcut is unique per scope: B may have their own "thanks".
	wantCode(t, s.Do(t, a, createQR, map[string]any{"in": map[string]any{"shortcut": "thanks", "title": "x", "body": "x", "scope": "PERSONAL"}}), "CONFLICT")
	createQuickReply(t, s, b, map[string]any{"shortcut": "thanks", "title": "B's", "body": "x", "scope": "PERSONAL"})

	var changed struct{ UpdateQuickReply quickReply }
	s.MustDo(t, a, upd, map[string]any{"id": mine.ID, "in": map[string]any{"shortcut": "ty", "body": "Thank you, {{agent.name}}"}}, &changed)
	if c := changed.UpdateQuickReply; c.Shortcut != "ty" || c.Body != "Thank you, {{agent.name}}" || c.Title != "Thanks" {
		t.Fatalf("updated %+v", c)
	}
	var del struct{ DeleteQuickReply string }
	s.MustDo(t, a, `mutation($id: ID!) { deleteQuickReply(id: $id) }`, map[string]any{"id": mine.ID}, &del)
	if del.DeleteQuickReply != mine.ID {
		t.Fatalf("deleteQuickReply returned %q", del.DeleteQuickReply)
	}
	wantCode(t, s.Do(t, a, upd, map[string]any{"id": mine.ID, "in": map[string]any{"title": "x"}}), "NOT_FOUND")
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestQuickReplySearch: "/ref" and "ref" rank shortcuts starting with ref
// first, then shortcut, title or body containing it in any case, each by
// shortcut; small pages continue exactly across the two groups.
func TestQuickReplySearch(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	for _, q := range [][3]string{
		{"refund", "Refund", "We refunded you."},
		{"ref-policy", "Policy", "Our policy."},
		{"reference", "Reference", "Your reference."},
		{"about", "About REFUNDS", "About us."},
		{"billing", "Billing", "See the Ref page."},
		{"my-ref", "Mine", "x"},
		{"zzz", "Sleep", "Nothing here."},
		{"re_f", "Wildcard", "an underscore is not a wildcard"},
	} {
		createQuickReply(t, s, tok, map[string]any{"shortcut": q[0], "title": q[1], "body": q[2], "scope": "WORKSPACE"})
	}
	want := "ref-policy,reference,refund,about,billing,my-ref"
	for _, search := range []string{"/ref", "ref", "/REF"} {
		for _, first := range []int{1, 2, 4, 20} {
			got, total := listQuickReplies(t, s, tok, search, first)
			if strings.Join(got, ",") != want || total != 6 {
				t.Errorf("search %q, pages of %d: %v (total %d), want %s", search, first, got, total, want)
			}
		}
	}
	if got, total := listQuickReplies(t, s, tok, "", 3); total != 8 || strings.Join(got, ",") != "about,billing,my-ref,re_f,ref-policy,reference,refund,zzz" {
		t.Errorf("no search: %v (%d)", got, total)
	}
	if got, _ := listQuickReplies(t, s, tok, "/", 100); len(got) != 8 {
		t.Errorf(`search "/": %v`, got)
	}
	if got, _ := listQuickReplies(t, s, tok, "nothing here", 5); strings.Join(got, ",") != "zzz" {
		t.Errorf("body search: %v", got)
	}
	wantCode(t, s.Do(t, tok, `{ quickReplies(first: 101) { totalCount } }`, nil), "INVALID_INPUT")
}

// TestRenderQuickReply fills a quick reply for a conversation: the
// customer's values, the channel's name, the calling agent, fallbacks.
func TestRenderQuickReply(t *testing.T) {
	s := testenv.New(t)
	admin := s.AdminToken(t)
	ch := createAPIChannel(t, s, admin, "")
	conv := replyTo(t, s, ch, "user-1") // the customer is "Dana"
	var me struct{ Viewer struct{ Name string } }
	s.MustDo(t, admin, `{ viewer { name } }`, nil, &me)
	var chName struct{ Node struct{ Name string } }
	s.MustDo(t, admin, `query($id: ID!) { node(id: $id) { ... on Channel { name } } }`, map[string]any{"id": ch.ID}, &chName)
	qr := createQuickReply(t, s, admin, map[string]any{"shortcut": "hi", "title": "Hi", "scope": "WORKSPACE",
		"body": `Hi {{customer.name | "there"}}, {{agent.name}} here on {{channel.name}} ({{customer.email | "no email"}}, plan {{customer.attributes.plan | "free"}}) #{{conversation.id}}`})
	render := `query($id: ID!, $c: ID!) { renderQuickReply(id: $id, conversationID: $c) }`
	var out struct{ RenderQuickReply string }
	s.MustDo(t, admin, render, map[string]any{"id": qr.ID, "c": conv}, &out)
	want := "Hi Dana, " + me.Viewer.Name + " here on " + chName.Node.Name + " (no email, plan free) #" + conv
	if out.RenderQuickReply != want {
		t.Fatalf("rendered %q, want %q", out.RenderQuickReply, want)
	}
	_, b := newAgent(t, s, admin, "qr-render@example.com", "AGENT")
	s.MustDo(t, b, render, map[string]any{"id": qr.ID, "c": conv}, &out)
	if !strings.Contains(out.RenderQuickReply, ", A here on") {
		t.Fatalf("another agent's rendering: %q", out.RenderQuickReply)
	}
	wantCode(t, s.Do(t, admin, render, map[string]any{"id": qr.ID, "c": "cnv_00000000000000000000000000"}), "NOT_FOUND")
	other := s.NewWorkspace(t, "Other", "qr-render-other@example.com")
	wantCode(t, s.Do(t, other, render, map[string]any{"id": qr.ID, "c": conv}), "NOT_FOUND")
}

// TestQuickReplyAttachments: a quick reply keeps its uploads past the
// sweep of unattached ones; each use sends fresh copies, so deleting a
// sent copy leaves the quick reply's file; deleting the quick reply
// deletes its files.
func TestQuickReplyAttachments(t *testing.T) {
	clk := &clock{at: time.Now().UTC()}
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) { o.Now = clk.Now }})
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, s, tok, in.URL)
	conv := replyTo(t, s, ch, "user-1")
	pdf := []byte("%PDF-1.7\n" + strings.Repeat("q", 3000))
	doc := upload(t, s, tok, "terms.pdf", "application/pdf", pdf)
	stray := upload(t, s, tok, "stray.pdf", "application/pdf", pdf)
	qr := createQuickReply(t, s, tok, map[string]any{"shortcut": "terms", "title": "Terms", "body": "Our terms.", "scope": "WORKSPACE",
		"attachmentIDs": []string{doc.ID}})
	readQR := func() quickReply {
		var out struct{ Node quickReply }
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on QuickReply { id attachments { `+attachmentFields+` } } } }`, map[string]any{"id": qr.ID}, &out)
		return out.Node
	}
	if got := readQR().Attachments; len(got) != 1 || got[0].ID != doc.ID || got[0].URL == nil {
		t.Fatalf("quick reply attachments %+v", got)
	}
	// Its file is not an upload to send on its own.
	wantCode(t, s.Do(t, tok, `mutation($c: ID!, $a: [ID!]) { sendMessage(input: {conversationID: $c, attachmentIDs: $a}) { id } }`,
		map[string]any{"c": conv, "a": []string{doc.ID}}), "CONFLICT")

	clk.Advance(25 * time.Hour)
	if _, _, err := s.App.Files.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok = s.AdminToken(t) // the session of a day ago expired
	var node struct{ Node *struct{ ID string } }
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": stray.ID}, &node)
	if node.Node != nil {
		t.Fatal("the sweep left an unattached upload")
	}
	if got := readQR().Attachments; len(got) != 1 || got[0].ID != doc.ID {
		t.Fatalf("after the sweep: %+v", got)
	}

	send := `mutation($c: ID!, $q: ID!, $b: String!) { sendMessage(input: {conversationID: $c, body: $b, quickReplyID: $q}) { id body attachments { ` + attachmentFields + ` } } }`
	var sent [2]struct {
		SendMessage struct {
			ID, Body    string
			Attachments []attachment
		}
	}
	for i := range sent {
		s.MustDo(t, tok, send, map[string]any{"c": conv, "q": qr.ID, "b": "Our terms."}, &sent[i])
		got := sent[i].SendMessage.Attachments
		if len(got) != 1 || got[0].ID == doc.ID || got[0].Name != "terms.pdf" || got[0].Size != int64(len(pdf)) || got[0].URL == nil {
			t.Fatalf("send %d carries %+v", i, got)
		}
		res, body := fetchLink(t, s, *got[0].URL)
		if res.StatusCode != 200 || !bytes.Equal(body, pdf) {
			t.Fatalf("send %d: the copy serves %d, %d bytes", i, res.StatusCode, len(body))
		}
	}
	if sent[0].SendMessage.Attachments[0].ID == sent[1].SendMessage.Attachments[0].ID {
		t.Fatal("two sends share one file")
	}
	s.MustDo(t, tok, `mutation($id: ID!) { deleteAttachment(id: $id) }`, map[string]any{"id": sent[0].SendMessage.Attachments[0].ID}, nil)
	got := readQR().Attachments
	if len(got) != 1 || got[0].URL == nil || got[0].DeletedAt != nil {
		t.Fatalf("after deleting a sent copy: %+v", got)
	}
	if res, body := fetchLink(t, s, *got[0].URL); res.StatusCode != 200 || !bytes.Equal(body, pdf) {
		t.Fatalf("the quick reply's file serves %d", res.StatusCode)
	}
	if res, _ := fetchLink(t, s, *sent[1].SendMessage.Attachments[0].URL); res.StatusCode != 200 {
		t.Fatalf("the other send's copy serves %d", res.StatusCode)
	}
	wantCode(t, s.Do(t, tok, send, map[string]any{"c": conv, "q": "qr_00000000000000000000000000", "b": "x"}), "NOT_FOUND")

	s.MustDo(t, tok, `mutation($id: ID!) { deleteQuickReply(id: $id) }`, map[string]any{"id": qr.ID}, nil)
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": doc.ID}, &node)
	if node.Node != nil {
		t.Fatal("deleting the quick reply left its file")
	}
	if res, _ := fetchLink(t, s, *got[0].URL); res.StatusCode == 200 {
		t.Fatal("the deleted quick reply's file is still served")
	}
}

// TestQuickReplyTemplate: on a template-only channel a quick reply sends
// its template, the parameters filled for the conversation.
func TestQuickReplyTemplate(t *testing.T) {
	e := newTencentEnv(t)
	s, tok := e.s, e.tok
	var cu struct{ CreateCustomer struct{ ID string } }
	s.MustDo(t, tok, `mutation { createCustomer(input: {name: "Dana"}) { id } }`, nil, &cu)
	s.MustDo(t, tok, `mutation($c: ID!) { addCustomerIdentity(customerID: $c, kind: PHONE, value: "+86 138 0013 8000", verified: true) { id } }`,
		map[string]any{"c": cu.CreateCustomer.ID}, nil)
	var started struct{ StartConversation struct{ ID string } }
	s.MustDo(t, tok, `mutation($c: ID!, $ch: ID!, $t: TemplateMessageInput) { startConversation(input: {customerID: $c, channelID: $ch, template: $t}) { id } }`,
		map[string]any{"c": cu.CreateCustomer.ID, "ch": e.id,
			"t": map[string]any{"templateID": smstencenttest.TemplateID, "params": map[string]any{"name": "Dana", "order": "A-1"}}}, &started)

	qr := createQuickReply(t, s, tok, map[string]any{"shortcut": "shipped", "title": "Shipped", "scope": "WORKSPACE",
		"template": map[string]any{"templateID": smstencenttest.TemplateID,
			"params": map[string]any{"name": `{{customer.name | "friend"}}`, "order": `{{customer.attributes.order | "your order"}}`}}})
	var tpl struct {
		Node struct {
			Template struct {
				TemplateID string
				Params     map[string]any
			}
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on QuickReply { template { templateID params } } } }`, map[string]any{"id": qr.ID}, &tpl)
	if tpl.Node.Template.TemplateID != smstencenttest.TemplateID || tpl.Node.Template.Params["name"] != `{{customer.name | "friend"}}` {
		t.Fatalf("stored template %+v", tpl.Node.Template)
	}
	wantCode(t, s.Do(t, tok, createQR, map[string]any{"in": map[string]any{"shortcut": "bad", "title": "x", "scope": "WORKSPACE",
		"template": map[string]any{"templateID": "1", "params": map[string]any{"name": "{{order.id}}"}}}}), "INVALID_INPUT")

	var sent struct{ SendMessage struct{ Body string } }
	s.MustDo(t, tok, `mutation($c: ID!, $q: ID!) { sendMessage(input: {conversationID: $c, quickReplyID: $q}) { body } }`,
		map[string]any{"c": started.StartConversation.ID, "q": qr.ID}, &sent)
	if sent.SendMessage.Body != "Hello Dana, your order your order has shipped." {
		t.Fatalf("sent %q", sent.SendMessage.Body)
	}
}

// TestQuickReplySendAutomated: the service call the automation engine
// makes sends the quick reply on the business's behalf in the caller's
// transaction: rendered with no agent (agent.* take their fallbacks), as
// a BOT message, with copies of its files.
func TestQuickReplySendAutomated(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	conv := replyTo(t, s, ch, "user-1")
	doc := upload(t, s, tok, "menu.pdf", "application/pdf", []byte("%PDF-1.7\nmenu"))
	qr := createQuickReply(t, s, tok, map[string]any{"shortcut": "menu", "title": "Menu", "scope": "WORKSPACE",
		"body": `Hi {{customer.name | "there"}}, here is our menu. {{agent.name | "The Shop team"}}`, "attachmentIDs": []string{doc.ID}})

	base := privacy.DecisionContext(context.Background(), privacy.Allow)
	cv, err := s.App.Client.Conversation.Get(base, gid.ID(conv))
	if err != nil {
		t.Fatal(err)
	}
	ctx := viewer.NewContext(context.Background(), viewer.System(cv.WorkspaceID))
	var msgID gid.ID
	err = store.InTx(ctx, s.App.Client, func(ctx context.Context) error {
		if err := s.App.QuickReplies.Exists(ctx, gid.ID(qr.ID)); err != nil {
			return err
		}
		m, err := s.App.QuickReplies.Send(ctx, gid.ID(qr.ID), gid.ID(conv))
		if m != nil {
			msgID = m.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Node struct {
			Body, SenderKind string
			Attachments      []attachment
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { body senderKind attachments { `+attachmentFields+` } } } }`,
		map[string]any{"id": msgID}, &out)
	if out.Node.Body != "Hi Dana, here is our menu. The Shop team" || out.Node.SenderKind != "BOT" ||
		len(out.Node.Attachments) != 1 || out.Node.Attachments[0].ID == doc.ID || out.Node.Attachments[0].Name != "menu.pdf" {
		t.Fatalf("automated send: %+v", out.Node)
	}
	if err := s.App.QuickReplies.Exists(ctx, "qr_00000000000000000000000000"); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("Exists of an unknown quick reply: %v", err)
	}
}

// TestQuickRepliesStatementCount: a page of quick replies with their
// teams, owners and files costs the same statements for 3 as for 11.
func TestQuickRepliesStatementCount(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	team := createID(t, s, tok, `mutation { createTeam(input: {name: "Support"}) { id } }`, nil)
	for i := range 12 {
		f := upload(t, s, tok, fmt.Sprintf("f%d.pdf", i), "application/pdf", []byte("%PDF-1.7\n"+strings.Repeat("z", i+1)))
		in := map[string]any{"shortcut": fmt.Sprintf("qr-%02d", i), "title": "T", "body": "B", "scope": "TEAM", "teamID": team, "attachmentIDs": []string{f.ID}}
		if i%2 == 0 {
			in["scope"], in["teamID"] = "PERSONAL", nil
		}
		createQuickReply(t, s, tok, in)
	}
	q := `query($n: Int!) { quickReplies(search: "qr", first: $n) { totalCount edges { node { id team { name } owner { name } attachments { id name } } } } }`
	count := func(n int) int64 {
		before := s.Statements.Load()
		r := s.Do(t, tok, q, map[string]any{"n": n})
		if r.Status != 200 || len(r.Errors) > 0 {
			t.Fatalf("query: %+v", r.Errors)
		}
		if got := strings.Count(string(r.Data), `"attachments":[{`); got != n {
			t.Fatalf("%d quick replies with files, want %d: %s", got, n, r.Data)
		}
		return s.Statements.Load() - before
	}
	if small, large := count(3), count(11); small != large {
		t.Errorf("3 quick replies cost %d statements, 11 cost %d: an N+1", small, large)
	}
}
