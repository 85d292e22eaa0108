package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/internal/testenv"
)

// texter is the relay with a sending side that addresses customers by
// phone number, as SMS providers do; it records what it was asked to send.
type texter struct {
	relay
	mu     *sync.Mutex
	sent   *[]channels.Outbound
	refuse *atomic.Bool // answer as a provider that revoked the token
}

func newTexter() texter {
	return texter{mu: &sync.Mutex{}, sent: &[]channels.Outbound{}, refuse: &atomic.Bool{}}
}

func (texter) Describe() channels.Description {
	d := relay{}.Describe()
	d.Kind, d.DisplayName = "texter", "Texter (test provider)"
	d.Capabilities = channels.Capabilities{Inbound: true, Outbound: true, AddressByPhone: true}
	return d
}

func (x texter) Send(_ context.Context, _ *channels.Config, m *channels.Outbound) (string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	*x.sent = append(*x.sent, *m)
	if x.refuse.Load() {
		return "", channels.CredentialsRefused("error 190: the access token was revoked")
	}
	return "sms-" + m.DeliveryID, nil
}

// Receive takes the relay's messages, and read watermarks: a form with
// read_by (the customer's id) and watermark (unix milliseconds).
func (x texter) Receive(ctx context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	d, err := x.relay.Receive(ctx, c, r, body)
	if err != nil {
		return nil, err
	}
	form, _ := url.ParseQuery(string(body))
	if by := form.Get("read_by"); by != "" {
		ms, _ := strconv.ParseInt(form.Get("watermark"), 10, 64)
		return &channels.Delivery{Receipts: []channels.Receipt{{Recipient: by, Watermark: time.UnixMilli(ms), Status: channels.StatusRead}}}, nil
	}
	return d, nil
}

func (x texter) outbound() []channels.Outbound {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]channels.Outbound(nil), *x.sent...)
}

type identityRow struct {
	Kind, Value string
	Verified    bool
	Channel     *struct{ Name string }
}

