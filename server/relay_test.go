package server_test

import (
	"context"
	"crypto/subtle"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/internal/testenv"
)

// relay is a fake SMS-style provider, for what the server does with data
// an adapter lets through unchecked. It posts form fields (a url-encoded
// form carries any bytes: NUL, invalid UTF-8), authenticated by a shared
// token header, and like most providers it retries anything but a 2xx, so
// such data must be stored cleaned rather than refused. Fields other than
// its own become the message's metadata (provider extras). It checks
// nothing else: not even that a message has a sender.
type relay struct{}

const relayToken = "relay-shared-token-0123"

func (relay) Describe() channels.Description {
	return channels.Description{Kind: "relay", DisplayName: "Relay (test provider)",
		Secrets:      []channels.Field{{Name: "token", Label: "Token", Required: true}},
		Capabilities: channels.Capabilities{Inbound: true}}
}

func (relay) Validate(map[string]any, map[string]string) error { return nil }
func (relay) Verify(context.Context, *channels.Config) error   { return nil }
func (relay) Send(context.Context, *channels.Config, *channels.Outbound) (string, error) {
	return "", channels.Permanent("the relay only receives")
}

func (relay) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

func (relay) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Relay-Token")), []byte(c.Secrets["token"])) != 1 {
		return nil, channels.Rejected(http.StatusUnauthorized, "bad token")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, channels.Rejected(http.StatusBadRequest, "malformed form")
	}
	in := channels.Inbound{ProviderMessageID: form.Get("id"), Text: form.Get("text"),
		Sender: channels.Sender{ExternalID: form.Get("from"), Name: form.Get("name"), PlatformID: form.Get("platform")}}
	if u := form.Get("media_url"); u != "" {
		in.Attachments = []channels.Attachment{{URL: u, Name: form.Get("media_name")}}
	}
	for k, v := range form {
		switch k {
		case "id", "text", "from", "name", "platform", "media_url", "media_name":
			continue
		}
		if in.Metadata == nil {
			in.Metadata = map[string]any{}
		}
		in.Metadata[k] = v[0]
	}
	return &channels.Delivery{Messages: []channels.Inbound{in}}, nil
}

// newRelayServer starts a server that also knows the relay kind, with one
// relay channel, and returns the admin's token and the webhook URL.
func newRelayServer(t *testing.T, more ...channels.Adapter) (*testenv.Server, string, string) {
	t.Helper()
	s := testenv.NewWithChannels(t, append([]channels.Adapter{relay{}}, more...))
	tok := s.AdminToken(t)
	return s, tok, relayChannel(t, s, tok, "relay", "Relay")
}

// relayChannel creates a channel of a relay-like kind and returns its
// webhook URL.
func relayChannel(t *testing.T, s *testenv.Server, tok, kind, name string) string {
	t.Helper()
	var out struct{ CreateChannel struct{ WebhookURL string } }
	s.MustDo(t, tok, `mutation($k: String!, $n: String!) { createChannel(input: {kind: $k, name: $n, secrets: {token: "`+relayToken+`"}}) { webhookURL } }`,
		map[string]any{"k": kind, "n": name}, &out)
	return s.URL + strings.TrimPrefix(out.CreateChannel.WebhookURL, s.Config.PublicURL)
}

// postRelay delivers a form as the relay does and returns the status and
// body of the answer.
func postRelay(t *testing.T, webhook string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, webhook, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Relay-Token", relayToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}
