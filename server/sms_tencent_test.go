package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/smstencent/smstencenttest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/testenv"
)

// tencentEnv is a server with a Tencent SMS channel talking to the fake,
// both on a clock that moves only when the test says.
type tencentEnv struct {
	s     *testenv.Server
	tok   string
	fake  *smstencenttest.Fake
	clock *clock
	id    string // the channel
	hook  string // its webhook URL on the test server
}

func newTencentEnv(t *testing.T) *tencentEnv {
	t.Helper()
	e := &tencentEnv{clock: &clock{at: time.Now().UTC()}, fake: smstencenttest.New(t)}
	e.fake.SetNow(e.clock.Now) // Tencent checks X-TC-Timestamp against its own clock
	e.s = testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) { o.Now = e.clock.Now }})
	e.tok = e.s.AdminToken(t)
	var ch struct {
		CreateChannel struct {
			ID, WebhookURL string
			Enabled        bool
		}
	}
	e.s.MustDo(t, e.tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "sms_tencent", name: "SMS", settings: $s, secrets: $x}) { id webhookURL enabled } }`,
		map[string]any{"s": e.fake.Settings(), "x": e.fake.Secrets()}, &ch)
	if ch.CreateChannel.Enabled {
		t.Fatal("a Tencent SMS channel starts enabled before its credentials are verified")
	}
	e.id = ch.CreateChannel.ID
	e.hook = e.s.URL + strings.TrimPrefix(ch.CreateChannel.WebhookURL, e.s.Config.PublicURL)
	var v struct {
		VerifyChannel struct{ VerificationState, VerificationError string }
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState verificationError } }`, map[string]any{"id": e.id}, &v)
	if v.VerifyChannel.VerificationState != "VERIFIED" {
		t.Fatalf("verify: %+v", v.VerifyChannel)
	}
	if r := e.fake.Requests(); len(r) != 1 || r[0].Action != "SendStatusStatistics" {
		t.Fatalf("verify made %+v, want one SendStatusStatistics", r)
	}
	e.s.MustDo(t, e.tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": e.id}, nil)
	return e
}

