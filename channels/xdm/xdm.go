// Package xdm is the channel kind "x_dm": direct messages of one X
// (Twitter) account. X posts the account's events to the webhook
// registered with the Account Activity API: it checks the URL with a CRC
// challenge (a GET with crc_token, answered with an HMAC-SHA256 of it
// under the app's consumer secret) and signs every POST the same way
// (x-twitter-webhooks-signature). Replies go through the DM API v2 with
// a user-context OAuth 2.0 access token of the account.
//
// Unconfirmed: which X API access tiers allow the Account Activity API
// and DM sends (today the paid tiers; the Free tier allows neither) is
// not confirmed; Verify only checks the token and the account.
package xdm

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Kind is the registry name.
const Kind = "x_dm"

// Settings and secrets.
const (
	SettingAccountID = "accountID"
	SettingBaseURL   = "baseURL"

	SecretConsumerSecret = "consumerSecret"
	SecretAccessToken    = "accessToken"
)

const (
	// DefaultBaseURL is the X API's host.
	DefaultBaseURL = "https://api.x.com"
	// SignatureHeader carries the signature of every webhook POST.
	SignatureHeader = "x-twitter-webhooks-signature"

	// maxText is the longest DM text, in characters.
	// Unconfirmed: X documents 10,000 characters for DMs.
	maxText = 10000

	timeout   = 15 * time.Second
	maxSecret = 1024
)

var (
	defaultClient = &http.Client{Timeout: timeout}
	// userID is an X user id (a snowflake, decimal).
	userID = regexp.MustCompile(`^[0-9]{1,20}$`)
)

// Adapter implements channels.Adapter and channels.MediaFetcher for X
// direct messages.
type Adapter struct{}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

var (
	_ channels.Adapter      = (*Adapter)(nil)
	_ channels.MediaFetcher = (*Adapter)(nil)
)

// Describe implements channels.Adapter.
func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: Kind, DisplayName: "X direct messages", NeedsCredentials: true,
		Settings: []channels.Field{
			{Name: SettingAccountID, Label: "Account user ID", Required: true, Type: channels.FieldString,
				Description: "the numeric user id of the X account whose direct messages this channel handles (not the @handle); " +
					"events the webhook brings for other accounts of the app are ignored"},
			{Name: SettingBaseURL, Label: "API base URL", Type: channels.FieldURL,
				Description: "the X API's address; empty is " + DefaultBaseURL},
		},
		Secrets: []channels.Field{
			{Name: SecretConsumerSecret, Label: "API key secret", Required: true, Type: channels.FieldSecret,
				Description: "the app's API key secret (consumer secret, developer portal → Keys and tokens): X signs the webhook's CRC challenge and every event with it"},
			{Name: SecretAccessToken, Label: "User access token", Required: true, Type: channels.FieldSecret,
				Description: "an OAuth 2.0 user-context access token of the account, with the scopes dm.read, dm.write, tweet.read and users.read: replies are sent with it"},
		},
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, MaxLength: maxText},
	}
}

// Validate implements channels.Adapter: unknown fields and bad formats
// are *channels.FieldError values naming the field.
func (a *Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		s, isString := v.(string)
		if v != nil && !isString {
			return channels.SettingError(k, "%s must be a string", k)
		}
		switch k {
		case SettingAccountID:
			if !userID.MatchString(s) {
				return channels.SettingError(k, "accountID must be the account's numeric user id, such as 1234567890 (not its @handle)")
			}
		case SettingBaseURL:
			if s != "" && !channels.IsHTTPURL(s) {
				return channels.SettingError(k, "baseURL must be an absolute http or https URL, such as %s", DefaultBaseURL)
			}
		default:
			return channels.SettingError(k, "unknown setting %q", k)
		}
	}
	if s, _ := settings[SettingAccountID].(string); s == "" {
		return channels.SettingError(SettingAccountID, "accountID is required")
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		switch k {
		case SecretConsumerSecret, SecretAccessToken:
			s := secrets[k]
			if len(s) > maxSecret || strings.ContainsAny(s, " \t\r\n") {
				return channels.SecretError(k, "%s must be the value X shows, without spaces", k)
			}
		default:
			return channels.SecretError(k, "unknown secret %q", k)
		}
	}
	for _, k := range []string{SecretConsumerSecret, SecretAccessToken} {
		if secrets[k] == "" {
			return channels.SecretError(k, "%s is required", k)
		}
	}
	return nil
}

// Verify implements channels.Adapter: GET /2/users/me with the access
// token must name the configured account.
func (*Adapter) Verify(ctx context.Context, c *channels.Config) error {
	var me struct {
		Data struct {
			ID       string `json:"id"`
			Username string `json:"username"`
		} `json:"data"`
	}
	err := call(ctx, c, http.MethodGet, "/2/users/me", nil, &me)
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		return fmt.Errorf("X refused the access token (expired or revoked? it must be an OAuth 2.0 user-context token): %w", err)
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		return fmt.Errorf("X refused GET /2/users/me with this token (does it have the users.read scope, and does the app's access tier allow it?): %w", err)
	case err != nil:
		return fmt.Errorf("the X API could not be reached: %w", err)
	}
	if want := c.Setting(SettingAccountID); me.Data.ID != want {
		return fmt.Errorf("the access token belongs to user %s (@%s), not to account %s: use a token of that account, or fix accountID",
			me.Data.ID, me.Data.Username, want)
	}
	return nil
}

// Handshake implements channels.Adapter: the CRC challenge. GET
// ?crc_token=T is answered {"response_token": "sha256=" + base64 of
// HMAC-SHA256(consumer secret, T)}; X repeats it about hourly.
func (*Adapter) Handshake(_ context.Context, c *channels.Config, r *http.Request) (channels.Response, bool, error) {
	token := r.URL.Query().Get("crc_token")
	if token == "" {
		return channels.Response{}, true, channels.Rejected(http.StatusBadRequest, "no crc_token")
	}
	secret := c.Secrets[SecretConsumerSecret]
	if secret == "" {
		return channels.Response{}, true, channels.Rejected(http.StatusForbidden, "the channel has no consumer secret")
	}
	body, _ := json.Marshal(map[string]string{"response_token": "sha256=" + sign(secret, []byte(token))})
	return channels.Response{Status: http.StatusOK, ContentType: "application/json", Body: body}, true, nil
}

// sign is base64(HMAC-SHA256(secret, data)).
func sign(secret string, data []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(data)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// authentic checks a POST's signature header against the raw body, in
// constant time.
func authentic(c *channels.Config, r *http.Request, body []byte) error {
	secret := c.Secrets[SecretConsumerSecret]
	got, ok := strings.CutPrefix(r.Header.Get(SignatureHeader), "sha256=")
	if !ok || secret == "" {
		return channels.Rejected(http.StatusUnauthorized, "no %s signature", SignatureHeader)
	}
	mac, err := base64.StdEncoding.DecodeString(got)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if err != nil || !hmac.Equal(mac, m.Sum(nil)) {
		return channels.Rejected(http.StatusUnauthorized, "the %s signature does not match", SignatureHeader)
	}
	return nil
}

// baseURL is the channel's API base, without a trailing slash.
func baseURL(c *channels.Config) string {
	if s := c.Setting(SettingBaseURL); s != "" {
		return strings.TrimRight(s, "/")
	}
	return DefaultBaseURL
}

func client(c *channels.Config) *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultClient
}
