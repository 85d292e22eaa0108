// Package wechat is the channel of a WeChat official account (公众号):
// pushes to the account's server URL (plain, compatible or safe mode)
// become messages and channel events, and agents answer through the
// customer-service message API within 48 hours of the customer's last
// message.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

// Kind is the registry name.
const Kind = "wechat"

// DefaultBaseURL is WeChat's API host.
const DefaultBaseURL = "https://api.weixin.qq.com"

// Encoding modes of the account's server configuration (消息加解密方式).
const (
	ModePlain      = "plain"      // 明文模式
	ModeCompatible = "compatible" // 兼容模式: plain fields and Encrypt
	ModeSafe       = "safe"       // 安全模式: Encrypt only
)

const (
	maxSkew        = 5 * time.Minute // WeChat retries within ~15 s
	replyWindow    = 48 * time.Hour
	maxTextRunes   = 2048 // Unconfirmed: WeChat documents no limit for custom text; long texts are cut by the client
	requestTimeout = 10 * time.Second
)

var (
	appIDFormat = regexp.MustCompile(`^wx[0-9A-Za-z]{16}$`)
	// The server-configuration Token: 3 to 32 letters or digits.
	tokenFormat = regexp.MustCompile(`^[0-9A-Za-z]{3,32}$`)
)

// Adapter implements channels.Adapter for kind "wechat". Its zero value
// is not usable: call New.
type Adapter struct {
	tokens *channels.TokenSource
}

// New returns the wechat adapter.
func New() *Adapter {
	a := &Adapter{}
	a.tokens = &channels.TokenSource{Key: "access_token", Fetch: a.fetchToken}
	return a
}

var (
	_ channels.Adapter      = (*Adapter)(nil)
	_ channels.MediaFetcher = (*Adapter)(nil)
)

// Describe implements channels.Adapter.
func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: Kind, DisplayName: "WeChat Official Account", NeedsCredentials: true,
		Settings: []channels.Field{
			{Name: "appID", Label: "AppID", Required: true, Type: channels.FieldString,
				Description: "the account's AppID (开发者ID), wx followed by 16 characters: Settings and Development > Basic Configuration"},
			{Name: "token", Label: "Token", Required: true, Type: channels.FieldString,
				Description: "the Token (令牌) entered in the server configuration, 3 to 32 letters or digits; it signs every push"},
			{Name: "encodingMode", Label: "Message encryption", Type: channels.FieldSelect,
				Options:     []string{ModePlain, ModeCompatible, ModeSafe},
				Description: "the server configuration's 消息加解密方式: plain (明文), compatible (兼容) or safe (安全); plain when empty"},
			{Name: "welcomeMessage", Label: "Welcome message", Type: channels.FieldString,
				Description: "sent to a customer who follows the account, as the answer to the follow; none when empty"},
			{Name: "baseURL", Label: "API base URL", Type: channels.FieldURL,
				Description: "WeChat's API host; " + DefaultBaseURL + " when empty"},
		},
		Secrets: []channels.Field{
			{Name: "appSecret", Label: "AppSecret", Required: true, Type: channels.FieldSecret,
				Description: "the account's AppSecret (开发者密码), 32 characters: Settings and Development > Basic Configuration"},
			{Name: "encodingAESKey", Label: "EncodingAESKey", Type: channels.FieldSecret,
				Description: "the server configuration's EncodingAESKey (消息加解密密钥), 43 characters; required in compatible and safe mode"},
		},
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, Attachments: true,
			MaxLength: maxTextRunes, ReplyWindow: replyWindow},
	}
}

