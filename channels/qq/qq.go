// Package qq is the QQ channel: a bot of the QQ Bot open platform
// (QQ机器人开放平台), the public way for a business to talk with QQ users.
//
// Inbound, QQ posts events to the channel's webhook URL: an op 13
// validation request when the callback URL is configured, answered with
// an Ed25519 signature, and op 0 dispatches (C2C_MESSAGE_CREATE,
// GROUP_AT_MESSAGE_CREATE, FRIEND_ADD, FRIEND_DEL, ...) signed with
// X-Signature-Ed25519 over X-Signature-Timestamp + the raw body. The key
// is derived from the bot secret (AppSecret).
//
// Outbound, a message is a passive reply to the customer's latest
// message (msg_id plus msg_seq) with an access token from
// getAppAccessToken, shared by the channel's instances in its State.
//
// Identities: a C2C sender is "user:<user_openid>"; a member who @-mentions
// the bot in a group is "group:<group_openid>:<member_openid>", a
// customer of their own whose replies go to the group (QQ has no way to
// answer a group member privately). A union_openid, when QQ gives one,
// becomes the verified platform id "qq:<union_openid>".
package qq

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Setting and secret names.
const (
	SettingAppID    = "appID"
	SettingAPIBase  = "apiBaseURL"
	SettingTokenURL = "tokenURL"
	SecretAppSecret = "appSecret"
)

// Default provider addresses.
const (
	DefaultAPIBase  = "https://api.sgroup.qq.com"
	DefaultTokenURL = "https://bots.qq.com/app/getAppAccessToken"
)

const (
	// replyWindowC2C: QQ accepts passive replies to a C2C message for 60
	// minutes. Unconfirmed: public documentation, not the spec.
	replyWindowC2C = 60 * time.Minute
	// replyWindowGroup: and to a group @-message for 5 minutes.
	// Unconfirmed: public documentation, not the spec.
	replyWindowGroup = 5 * time.Minute
	timeout          = 10 * time.Second // per provider request
)

var defaultClient = &http.Client{Timeout: timeout}

// Adapter implements channels.Adapter for kind "qq".
type Adapter struct{}

// New returns the QQ adapter.
func New() *Adapter { return &Adapter{} }

var _ channels.Adapter = (*Adapter)(nil)

// Describe implements channels.Adapter.
func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: "qq", DisplayName: "QQ", NeedsCredentials: true,
		Settings: []channels.Field{
			{Name: SettingAppID, Label: "AppID", Required: true, Type: channels.FieldString,
				Description: "the bot's AppID (机器人ID) from the QQ Bot console, digits only"},
			{Name: SettingAPIBase, Label: "API base URL", Type: channels.FieldURL,
				Description: "the QQ Bot OpenAPI; default " + DefaultAPIBase + " (the sandbox is https://sandbox.api.sgroup.qq.com)"},
			{Name: SettingTokenURL, Label: "Token URL", Type: channels.FieldURL,
				Description: "where access tokens are fetched; default " + DefaultTokenURL},
		},
		Secrets: []channels.Field{
			{Name: SecretAppSecret, Label: "AppSecret", Required: true, Type: channels.FieldSecret,
				Description: "the bot's AppSecret (机器人密钥): fetches access tokens and is the seed of the key that signs webhooks"},
		},
		// Passive replies only: free text within 60 minutes of the
		// customer's message (5 minutes in groups, checked by Send).
		// Unconfirmed: QQ's limit on a message's length is not documented
		// as a number, so MaxLength is left open; files need an upload
		// API (msg_type 7) this adapter does not implement.
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, ReplyWindow: replyWindowC2C},
	}
}

// Validate implements channels.Adapter: every error is a
// *channels.FieldError naming its field.
func (*Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		s, ok := v.(string)
		if v != nil && !ok {
			return channels.SettingError(k, "%s must be a string", k)
		}
		switch k {
		case SettingAppID:
			if s != "" && !digits(s, 20) {
				return channels.SettingError(k, "appID must be the bot's numeric AppID")
			}
		case SettingAPIBase, SettingTokenURL:
			if s != "" && !channels.IsHTTPURL(s) {
				return channels.SettingError(k, "%s must be an absolute http or https URL", k)
			}
		default:
			return channels.SettingError(k, "unknown setting %q", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if k != SecretAppSecret {
			return channels.SecretError(k, "unknown secret %q", k)
		}
		if s := secrets[k]; s != "" && (len(s) > 128 || strings.ContainsAny(s, " \t\r\n")) {
			return channels.SecretError(k, "appSecret must be the bot's AppSecret as the QQ Bot console shows it")
		}
	}
	return nil
}

// Verify implements channels.Adapter: it fetches an access token and
// reads the bot's own profile with it.
func (*Adapter) Verify(ctx context.Context, c *channels.Config) error {
	if err := configured(c); err != nil {
		return err
	}
	tok, err := tokens(c).Get(ctx, c)
	if err != nil {
		return fmt.Errorf("qq: access token: %w", err)
	}
	res, err := call(ctx, c, http.MethodGet, apiBase(c)+"/users/@me", tok, nil)
	if err != nil {
		return fmt.Errorf("qq: %s unreachable: %w", apiBase(c), err)
	}
	if res.status == http.StatusUnauthorized {
		_ = tokens(c).Invalidate(ctx, c, tok)
	}
	if res.status/100 != 2 {
		return fmt.Errorf("qq: reading the bot's profile (/users/@me): %s", res.describe())
	}
	var me struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(res.body, &me) != nil || me.ID == "" {
		return errors.New("qq: /users/@me did not answer the bot's profile: is apiBaseURL the QQ Bot OpenAPI?")
	}
	return nil
}

// Handshake implements channels.Adapter: QQ validates the callback URL
// with a POST (op 13), so a GET is refused.
func (*Adapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

// configured checks what every call needs.
func configured(c *channels.Config) error {
	if !digits(c.Setting(SettingAppID), 20) {
		return errors.New("qq: the channel has no valid appID")
	}
	if c.Secrets[SecretAppSecret] == "" {
		return errors.New("qq: the channel has no appSecret")
	}
	return nil
}

// privateKey is the Ed25519 key QQ signs with: its seed is the bot
// secret repeated until it is at least 32 bytes long, cut to 32 bytes.
// Unconfirmed beyond the spec: this follows QQ's public documentation
// and its official SDK samples.
func privateKey(secret string) (ed25519.PrivateKey, bool) {
	if secret == "" {
		return nil, false
	}
	seed := secret
	for len(seed) < ed25519.SeedSize {
		seed += secret
	}
	return ed25519.NewKeyFromSeed([]byte(seed[:ed25519.SeedSize])), true
}

func apiBase(c *channels.Config) string {
	if s := c.Setting(SettingAPIBase); s != "" {
		return strings.TrimRight(s, "/")
	}
	return DefaultAPIBase
}

func tokenURL(c *channels.Config) string {
	if s := c.Setting(SettingTokenURL); s != "" {
		return s
	}
	return DefaultTokenURL
}

func digits(s string, most int) bool {
	if s == "" || len(s) > most {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
