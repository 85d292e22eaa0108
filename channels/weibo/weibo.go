// Package weibo is the channel of Weibo's fan-service platform (微博粉丝服务):
// a Weibo account's private messages and fan events arrive as JSON pushes
// on the channel's webhook, signed with the app's AppSecret, and agents
// answer through the reply API within 48 hours of the fan's last message,
// with the account's access token (a secret the admin enters).
//
// The protocol, as the spec and Weibo's public documentation give it:
//
//   - Handshake: GET ?signature&timestamp&nonce&echostr, where signature is
//     the lowercase hex SHA-1 of {AppSecret, timestamp, nonce} sorted and
//     concatenated; the answer is echostr. timestamp is in milliseconds.
//   - Pushes: POST with the same query, JSON {"type", "receiver_id",
//     "sender_id", "created_at", "text", "data"}.
//   - Reply: POST {baseURL}/2/messages/reply.json, form access_token,
//     type=text, data={"text": ...} (JSON), receiver_id.
package weibo

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/switchboard/switchboard/channels"
)

// Kind is the registry name.
const Kind = "weibo"

// Defaults of the base URL settings: the real hosts.
const (
	DefaultBaseURL       = "https://m.api.weibo.com"      // fan-service messages (reply.json)
	DefaultAPIBaseURL    = "https://api.weibo.com"        // open API (account/get_uid.json)
	DefaultUploadBaseURL = "https://upload.api.weibo.com" // media download (mss/msget)
)

const (
	// ReplyWindow is how long after a fan's last message the account may
	// answer them.
	ReplyWindow = 48 * time.Hour
	// maxReply is the longest reply text, in characters.
	// Unconfirmed: Weibo's documentation limits the reply's data to 1024
	// characters; 1000 leaves room for the JSON around the text.
	maxReply = 1000
	maxSkew  = 5 * time.Minute  // farthest a push's timestamp may be from now
	timeout  = 10 * time.Second // per outbound request
)

var defaultClient = &http.Client{Timeout: timeout}

// Adapter implements channels.Adapter (and MediaFetcher) for kind "weibo".
type Adapter struct{}

// New returns the weibo adapter.
func New() *Adapter { return &Adapter{} }

var (
	_ channels.Adapter      = (*Adapter)(nil)
	_ channels.MediaFetcher = (*Adapter)(nil)
)

// Describe implements channels.Adapter.
func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: Kind, DisplayName: "Weibo", NeedsCredentials: true,
		Settings: []channels.Field{
			{Name: "appKey", Label: "App Key", Type: channels.FieldString,
				Description: "the App Key of the Weibo app the fan service is bound to (shown for reference)"},
			{Name: "uid", Label: "Account UID", Type: channels.FieldString,
				Description: "the numeric UID of the Weibo account; when set, pushes addressed to another account are refused and the account's own messages ignored"},
			{Name: "baseURL", Label: "Messages API base URL", Type: channels.FieldURL,
				Description: "base URL of Weibo's fan-service messages API; default " + DefaultBaseURL},
			{Name: "apiBaseURL", Label: "Open API base URL", Type: channels.FieldURL,
				Description: "base URL of Weibo's open API, used to check the access token; default " + DefaultAPIBaseURL},
			{Name: "uploadBaseURL", Label: "Media API base URL", Type: channels.FieldURL,
				Description: "base URL of Weibo's media API, used to download images fans send; default " + DefaultUploadBaseURL},
		},
		Secrets: []channels.Field{
			{Name: "appSecret", Label: "App Secret", Required: true, Type: channels.FieldSecret,
				Description: "the App Secret of the Weibo app: it signs the callback handshake and every push"},
			{Name: "accessToken", Label: "Access token", Required: true, Type: channels.FieldSecret,
				Description: "the fan-service access token of the account (粉丝服务 → 高级功能 → 开发模式); renew it here when Weibo reports it expired"},
		},
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, MaxLength: maxReply, ReplyWindow: ReplyWindow},
	}
}

var urlSettings = []string{"baseURL", "apiBaseURL", "uploadBaseURL"}

// Validate implements channels.Adapter: unknown fields, settings of the
// wrong form and unusable secrets are *channels.FieldError values.
func (*Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		if v == nil {
			continue
		}
		s, ok := v.(string)
		switch {
		case k == "appKey" || k == "uid":
			if !ok || (s != "" && !digits(s, 20)) {
				return channels.SettingError(k, "%s must be Weibo's numeric id, as a string of digits", k)
			}
		case slices.Contains(urlSettings, k):
			if !ok || (s != "" && !channels.IsHTTPURL(s)) {
				return channels.SettingError(k, "%s must be an absolute http or https URL", k)
			}
		default:
			return channels.SettingError(k, "unknown setting %q", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		v := secrets[k]
		switch k {
		case "appSecret", "accessToken":
			if v == "" || len(v) > 512 || strings.IndexFunc(v, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsGraphic(r) || r == ' ' }) >= 0 {
				return channels.SecretError(k, "%s must be the value Weibo shows, printable ASCII without spaces", k)
			}
		default:
			return channels.SecretError(k, "unknown secret %q", k)
		}
	}
	return nil
}

// base is a base URL setting without its trailing slash, or its default.
func base(c *channels.Config, name, def string) string {
	if s := c.Setting(name); s != "" {
		return strings.TrimRight(s, "/")
	}
	return def
}

func client(c *channels.Config) *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultClient
}

// digits reports whether s is 1 to max ASCII digits.
func digits(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Verify implements channels.Adapter: it asks Weibo whose the access
// token is (GET {apiBaseURL}/2/account/get_uid.json), and checks it is
// the account of the uid setting when one is set.
// Unconfirmed: that a fan-service access token may call get_uid.json (it
// is an ordinary OAuth2 access token of the account, so it should).
func (*Adapter) Verify(ctx context.Context, c *channels.Config) error {
	if c.Secrets["appSecret"] == "" {
		return errNoSecret("appSecret")
	}
	if c.Secrets["accessToken"] == "" {
		return errNoSecret("accessToken")
	}
	var out struct {
		UID flexID `json:"uid"`
	}
	q := url.Values{"access_token": {c.Secrets["accessToken"]}}
	res, err := call(ctx, c, http.MethodGet, base(c, "apiBaseURL", DefaultAPIBaseURL)+"/2/account/get_uid.json?"+q.Encode(), nil)
	if err != nil {
		return verifyError("Weibo is unreachable: %v", err)
	}
	if apiErr := res.apiError(); apiErr != nil {
		if apiErr.tokenRefused() {
			return verifyError("Weibo refused the access token (%s): renew it in the fan-service console and enter it again", apiErr)
		}
		return verifyError("Weibo refused the check of the access token: %s", apiErr)
	}
	if res.decode(&out) != nil || out.UID == "" {
		return verifyError("Weibo's answer to get_uid.json has no uid")
	}
	if uid := c.Setting("uid"); uid != "" && uid != string(out.UID) {
		return verifyError("the access token belongs to the Weibo account %s, not to the uid setting %s", out.UID, uid)
	}
	return nil
}