func customerIdentities(t *testing.T, s interface {
	MustDo(testing.TB, string, string, map[string]any, any)
}, tok, conv string) (string, []identityRow) {
	t.Helper()
	var out struct {
		Node struct {
			Customer struct {
				ID         string
				Identities []identityRow
			}
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { id identities { kind value verified channel { name } } } } } }`,
		map[string]any{"id": conv}, &out)
	return out.Node.Customer.ID, out.Node.Customer.Identities
}

// TestPlatformIdentityJoinsAccounts: two accounts of one business on a
// platform (two WeChat official accounts under one Open Platform
// account) see a person under two channel ids but one platform id; the
// person is one customer, with both channel identities and the platform
// id verified. Another platform id is another person.
func TestPlatformIdentityJoinsAccounts(t *testing.T) {
	s, tok, hookA := newRelayServer(t)
	hookB := relayChannel(t, s, tok, "relay", "Second account")
	for _, m := range []struct {
		hook string
		form url.Values
	}{
		{hookA, url.Values{"id": {"a1"}, "from": {"openid-on-a"}, "platform": {"wechat:union-1"}, "text": {"hello A"}}},
		{hookB, url.Values{"id": {"b1"}, "from": {"openid-on-b"}, "platform": {"wechat:union-1"}, "text": {"hello B"}}},
		{hookA, url.Values{"id": {"a2"}, "from": {"someone-else"}, "platform": {"wechat:union-2"}, "text": {"hi"}}},
	} {
		if code, body := postRelay(t, m.hook, m.form); code != 200 {
			t.Fatalf("webhook: %d %s", code, body)
		}
	}
	var list struct {
		Conversations struct {
			Edges []struct {
				Node struct {
					ID       string
					Customer struct{ ID string }
					Messages struct {
						Edges []struct{ Node struct{ Body string } }
					}
				}
			}
		}
	}
	s.MustDo(t, tok, `{ conversations(first: 10) { edges { node { id customer { id } messages(first: 5) { edges { node { body } } } } } } }`, nil, &list)
	byBody := map[string]string{}
	convOf := map[string]string{}
	for _, c := range list.Conversations.Edges {
		for _, m := range c.Node.Messages.Edges {
			byBody[m.Node.Body] = c.Node.Customer.ID
			convOf[m.Node.Body] = c.Node.ID
		}
	}
	if byBody["hello A"] == "" || byBody["hello A"] != byBody["hello B"] {
		t.Fatalf("one platform id on two accounts gave customers %q and %q, want one", byBody["hello A"], byBody["hello B"])
	}
	if byBody["hi"] == byBody["hello A"] {
		t.Fatalf("another platform id joined the same customer")
	}
	_, ids := customerIdentities(t, s, tok, convOf["hello B"])
	var channelUsers, platform int
	for _, id := range ids {
		switch {
		case id.Kind == "CHANNEL_USER" && id.Verified && id.Channel != nil:
			channelUsers++
		case id.Kind == "PLATFORM_USER" && id.Value == "wechat:union-1" && id.Verified && id.Channel == nil:
			platform++
		}
	}
	if channelUsers != 2 || platform != 1 {
		t.Fatalf("identities %+v: want two channel users and the platform id, verified", ids)
	}
	// Agents cannot claim a platform id: only its channel knows it.
	r := s.Do(t, tok, `mutation($c: ID!) { addCustomerIdentity(customerID: $c, kind: PLATFORM_USER, value: "wechat:union-9") { id } }`,
		map[string]any{"c": byBody["hi"]})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "INVALID_INPUT" {
		t.Fatalf("adding a platform id by hand: %v, want INVALID_INPUT", codes)
	}
}

// TestSendByPhoneNumber: a channel that addresses customers by phone
// number reaches a customer known only by their number (no message on
// the channel yet); one without a number cannot be written to there.
func TestSendByPhoneNumber(t *testing.T) {
	x := newTexter()
	s, tok, _ := newRelayServer(t, x)
	relayChannel(t, s, tok, "texter", "SMS")
	var setup struct {
		Channels struct {
			Edges []struct{ Node struct{ ID, Kind string } }
		}
	}
	s.MustDo(t, tok, `{ channels { edges { node { id kind } } } }`, nil, &setup)
	var sms string
	for _, c := range setup.Channels.Edges {
		if c.Node.Kind == "texter" {
			sms = c.Node.ID
		}
	}
	customer := func(name string) string {
		var c struct{ CreateCustomer struct{ ID string } }
		s.MustDo(t, tok, `mutation($n: String!) { createCustomer(input: {name: $n}) { id } }`, map[string]any{"n": name}, &c)
		return c.CreateCustomer.ID
	}
	withPhone, without := customer("Phoned"), customer("Unreachable")
	s.MustDo(t, tok, `mutation($c: ID!) { addCustomerIdentity(customerID: $c, kind: PHONE, value: "+86 138 0013 8000") { id } }`,
		map[string]any{"c": withPhone}, nil)
	start := `mutation($c: ID!, $ch: ID!) { startConversation(input: {customerID: $c, channelID: $ch, body: "Your order shipped"}) { id } }`
	r := s.Do(t, tok, start, map[string]any{"c": without, "ch": sms})
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "CONFLICT" {
		t.Fatalf("starting a conversation with a customer without a phone number: %v, want CONFLICT", codes)
	}
	s.MustDo(t, tok, start, map[string]any{"c": withPhone, "ch": sms}, nil)
	testenv.Eventually(t, func() bool { return len(x.outbound()) == 1 }, "the send")
	got := x.outbound()[0]
	if got.Recipient.Phone != "+8613800138000" || got.Recipient.ExternalID != "+8613800138000" || got.Text != "Your order shipped" {
		t.Fatalf("sent %+v", got)
	}
}

// TestSendContext: a reply carries when the customer last wrote on the
// channel (where a provider's reply window starts); a provider refusing
// the channel's credentials fails the message and marks the channel's
// verification FAILED with the reason, for the admin to renew them.
func TestSendContext(t *testing.T) {
	x := newTexter()
	s, tok, _ := newRelayServer(t, x)
	hook := relayChannel(t, s, tok, "texter", "SMS")
	before := time.Now().Add(-time.Second)
	if code, body := postRelay(t, hook, url.Values{"id": {"in-1"}, "from": {"+8613800138000"}, "text": {"where is my parcel?"}}); code != 200 {
		t.Fatalf("webhook: %d %s", code, body)
	}
	var list struct {
		Conversations struct {
			Edges []struct{ Node struct{ ID string } }
		}
		Channels struct {
			Edges []struct{ Node struct{ ID, Kind string } }
		}
	}
	s.MustDo(t, tok, `{ conversations(first: 1) { edges { node { id } } } channels { edges { node { id kind } } } }`, nil, &list)
	conv := list.Conversations.Edges[0].Node.ID
	s.Send(t, tok, conv, "on its way")
	testenv.Eventually(t, func() bool { return len(x.outbound()) == 1 }, "the reply")
	if at := x.outbound()[0].LastInboundAt; at.Before(before) || at.After(time.Now()) {
		t.Fatalf("LastInboundAt = %v, want the customer's message time", at)
	}

	x.refuse.Store(true)
	msg := s.Send(t, tok, conv, "second reply")
	status := func(id string) string {
		var node struct {
			Node struct{ DeliveryStatus string }
		}
		s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { deliveryStatus } } }`, map[string]any{"id": id}, &node)
		return node.Node.DeliveryStatus
	}
	testenv.Eventually(t, func() bool { return status(msg) == "FAILED" }, "the refused send to fail")
	first := x.outbound()[0].MessageID
	if st := status(first); st != "SENT" {
		t.Fatalf("first reply %s, want SENT", st)
	}
	// "Read up to now": the sent reply becomes READ, the failed one stays
	// FAILED; a watermark before the reply moves nothing.
	for _, f := range []url.Values{
		{"read_by": {"+8613800138000"}, "watermark": {strconv.FormatInt(before.UnixMilli(), 10)}},
		{"read_by": {"someone-unknown"}, "watermark": {strconv.FormatInt(time.Now().UnixMilli(), 10)}},
	} {
		if code, body := postRelay(t, hook, f); code != 200 {
			t.Fatalf("receipt: %d %s", code, body)
		}
	}
	if st := status(first); st != "SENT" {
		t.Fatalf("after an earlier or unrelated watermark the reply is %s, want SENT", st)
	}
	if code, body := postRelay(t, hook, url.Values{"read_by": {"+8613800138000"}, "watermark": {strconv.FormatInt(time.Now().Add(time.Second).UnixMilli(), 10)}}); code != 200 {
		t.Fatalf("receipt: %d %s", code, body)
	}
	if a, b := status(first), status(msg); a != "READ" || b != "FAILED" {
		t.Fatalf("after the watermark: reply %s, failed reply %s; want READ and FAILED", a, b)
	}
	var sms string
	for _, c := range list.Channels.Edges {
		if c.Node.Kind == "texter" {
			sms = c.Node.ID
		}
	}
	var ch struct {
		Node struct{ VerificationState, VerificationError string }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Channel { verificationState verificationError } } }`, map[string]any{"id": sms}, &ch)
	if ch.Node.VerificationState != "FAILED" || !strings.Contains(ch.Node.VerificationError, "revoked") || len(x.outbound()) != 2 {
		t.Fatalf("after the refusal: channel %+v, %d sends (want FAILED naming the reason, one attempt)", ch.Node, len(x.outbound()))
	}
}