// Validate implements channels.Adapter; its errors are
// *channels.FieldError values naming the field.
func (*Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		s, ok := v.(string)
		if v != nil && !ok {
			return channels.SettingError(k, "%s must be a string", k)
		}
		switch k {
		case "appID":
			if !appIDFormat.MatchString(s) {
				return channels.SettingError(k, "appID must be the account's AppID: wx followed by 16 letters or digits")
			}
		case "token":
			if !tokenFormat.MatchString(s) {
				return channels.SettingError(k, "token must be the server configuration's Token: 3 to 32 letters or digits")
			}
		case "encodingMode":
			if s != "" && !slices.Contains([]string{ModePlain, ModeCompatible, ModeSafe}, s) {
				return channels.SettingError(k, "encodingMode must be plain, compatible or safe")
			}
		case "welcomeMessage":
			if utf8.RuneCountInString(s) > maxTextRunes || !utf8.ValidString(s) {
				return channels.SettingError(k, "welcomeMessage must be valid text of at most %d characters", maxTextRunes)
			}
		case "baseURL":
			if u, err := url.Parse(s); s != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
				return channels.SettingError(k, "baseURL must be an absolute http or https URL")
			}
		default:
			return channels.SettingError(k, "unknown setting %q", k)
		}
	}
	for _, k := range []string{"appID", "token"} {
		if s, _ := settings[k].(string); s == "" {
			return channels.SettingError(k, "%s is required", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		v := secrets[k]
		switch k {
		case "appSecret":
			if len(v) < 16 || len(v) > 64 {
				return channels.SecretError(k, "appSecret must be the account's AppSecret (32 characters)")
			}
		case "encodingAESKey":
			if _, err := aesKey(v); v != "" && err != nil {
				return channels.SecretError(k, "%v", err)
			}
		default:
			return channels.SecretError(k, "unknown secret %q", k)
		}
	}
	if secrets["appSecret"] == "" {
		return channels.SecretError("appSecret", "appSecret is required")
	}
	if m, _ := settings["encodingMode"].(string); (m == ModeCompatible || m == ModeSafe) && secrets["encodingAESKey"] == "" {
		return channels.SecretError("encodingAESKey", "encodingAESKey is required in %s mode", m)
	}
	return nil
}

// Verify implements channels.Adapter: it fetches an access token with the
// AppID and AppSecret, then asks for WeChat's callback IPs with it, which
// also tells whether this server's IP is whitelisted.
func (a *Adapter) Verify(ctx context.Context, c *channels.Config) error {
	if c.Secrets["appSecret"] == "" {
		return errors.New("the channel has no AppSecret")
	}
	if mode(c) != ModePlain {
		if _, err := aesKey(c.Secrets["encodingAESKey"]); err != nil {
			return fmt.Errorf("%s mode needs the EncodingAESKey: %w", mode(c), err)
		}
	}
	tok, err := a.fetchToken(ctx, c, false)
	if err != nil {
		return explain(err)
	}
	var out struct {
		IPList []string `json:"ip_list"`
	}
	if err := call(ctx, c, http.MethodGet, "/cgi-bin/getcallbackip", tok.Value, nil, "", &out); err != nil {
		return explain(err)
	}
	return nil
}

// explain words an API error for an admin.
func explain(err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return fmt.Errorf("WeChat's API cannot be reached: %w", err)
	}
	switch ae.Code {
	case 40125, 40001:
		return fmt.Errorf("WeChat refused the AppSecret (%d): copy it again from Settings and Development > Basic Configuration (a reset AppSecret replaces the old one)", ae.Code)
	case 40013:
		return fmt.Errorf("WeChat does not know this AppID (40013): check the AppID in Settings and Development > Basic Configuration")
	case 40164, 61004:
		return fmt.Errorf("WeChat refused this server's IP address (%d: %s): add it to the IP whitelist in Settings and Development > Basic Configuration", ae.Code, ae.Msg)
	case 89503, 89501:
		return fmt.Errorf("WeChat asks an administrator to confirm this server's IP address (%d): confirm it in the WeChat app, or add it to the IP whitelist", ae.Code)
	}
	return fmt.Errorf("WeChat refused the credentials: %w", err)
}

// Handshake implements channels.Adapter: WeChat's GET when the server URL
// is saved, answered with echostr when signature matches.
func (*Adapter) Handshake(_ context.Context, c *channels.Config, r *http.Request) (channels.Response, bool, error) {
	q := r.URL.Query()
	if err := checkSignature(c, q); err != nil {
		return channels.Response{}, true, err
	}
	// Unconfirmed: an official account's URL check is plain in every
	// encoding mode (only WeCom encrypts echostr); echostr is a number.
	echo := q.Get("echostr")
	if echo == "" || len(echo) > 128 || !printable(echo) {
		return channels.Response{}, true, channels.Rejected(400, "echostr is missing or not printable ASCII")
	}
	return channels.Response{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(echo)}, true, nil
}

func printable(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] > '~' || s[i] == '<' || s[i] == '>' {
			return false
		}
	}
	return true
}

// checkSignature checks the query's signature and timestamp: the first
// thing done with a request.
func checkSignature(c *channels.Config, q url.Values) error {
	token := c.Setting("token")
	if token == "" {
		return channels.Rejected(401, "the channel has no Token configured")
	}
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("signature")
	if sig == "" || ts == "" {
		return channels.Rejected(401, "missing signature or timestamp")
	}
	if !sameSignature(sig, signature(token, ts, nonce)) {
		return channels.Rejected(401, "invalid signature")
	}
	return fresh(c, ts)
}

// fresh refuses a timestamp more than 5 minutes from now: a replayed push.
func fresh(c *channels.Config, ts string) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return channels.Rejected(401, "invalid timestamp")
	}
	if d := c.Time().Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return channels.Rejected(401, "timestamp is more than 5 minutes from now")
	}
	return nil
}

func mode(c *channels.Config) string {
	if m := c.Setting("encodingMode"); m != "" {
		return m
	}
	return ModePlain
}

func baseURL(c *channels.Config) string {
	if b := c.Setting("baseURL"); b != "" {
		return b
	}
	return DefaultBaseURL
}

var defaultClient = &http.Client{Timeout: requestTimeout}

func client(c *channels.Config) *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultClient
}
