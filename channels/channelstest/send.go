package channelstest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// provider is f's provider side, or skips the check naming why there is
// none. Without one, it checks the Send of a kind whose messages do not
// leave the server: it succeeds with an id.
func provider(t TB, a channels.Adapter, f Fake) Provider {
	t.Helper()
	if !sends(a) {
		t.Skipf("Capabilities.Outbound and TemplateOnly are false")
	}
	p, why := f.Provider()
	if p != nil {
		return p
	}
	id, err := sendSafely(t, a, f.Config(t), outbound(nil, 1))
	if err != nil || id == "" {
		t.Errorf("Send without a provider = %q, %v; want an id", id, err)
	}
	t.Skipf("no provider: %s", why)
	return nil
}

// outbound is the n-th message the suite sends.
func outbound(p Provider, n int) *channels.Outbound {
	m := &channels.Outbound{
		DeliveryID: fmt.Sprintf("conf-delivery-%d", n), MessageID: fmt.Sprintf("conf-message-%d", n),
		ConversationID: "conf-conversation-1", ThreadKey: "conf-thread-key-1",
		Recipient: channels.Sender{ExternalID: "conf-user-1"},
		Text:      fmt.Sprintf("reply %d from the conformance suite", n),
		CreatedAt: time.Date(2025, 3, 1, 11, 59, 0, 0, time.UTC),
	}
	if p != nil {
		m.Recipient = p.Recipient()
	}
	if r, ok := p.(PassiveReplier); ok {
		m.ReplyTo = r.ReplyTo()
	}
	return m
}

// sends reports whether a kind sends messages: free text, or only
// approved templates.
func sends(a channels.Adapter) bool {
	caps := a.Describe().Capabilities
	return caps.Outbound || caps.TemplateOnly
}

// templated makes m, which has no template, one a template-only kind can
// send: the first of its templates, each parameter filled in, Text its
// body with them, as the outbox would hand it over.
func templated(t TB, a channels.Adapter, c *channels.Config, m *channels.Outbound) {
	t.Helper()
	if m.Template != nil || !a.Describe().Capabilities.TemplateOnly {
		return
	}
	tpl := templates(t, a, c)[0]
	m.Template = &channels.TemplateMessage{ID: tpl.ID, Language: tpl.Language, Params: map[string]any{}}
	m.Text = tpl.Body
	for _, name := range tpl.Params {
		v := fmt.Sprintf("%s-of-%s", name, m.DeliveryID)
		m.Template.Params[name] = v
		m.Text = strings.ReplaceAll(m.Text, "{{"+name+"}}", v)
	}
}

// sendSafely sends m (a template for template-only kinds), reporting a
// panic as a failure.
func sendSafely(t TB, a channels.Adapter, c *channels.Config, m *channels.Outbound) (id string, err error) {
	t.Helper()
	templated(t, a, c, m)
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("Send panicked: %v", p)
			id, err = "", errors.New("panic")
		}
	}()
	return a.Send(ctx(t), c, m)
}

// send sends m and checks that it reached the provider authenticated
// (then returns the id, or the error) and only once.
func send(t TB, a channels.Adapter, c *channels.Config, p Provider, m *channels.Outbound) (string, error) {
	t.Helper()
	refused, sends := p.Refused(), len(p.Sends())
	id, err := sendSafely(t, a, c, m)
	if n := p.Refused() - refused; n > 0 {
		t.Errorf("the provider refused %d unauthenticated requests during Send", n)
	}
	all := p.Sends()
	if n := len(all) - sends; n != 1 {
		t.Fatalf("the provider received %d sends, want 1 (adapters do not retry on their own)", n)
	}
	got := all[len(all)-1]
	if got.To != m.Recipient.ExternalID {
		t.Errorf("sent to %q, want %q", got.To, m.Recipient.ExternalID)
	}
	if got.Text != m.Text {
		t.Errorf("sent text %q, want %q", got.Text, m.Text)
	}
	return id, err
}

func checkSendOK(t TB, a channels.Adapter, f Fake) {
	p := provider(t, a, f)
	p.Answer(Answer{Outcome: OK, ID: "conf-provider-ok"})
	m := outbound(p, 1)
	want := "conf-provider-ok"
	if u, ok := p.(Unnumbered); ok && u.Unnumbered() != "" {
		want = m.DeliveryID // the provider names no message
	}
	if r, ok := p.(Renumbering); ok {
		want = r.SentID(want)
	}
	id, err := send(t, a, f.Config(t), p, m)
	if err != nil || id != want {
		t.Errorf("Send = %q, %v; want %s", id, err, want)
	}
}