// callback posts body to the channel's webhook as Tencent would, with
// the token the admin put in the callback URL.
func (e *tencentEnv) callback(t *testing.T, token string, body []byte) (int, string) {
	t.Helper()
	url := e.hook
	if token != "" {
		url += "?token=" + token
	}
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

type tencentConv struct {
	ID       string
	Customer struct{ ID string }
	Messages struct {
		Edges []struct {
			Node struct{ ID, Body, Direction string }
		}
	}
}

func (e *tencentEnv) conversations(t *testing.T) []tencentConv {
	t.Helper()
	var out struct {
		Conversations struct{ Edges []struct{ Node tencentConv } }
	}
	e.s.MustDo(t, e.tok, `{ conversations { edges { node { id customer { id } messages { edges { node { id body direction } } } } } } }`, nil, &out)
	convs := make([]tencentConv, len(out.Conversations.Edges))
	for i, c := range out.Conversations.Edges {
		convs[i] = c.Node
	}
	return convs
}

const tencentPhone = "+8613800138000"

// TestTencentSMSChannel: a verified channel lists its templates; an
// agent starts a conversation with a customer known only by phone number
// by sending a template (free text is refused before anything is queued);
// Tencent's status callback marks it DELIVERED; the customer's SMS reply
// joins that conversation, once however often Tencent posts it; forged
// and malformed callbacks store nothing.
func TestTencentSMSChannel(t *testing.T) {
	e := newTencentEnv(t)
	s, tok := e.s, e.tok

	var tpl struct {
		Node struct {
			Templates []struct {
				ID, Name string
				Params   []string
			}
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Channel { templates { id name params } } } }`, map[string]any{"id": e.id}, &tpl)
	if got := tpl.Node.Templates; len(got) != 1 || got[0].ID != smstencenttest.TemplateID || got[0].Name != "Order shipped" ||
		strings.Join(got[0].Params, ",") != "name,order" {
		t.Fatalf("Channel.templates = %+v", got)
	}

	var cu struct{ CreateCustomer struct{ ID string } }
	s.MustDo(t, tok, `mutation { createCustomer(input: {name: "Dana"}) { id } }`, nil, &cu)
	customer := cu.CreateCustomer.ID
	// Verified, as a number the customer called from is: the carrier's
	// word on an SMS sender then joins them (an unverified one would not).
	s.MustDo(t, tok, `mutation($c: ID!) { addCustomerIdentity(customerID: $c, kind: PHONE, value: "+86 138 0013 8000", verified: true) { id } }`,
		map[string]any{"c": customer}, nil)

	// Free text is refused before anything is queued.
	start := `mutation($c: ID!, $ch: ID!, $b: String!, $t: TemplateMessageInput) { startConversation(input: {customerID: $c, channelID: $ch, body: $b, template: $t}) {
		id messages { edges { node { id body deliveryStatus } } } } }`
	wantConflict(t, s.Do(t, tok, start, map[string]any{"c": customer, "ch": e.id, "b": "Your order shipped"}), "TEMPLATE_REQUIRED")
	if n := len(e.conversations(t)); n != 0 {
		t.Fatalf("a refused start left %d conversations", n)
	}

	// A template goes to the customer's number.
	e.fake.Answer(channelstest.Answer{Outcome: channelstest.OK, ID: "2433:shipped-1"})
	var started struct {
		StartConversation struct {
			ID       string
			Messages struct {
				Edges []struct{ Node struct{ ID, Body string } }
			}
		}
	}
	s.MustDo(t, tok, start, map[string]any{"c": customer, "ch": e.id, "b": "",
		"t": map[string]any{"templateID": smstencenttest.TemplateID, "params": map[string]any{"name": "Dana", "order": "A-17"}}}, &started)
	conv := started.StartConversation
	if len(conv.Messages.Edges) != 1 || conv.Messages.Edges[0].Node.Body != "Hello Dana, your order A-17 has shipped." {
		t.Fatalf("started %+v", conv)
	}
	msg := conv.Messages.Edges[0].Node.ID
	waitStatus(t, s, tok, msg, "SENT")
	bodies := e.fake.SendBodies()
	if len(bodies) != 1 {
		t.Fatalf("%d sends", len(bodies))
	}
	if b := bodies[0]; strings.Join(b.PhoneNumberSet, ",") != tencentPhone || b.TemplateId != smstencenttest.TemplateID ||
		strings.Join(b.TemplateParamSet, "|") != "Dana|A-17" || b.SignName != smstencenttest.SignName ||
		b.SmsSdkAppId != smstencenttest.SdkAppID || b.SessionContext == "" {
		t.Fatalf("SendSms body %+v", b)
	}

	// Tencent's status report: DELIVERED.
	if code, body := e.callback(t, smstencenttest.CallbackToken, smstencenttest.Status("2433:shipped-1", tencentPhone, true, e.clock.Now())); code != 200 || body != `{"result":0,"errmsg":"OK"}` {
		t.Fatalf("status callback: %d %s", code, body)
	}
	waitStatus(t, s, tok, msg, "DELIVERED")

	// The customer answers by SMS: same customer, same conversation, once.
	reply := smstencenttest.Reply(tencentPhone, "收到，谢谢！", e.clock.Now().Unix())
	for i := range 2 {
		if code, body := e.callback(t, smstencenttest.CallbackToken, reply); code != 200 || body != `{"result":0,"errmsg":"OK"}` {
			t.Fatalf("reply callback #%d: %d %s", i+1, code, body)
		}
	}
	convs := e.conversations(t)
	if len(convs) != 1 || convs[0].ID != conv.ID || convs[0].Customer.ID != customer || len(convs[0].Messages.Edges) != 2 ||
		convs[0].Messages.Edges[1].Node.Body != "收到，谢谢！" || convs[0].Messages.Edges[1].Node.Direction != "INBOUND" {
		t.Fatalf("after the reply (posted twice): %+v", convs)
	}

	// Forged and malformed callbacks store nothing.
	other := smstencenttest.Reply("+8613900139000", "forged", e.clock.Now().Unix())
	for name, tc := range map[string]struct {
		token string
		body  []byte
		want  int
	}{
		"no token":         {"", other, 401},
		"wrong token":      {"cb-token-0123456789abcdeX", other, 401},
		"forged status":    {"", smstencenttest.Status("2433:shipped-1", tencentPhone, false, e.clock.Now()), 401},
		"mobile a number":  {smstencenttest.CallbackToken, []byte(`{"mobile":13900139000,"nationcode":"86","text":"x","time":1700000000}`), 400},
		"status unknown":   {smstencenttest.CallbackToken, []byte(`[{"sid":"2433:shipped-1","report_status":"READ"}]`), 400},
		"truncated":        {smstencenttest.CallbackToken, other[:len(other)/2], 400},
		"not JSON at all":  {smstencenttest.CallbackToken, []byte("mobile=13900139000&text=x"), 400},
		"no text in reply": {smstencenttest.CallbackToken, []byte(`{"mobile":"13900139000","nationcode":"86","time":1700000000}`), 400},
	} {
		if code, body := e.callback(t, tc.token, tc.body); code != tc.want {
			t.Errorf("%s: %d %s, want %d", name, code, body, tc.want)
		}
	}
	if convs := e.conversations(t); len(convs) != 1 || len(convs[0].Messages.Edges) != 2 {
		t.Fatalf("after forged and malformed callbacks: %+v", convs)
	}
	waitStatus(t, s, tok, msg, "DELIVERED")

	// Free text in the conversation is refused too, nothing queued.
	wantConflict(t, s.Do(t, tok, sendQ, map[string]any{"c": conv.ID, "b": "any news?"}), "TEMPLATE_REQUIRED")
	if n := len(e.fake.SendBodies()); n != 1 {
		t.Fatalf("%d sends after refused free text", n)
	}
}

// TestTencentSMSLimitExceeded: a per-number limit (LimitExceeded) keeps
// the message queued with Tencent's reason and is retried once the
// limit's window (30 s) has passed, not before.
func TestTencentSMSLimitExceeded(t *testing.T) {
	e := newTencentEnv(t)
	s, tok := e.s, e.tok
	if code, body := e.callback(t, smstencenttest.CallbackToken, smstencenttest.Reply(tencentPhone, "where is my parcel?", e.clock.Now().Unix())); code != 200 {
		t.Fatalf("reply callback: %d %s", code, body)
	}
	convs := e.conversations(t)
	if len(convs) != 1 {
		t.Fatalf("conversations %+v", convs)
	}
	e.fake.AnswerCode("LimitExceeded.PhoneNumberThirtySecondLimit")
	var sent struct{ SendMessage struct{ ID string } }
	s.MustDo(t, tok, sendQ, map[string]any{"c": convs[0].ID, "b": "",
		"t": map[string]any{"templateID": smstencenttest.TemplateID, "params": map[string]any{"name": "Dana", "order": "A-18"}}}, &sent)
	id := sent.SendMessage.ID
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Node struct{ DeliveryStatus, DeliveryError string }
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus deliveryError } } }`, map[string]any{"id": id}, &out)
		if out.Node.DeliveryStatus != "QUEUED" || !strings.Contains(out.Node.DeliveryError, "LimitExceeded.PhoneNumberThirtySecondLimit") {
			return fmt.Errorf("message is %s (%s)", out.Node.DeliveryStatus, out.Node.DeliveryError)
		}
		return nil
	})
	e.clock.Advance(20 * time.Second)
	time.Sleep(300 * time.Millisecond) // many polls of the test outbox
	if n := len(e.fake.SendBodies()); n != 1 {
		t.Fatalf("sent %d times within the 30 s Tencent asked for", n)
	}
	e.clock.Advance(11 * time.Second)
	waitStatus(t, s, tok, id, "SENT")
	if b := e.fake.SendBodies(); len(b) != 2 || strings.Join(b[1].PhoneNumberSet, ",") != tencentPhone || b[0].SessionContext != b[1].SessionContext {
		t.Fatalf("sends %+v: want the same delivery twice", b)
	}
}
