// Package meta is what Switchboard's kinds on the Meta messaging platform
// (WhatsApp, Messenger, Instagram) share: the fields every such channel
// has, the app-level webhook (the hub challenge and X-Hub-Signature-256 on
// the raw body), the Graph API client, and the mapping of Graph API errors
// to the channel contract's send errors. The kinds live in subpackages.
package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/channels"
)

// Defaults of the base URL and Graph API version settings.
const (
	DefaultBaseURL = "https://graph.facebook.com"
	DefaultVersion = "v21.0"
)

// The fields every Meta channel has.
const (
	SettingAppID        = "appID"
	SettingGraphVersion = "graphVersion"
	SettingBaseURL      = "baseURL"
	SecretAppSecret     = "appSecret"
	SecretVerifyToken   = "verifyToken"
	SecretAccessToken   = "accessToken"
)

// Settings are a kind's own settings (the account it serves) first, then
// those every Meta channel has.
func Settings(extra ...channels.Field) []channels.Field {
	return append(extra, []channels.Field{
		{Name: SettingAppID, Label: "App ID", Description: "the Meta app's id (App settings → Basic), for reference"},
		{Name: SettingGraphVersion, Label: "Graph API version", Description: "the Graph API version to call, like " + DefaultVersion + " (default)"},
		{Name: SettingBaseURL, Label: "Graph API base URL", Type: channels.FieldURL,
			Description: "where the Graph API is; " + DefaultBaseURL + " unless you go through a proxy"},
	}...)
}

// Secrets are the secrets every Meta channel has, then extra.
func Secrets(tokenLabel, tokenDescription string, extra ...channels.Field) []channels.Field {
	return append([]channels.Field{
		{Name: SecretAppSecret, Label: "App secret", Required: true,
			Description: "the Meta app's secret (App settings → Basic): webhooks are signed with it"},
		{Name: SecretVerifyToken, Label: "Verify token", Generated: true,
			Description: "the token you paste as \"Verify token\" next to the callback URL in the app's Webhooks settings"},
		{Name: SecretAccessToken, Label: tokenLabel, Required: true, Description: tokenDescription},
	}, extra...)
}

var graphVersion = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,2}$`)

// Validate checks settings and secrets against the kind's description d:
// fields d does not describe are refused (naming them), required ones
// must be set, text fields must be text, and the common fields well
// formed. Kinds check their own fields' formats after it.
func Validate(d channels.Description, settings map[string]any, secrets map[string]string) error {
	for k := range settings {
		if !described(d.Settings, k) {
			return channels.SettingError(k, "%s is not a setting of %s channels", k, d.DisplayName)
		}
	}
	for k := range secrets {
		if !described(d.Secrets, k) {
			return channels.SecretError(k, "%s is not a secret of %s channels", k, d.DisplayName)
		}
	}
	for _, f := range d.Settings {
		v, set := settings[f.Name]
		s, isString := v.(string)
		text := f.Type == "" || f.Type == channels.FieldString || f.Type == channels.FieldURL || f.Type == channels.FieldSelect
		switch {
		case f.Required && (!set || v == nil || (isString && strings.TrimSpace(s) == "")):
			return channels.SettingError(f.Name, "%s is required", f.Label)
		case text && set && v != nil && !isString:
			return channels.SettingError(f.Name, "%s must be text", f.Label)
		case f.Type == channels.FieldSelect && isString && s != "" && !slices.Contains(f.Options, s):
			return channels.SettingError(f.Name, "%s must be one of %s", f.Label, strings.Join(f.Options, ", "))
		}
	}
	for _, f := range d.Secrets {
		if f.Required && strings.TrimSpace(secrets[f.Name]) == "" {
			return channels.SecretError(f.Name, "%s is required", f.Label)
		}
	}
	if v, _ := settings[SettingGraphVersion].(string); v != "" && !graphVersion.MatchString(v) {
		return channels.SettingError(SettingGraphVersion, "the Graph API version looks like %s", DefaultVersion)
	}
	if v, _ := settings[SettingBaseURL].(string); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return channels.SettingError(SettingBaseURL, "the base URL must be an http(s) URL")
		}
	}
	return nil
}

func described(fields []channels.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Handshake answers Meta's subscription check: a GET with
// hub.mode=subscribe, hub.verify_token and hub.challenge is answered with
// the challenge when the token is the channel's verify token, 403
// otherwise.
func Handshake(c *channels.Config, r *http.Request) (channels.Response, bool, error) {
	q := r.URL.Query()
	want := c.Secrets[SecretVerifyToken]
	if q.Get("hub.mode") != "subscribe" || want == "" ||
		subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(want)) != 1 {
		return channels.Response{}, true, channels.Rejected(http.StatusForbidden, "the verify token does not match the channel's")
	}
	challenge := q.Get("hub.challenge")
	if challenge == "" || len(challenge) > 256 {
		return channels.Response{}, true, channels.Rejected(http.StatusBadRequest, "hub.challenge is missing")
	}
	return channels.Response{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(challenge)}, true, nil
}

// Authenticate checks X-Hub-Signature-256 ("sha256=" and the lowercase
// hex HMAC-SHA256 of the raw body under the app secret), before anything
// of the body is read.
func Authenticate(c *channels.Config, r *http.Request, body []byte) error {
	secret := c.Secrets[SecretAppSecret]
	if secret == "" {
		return channels.Rejected(http.StatusForbidden, "the channel has no app secret")
	}
	got, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
	if !ok {
		return channels.Rejected(http.StatusUnauthorized, "X-Hub-Signature-256 is missing")
	}
	sig, err := hex.DecodeString(got)
	if err != nil {
		return channels.Rejected(http.StatusUnauthorized, "X-Hub-Signature-256 is not hex")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return channels.Rejected(http.StatusUnauthorized, "X-Hub-Signature-256 does not match the body")
	}
	return nil
}