func checkSendPermanent(t TB, a channels.Adapter, f Fake) {
	p := provider(t, a, f)
	p.Answer(Answer{Outcome: Permanent})
	_, err := send(t, a, f.Config(t), p, outbound(p, 2))
	if !channels.IsPermanent(err) {
		t.Errorf("Send refused for good = %v, want a permanent *channels.Error", err)
	}
}

func checkSendTransient(t TB, a channels.Adapter, f Fake) {
	p := provider(t, a, f)
	p.Answer(Answer{Outcome: Transient})
	_, err := send(t, a, f.Config(t), p, outbound(p, 3))
	var e *channels.Error
	if !errors.As(err, &e) || e.Permanent {
		t.Errorf("Send failing for now = %v, want a *channels.Error that is not permanent", err)
	}
}

func checkSendRateLimited(t TB, a channels.Adapter, f Fake) {
	p := provider(t, a, f)
	const wait = 7 * time.Second
	p.Answer(Answer{Outcome: RateLimited, RetryAfter: wait})
	_, err := send(t, a, f.Config(t), p, outbound(p, 4))
	if err == nil || channels.IsPermanent(err) || channels.RetryAfterOf(err) < wait {
		t.Errorf("Send rate limited for %v = %v (retry after %v), want a retryable error asking to wait at least that",
			wait, err, channels.RetryAfterOf(err))
	}
}

func checkSendReplyFields(t TB, a channels.Adapter, f Fake) {
	p := provider(t, a, f)
	m := outbound(p, 5)
	m.ReplyTo = "conf-reply-to-1"
	if _, err := send(t, a, f.Config(t), p, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := p.Sends()[len(p.Sends())-1]
	for _, fl := range []struct{ name, got, want string }{
		{FieldReplyTo, got.ReplyTo, m.ReplyTo}, {FieldThreadKey, got.ThreadKey, m.ThreadKey},
	} {
		if why := p.Omits(fl.name); why != "" {
			t.Logf("%s not carried: %s", fl.name, why)
			continue
		}
		if fl.got != fl.want {
			t.Errorf("the provider got %s %q, want %q", fl.name, fl.got, fl.want)
		}
	}
}

func checkSendTemplate(t TB, a channels.Adapter, f Fake) {
	p := provider(t, a, f)
	if !a.Describe().Capabilities.Templates {
		t.Skipf("Capabilities.Templates is false")
	}
	c := f.Config(t)
	tpl := templates(t, a, c)[0]
	m := outbound(p, 6)
	m.Template = &channels.TemplateMessage{ID: tpl.ID, Language: tpl.Language, Params: map[string]any{}}
	m.Text = tpl.Body
	for _, name := range tpl.Params {
		v := "value-of-" + name
		m.Template.Params[name] = v
		m.Text = strings.ReplaceAll(m.Text, "{{"+name+"}}", v)
	}
	if _, err := send(t, a, c, p, m); err != nil {
		t.Fatalf("Send of template %s: %v", tpl.ID, err)
	}
	got := p.Sends()[len(p.Sends())-1].Template
	if got == nil || got.ID != tpl.ID || got.Language != tpl.Language || len(got.Params) != len(tpl.Params) {
		t.Fatalf("the provider got template %+v, want %s (%s) with params %v", got, tpl.ID, tpl.Language, tpl.Params)
	}
	for name, v := range m.Template.Params {
		if fmt.Sprint(got.Params[name]) != v {
			t.Errorf("template param %s = %v, want %v", name, got.Params[name], v)
		}
	}
}

// checkSendWrongCredentials: the fake really checks authentication (so
// that the other checks mean something), and the adapter fails.
func checkSendWrongCredentials(t TB, a channels.Adapter, f Fake) {
	p := provider(t, a, f)
	c := f.Config(t)
	if len(c.Secrets) == 0 {
		t.Skipf("the kind has no secrets")
	}
	wrong := map[string]string{}
	for k, v := range c.Secrets {
		wrong[k] = v + "-wrong"
	}
	c.Secrets = wrong
	refused, sends := p.Refused(), len(p.Sends())
	id, err := sendSafely(t, a, c, outbound(p, 7))
	if err == nil {
		t.Errorf("Send with wrong secrets = %q, want an error", id)
	}
	if p.Refused() == refused {
		t.Errorf("the fake did not refuse a Send with wrong secrets: it must check authentication")
	}
	if len(p.Sends()) != sends {
		t.Errorf("the fake recorded a Send made with wrong secrets")
	}
}
