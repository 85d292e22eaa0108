// Package telegram implements the kind "telegram": one bot of the Telegram
// Bot API. Enabling the channel registers its webhook URL with setWebhook
// and a generated secret_token, which Telegram sends back in the header
// X-Telegram-Bot-Api-Secret-Token of every update; disabling it calls
// deleteWebhook. Private chats with the bot are conversations: texts,
// photos, documents, voice notes and other files (fetched through getFile)
// are stored, and replies go out through sendMessage, sendPhoto and
// sendDocument. Updates from groups and channels the bot was added to are
// acknowledged and ignored: Switchboard talks to people one to one.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/switchboard/switchboard/channels"
)

// Kind is the registry name.
const Kind = "telegram"

// Settings and secrets.
const (
	SettingBaseURL      = "baseURL"
	SecretBotToken      = "botToken"
	SecretWebhookSecret = "webhookSecret"
)

// DefaultBaseURL is the Bot API's host.
const DefaultBaseURL = "https://api.telegram.org"

// maxText is the longest text sendMessage takes, in characters.
const maxText = 4096

// maxCaption is the longest caption of a photo or document, in characters.
const maxCaption = 1024

// SecretHeader carries the webhook's secret_token on every update.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

var (
	// botToken is the form BotFather gives: the bot's id, a colon and 35
	// characters. Unconfirmed: the length of the part after the colon is
	// not documented; any base64url run of 30 or more is accepted.
	botToken = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{30,100}$`)
	// webhookSecret is what setWebhook accepts as secret_token.
	webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Adapter implements channels.Adapter, channels.Enabler and
// channels.MediaFetcher for Telegram.
type Adapter struct{}

// New returns the Telegram adapter.
func New() *Adapter { return &Adapter{} }

var (
	_ channels.Adapter      = (*Adapter)(nil)
	_ channels.Enabler      = (*Adapter)(nil)
	_ channels.MediaFetcher = (*Adapter)(nil)
)

// Describe implements channels.Adapter.
func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: Kind, DisplayName: "Telegram", NeedsCredentials: true,
		Settings: []channels.Field{
			{Name: SettingBaseURL, Label: "Bot API base URL", Type: channels.FieldURL,
				Description: "the Bot API server; empty for " + DefaultBaseURL + " (set it for a local Bot API server)"},
		},
		Secrets: []channels.Field{
			{Name: SecretBotToken, Label: "Bot token", Required: true, Type: channels.FieldSecret,
				Description: "the token @BotFather gave when the bot was created (/newbot or /token), like 123456789:AAE…"},
			{Name: SecretWebhookSecret, Label: "Webhook secret", Type: channels.FieldSecret, Generated: true,
				Description: "the secret_token registered with setWebhook when the channel is enabled, which Telegram sends with every update " +
					"(1-256 of A-Z a-z 0-9 _ -); generated, rotate it then disable and enable the channel"},
		},
		// Telegram bots may write to whoever started them at any time; no
		// reply window.
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, Attachments: true, MaxLength: maxText},
	}
}

// Validate implements channels.Adapter.
func (a *Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for k, v := range settings {
		switch k {
		case SettingBaseURL:
			s, ok := v.(string)
			if !ok || (s != "" && !channels.IsHTTPURL(s)) {
				return channels.SettingError(k, "the Bot API base URL is an http(s) URL, like %s", DefaultBaseURL)
			}
		default:
			return channels.SettingError(k, "telegram has no setting %q", k)
		}
	}
	for k, v := range secrets {
		switch k {
		case SecretBotToken:
			if !botToken.MatchString(v) {
				return channels.SecretError(k, "the bot token is the bot's id, a colon and its key, like 123456789:AAE… (ask @BotFather for /token)")
			}
		case SecretWebhookSecret:
			if !webhookSecret.MatchString(v) {
				return channels.SecretError(k, "the webhook secret is 1 to 256 letters, digits, _ or -")
			}
		default:
			return channels.SecretError(k, "telegram has no secret %q", k)
		}
	}
	if secrets[SecretBotToken] == "" {
		return channels.SecretError(SecretBotToken, "the bot token is required")
	}
	return nil
}

// Verify implements channels.Adapter: getMe answers the bot, is_bot true.
func (*Adapter) Verify(ctx context.Context, c *channels.Config) error {
	var me struct {
		ID       int64  `json:"id"`
		IsBot    bool   `json:"is_bot"`
		Username string `json:"username"`
	}
	if err := call(ctx, c, "getMe", nil, &me); err != nil {
		var e *APIError
		if errors.As(err, &e) && (e.Code == http.StatusUnauthorized || e.Code == http.StatusNotFound) {
			return fmt.Errorf("Telegram refused the bot token (ask @BotFather for the current one): %w", err)
		}
		return fmt.Errorf("the Bot API could not be asked who the bot is: %w", err)
	}
	if !me.IsBot {
		return fmt.Errorf("getMe answered user %d, not a bot: the token must be a bot token from @BotFather", me.ID)
	}
	return nil
}

// Handshake implements channels.Adapter: Telegram makes no GET.
func (*Adapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

// allowedUpdates are the update types the webhook asks for: messages, and
// the bot's own membership in a chat (a user blocking or unblocking it).
// Edited messages are not asked for: a conversation keeps what was said.
var allowedUpdates = []string{"message", "my_chat_member"}

// Enable implements channels.Enabler: setWebhook with the channel's
// webhook URL and secret.
func (*Adapter) Enable(ctx context.Context, c *channels.Config) error {
	secret := c.Secrets[SecretWebhookSecret]
	if !webhookSecret.MatchString(secret) {
		return errors.New("the channel has no usable webhook secret: rotate it, then enable the channel")
	}
	if !channels.IsHTTPURL(c.WebhookURL) {
		return fmt.Errorf("the webhook URL %q is not an http(s) URL: set the server's public URL", c.WebhookURL)
	}
	// Unconfirmed: Telegram only calls https URLs on ports 443, 80, 88
	// and 8443; it says so in setWebhook's error, which is passed on.
	req := map[string]any{"url": c.WebhookURL, "secret_token": secret, "allowed_updates": allowedUpdates}
	if err := call(ctx, c, "setWebhook", req, nil); err != nil {
		return fmt.Errorf("Telegram refused to set the webhook: %w", err)
	}
	return nil
}

// Disable implements channels.Enabler: deleteWebhook, keeping the
// updates Telegram still holds (a later setWebhook delivers them).
func (*Adapter) Disable(ctx context.Context, c *channels.Config) error {
	if err := call(ctx, c, "deleteWebhook", map[string]any{}, nil); err != nil {
		return fmt.Errorf("Telegram refused to delete the webhook: %w", err)
	}
	return nil
}

// baseURL is the channel's Bot API server without a trailing slash.
func baseURL(c *channels.Config) string {
	if s := c.Setting(SettingBaseURL); s != "" {
		return strings.TrimRight(s, "/")
	}
	return DefaultBaseURL
}
