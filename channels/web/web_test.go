package web

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// fake is web chat's side of the conformance suite: there is no provider,
// no webhook and no receipt.
type fake struct{}

func (fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{
		ChannelID: "ch-web", Key: "key-web",
		Settings: map[string]any{"allowedOrigins": []any{"https://www.example.com", "http://localhost:3000"}},
		Secrets:  map[string]string{IdentitySecret: "0123456789abcdef0123456789abcdef"},
		Now:      func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) },
		State:    &channels.MemoryState{},
	}
}

func (fake) Webhook() (channelstest.Webhook, string) {
	return nil, "web chat visitors write through the GraphQL visitor API"
}

func (fake) Receipts() (channelstest.Receipts, string) {
	return nil, "a reply is delivered once stored; the visitor API reports what the visitor read"
}

func (fake) Provider() (channelstest.Provider, string) {
	return nil, "nothing leaves the server: the visitor reads replies from the visitor API"
}

func TestConformance(t *testing.T) {
	channelstest.Run(t, New(), fake{})
}

func TestSendReturnsMessageID(t *testing.T) {
	id, err := New().Send(context.Background(), fake{}.Config(t), &channels.Outbound{DeliveryID: "d1", MessageID: "msg1", Text: "hi"})
	if err != nil || id != "msg1" {
		t.Errorf("Send = %q, %v; want the message id", id, err)
	}
}

func TestReceiveHasNoWebhook(t *testing.T) {
	d, err := New().Receive(context.Background(), fake{}.Config(t), nil, []byte(`{}`))
	var e *channels.Error
	if d != nil || !errors.As(err, &e) || e.Status != 404 {
		t.Errorf("Receive = %v, %v; want 404", d, err)
	}
}

func TestDescribeAndValidate(t *testing.T) {
	d := New().Describe()
	if d.Kind != "web" || d.Settings[0].Type != channels.FieldList || d.Secrets[0].Type != channels.FieldSecret || !d.Secrets[0].Generated {
		t.Errorf("Describe = %+v", d)
	}
	origins := func(v ...any) map[string]any { return map[string]any{"allowedOrigins": v} }
	if err := New().Validate(origins("https://a.example.com", "http://localhost:3000/"), map[string]string{IdentitySecret: "0123456789abcdef"}); err != nil {
		t.Errorf("valid: %v", err)
	}
	cases := []struct {
		name     string
		settings map[string]any
		secrets  map[string]string
		field    string
		secret   bool
	}{
		{"short secret", nil, map[string]string{IdentitySecret: "short"}, IdentitySecret, true},
		{"unknown secret", nil, map[string]string{"token": "0123456789abcdef"}, "token", true},
		{"unknown setting", map[string]any{"colour": "red"}, nil, "colour", false},
		{"origins not a list", map[string]any{"allowedOrigins": "https://a.example.com"}, nil, "allowedOrigins", false},
		{"a path", origins("https://a.example.com/chat"), nil, "allowedOrigins", false},
		{"not http", origins("ftp://a.example.com"), nil, "allowedOrigins", false},
		{"not a string", origins(42), nil, "allowedOrigins", false},
	}
	for _, c := range cases {
		err := New().Validate(c.settings, c.secrets)
		var fe *channels.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Secret != c.secret {
			t.Errorf("%s: Validate = %#v, want a FieldError about %s (secret %v)", c.name, err, c.field, c.secret)
		}
	}
}
