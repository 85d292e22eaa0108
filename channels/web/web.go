// Package web is the website chat channel. Visitors talk to Switchboard
// through the GraphQL visitor API rather than a provider webhook, and read
// agents' replies from it, so delivering a reply means making it visible:
// nothing leaves the server.
package web

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/internal/webchat"
)

// Kind is the registry name of website chat channels.
const Kind = webchat.Kind

// IdentitySecret is the secret field that signs verified visitor
// identities.
const IdentitySecret = webchat.IdentitySecret

// Adapter is the web chat adapter.
type Adapter struct{}

// New returns the web chat adapter.
func New() Adapter { return Adapter{} }

// Describe implements channels.Adapter.
func (Adapter) Describe() channels.Description {
	return channels.Description{
		Kind:        Kind,
		DisplayName: "Website chat",
		Settings: []channels.Field{{
			Name: webchat.OriginsSetting, Label: "Allowed origins", Type: channels.FieldList,
			Description: "Origins of the sites that embed the chat, such as https://www.example.com. Browsers on other origins are refused.",
		}},
		Secrets: []channels.Field{{
			Name: IdentitySecret, Label: "Identity secret", Type: channels.FieldSecret, Generated: true,
			Description: "Signs verified visitor identities: your server sends hex HMAC-SHA256(secret, user id) as data-user-hash. Generated with the channel; rotate it to see a new one.",
		}},
		Capabilities: channels.Capabilities{Outbound: true, Attachments: true, MaxLength: 65536},
	}
}

// Validate implements channels.Adapter; its errors are
// *channels.FieldError values naming the field.
func (Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if k != IdentitySecret {
			return channels.SecretError(k, "unknown secret %q", k)
		}
		if len(secrets[k]) < 16 {
			return channels.SecretError(k, "%s must be at least 16 characters", IdentitySecret)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		if k != webchat.OriginsSetting {
			return channels.SettingError(k, "unknown setting %q", k)
		}
		list, ok := settings[k].([]any)
		if !ok {
			return channels.SettingError(k, "allowedOrigins must be a list of origins")
		}
		for _, o := range list {
			s, _ := o.(string)
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
				return channels.SettingError(k, "allowedOrigins: %q is not an origin such as https://www.example.com", s)
			}
		}
	}
	return nil
}

// Verify implements channels.Adapter: there are no credentials.
func (Adapter) Verify(context.Context, *channels.Config) error { return nil }

// Handshake implements channels.Adapter: there is no webhook.
func (Adapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

// Receive implements channels.Adapter: visitors write through the visitor API.
func (Adapter) Receive(context.Context, *channels.Config, *http.Request, []byte) (*channels.Delivery, error) {
	return nil, channels.Rejected(http.StatusNotFound, "web chat channels have no webhook; visitors use the visitor API")
}

// Send implements channels.Adapter: the visitor reads the reply from the
// visitor API, so it is delivered once stored.
func (Adapter) Send(_ context.Context, _ *channels.Config, m *channels.Outbound) (string, error) {
	return m.MessageID, nil
}
