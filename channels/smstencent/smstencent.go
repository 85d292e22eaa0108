// Package smstencent is the channel kind "sms_tencent": Tencent Cloud SMS
// (腾讯云短信). It sends approved templates only (SendSms, API 2021-01-11,
// signed with TC3-HMAC-SHA256), and receives the replies and delivery
// reports Tencent posts to the callback URLs set in its console.
//
// Tencent signs neither callback. Besides the unguessable channel key in
// the webhook URL, the admin pastes the URL with ?token=<callbackToken>,
// a generated secret Receive compares in constant time before it parses
// anything; a request without it is refused 401.
package smstencent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

// Kind is the registry name.
const Kind = "sms_tencent"

// Settings and secrets.
const (
	SettingSdkAppID  = "sdkAppID"
	SettingSignName  = "signName"
	SettingRegion    = "region"
	SettingTemplates = "templates"
	SettingBaseURL   = "baseURL"

	SecretID            = "secretID"
	SecretKey           = "secretKey"
	SecretCallbackToken = "callbackToken"
)

const (
	// DefaultBaseURL is Tencent Cloud's SMS API endpoint.
	DefaultBaseURL = "https://sms.tencentcloudapi.com"
	// DefaultRegion is the region requests name when the setting is empty.
	DefaultRegion = "ap-guangzhou"
	// APIVersion is the SMS API version the requests speak.
	APIVersion = "2021-01-11"

	timeout      = 10 * time.Second
	minToken     = 16
	maxSecretLen = 256
)

var (
	defaultClient = &http.Client{Timeout: timeout}
	digits        = regexp.MustCompile(`^[0-9]{1,20}$`)
	regionName    = regexp.MustCompile(`^[a-z]{2,10}(-[a-z]+)+(-[0-9]+)?$`)
)

// Adapter implements channels.Adapter and channels.Templater for Tencent
// Cloud SMS.
type Adapter struct{}

// New returns the adapter.
func New() *Adapter { return &Adapter{} }

var (
	_ channels.Adapter   = (*Adapter)(nil)
	_ channels.Templater = (*Adapter)(nil)
)

// Describe implements channels.Adapter.
func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: Kind, DisplayName: "Tencent Cloud SMS", NeedsCredentials: true,
		Settings: []channels.Field{
			{Name: SettingSdkAppID, Label: "SDK AppID", Required: true, Type: channels.FieldString,
				Description: "the SMS application's SdkAppId (SMS console, Application Management), digits such as 1400000000"},
			{Name: SettingSignName, Label: "Signature name", Required: true, Type: channels.FieldString,
				Description: "the approved SMS signature (签名) content sent with every message, e.g. 腾讯云"},
			{Name: SettingRegion, Label: "Region", Type: channels.FieldString,
				Description: "API region sent as X-TC-Region; empty is " + DefaultRegion},
			{Name: SettingTemplates, Label: "Templates", Type: channels.FieldList,
				Description: "the approved templates agents may send: {id (the numeric TemplateId), name, params (names of {1}, {2}, ... in order), body with {{param}} placeholders}"},
			{Name: SettingBaseURL, Label: "API base URL", Type: channels.FieldURL,
				Description: "Tencent Cloud SMS endpoint; empty is " + DefaultBaseURL},
		},
		Secrets: []channels.Field{
			{Name: SecretID, Label: "SecretId", Required: true, Type: channels.FieldSecret,
				Description: "the API key's SecretId (CAM console, API Keys), allowed to call sms:SendSms and sms:SendStatusStatistics"},
			{Name: SecretKey, Label: "SecretKey", Required: true, Type: channels.FieldSecret,
				Description: "the API key's SecretKey"},
			{Name: SecretCallbackToken, Label: "Callback token", Type: channels.FieldSecret, Generated: true,
				Description: "Tencent signs no callback: paste the channel's webhook URL followed by ?token=<this token> as the reply and status callback URLs. Generated with the channel; rotate it to see a new one, or set your own (16 or more characters)."},
		},
		Capabilities: channels.Capabilities{Inbound: true, TemplateOnly: true, Templates: true, AddressByPhone: true},
	}
}

// Validate implements channels.Adapter: unknown fields and bad formats
// are *channels.FieldError values naming the field.
func (*Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		s, isString := v.(string)
		if k != SettingTemplates && v != nil && !isString {
			return channels.SettingError(k, "%s must be a string", k)
		}
		switch k {
		case SettingSdkAppID:
			if !digits.MatchString(s) {
				return channels.SettingError(k, "sdkAppID must be the SdkAppId's digits, such as 1400000000")
			}
		case SettingSignName:
			if strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > 64 || !utf8.ValidString(s) {
				return channels.SettingError(k, "signName must be the approved signature's text, at most 64 characters")
			}
		case SettingRegion:
			if s != "" && !regionName.MatchString(s) {
				return channels.SettingError(k, "region must be a Tencent Cloud region such as ap-guangzhou")
			}
		case SettingBaseURL:
			if s != "" && !bareBaseURL(s) {
				return channels.SettingError(k, "baseURL must be an absolute http or https URL without a path, such as %s", DefaultBaseURL)
			}
		case SettingTemplates:
			if _, err := templates(v); err != nil {
				return err
			}
		default:
			return channels.SettingError(k, "unknown setting %q", k)
		}
	}
	for _, k := range []string{SettingSdkAppID, SettingSignName} {
		if s, _ := settings[k].(string); s == "" {
			return channels.SettingError(k, "%s is required", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		v := secrets[k]
		switch k {
		case SecretID, SecretKey:
			if v == "" || len(v) > maxSecretLen || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) {
				return channels.SecretError(k, "%s must be the API key's value: printable characters without spaces", k)
			}
		case SecretCallbackToken:
			if len(v) < minToken || len(v) > maxSecretLen || url.QueryEscape(v) != v {
				return channels.SecretError(k, "callbackToken must be 16 to 256 letters, digits, '-', '_' or '.'")
			}
		default:
			return channels.SecretError(k, "unknown secret %q", k)
		}
	}
	for _, k := range []string{SecretID, SecretKey} {
		if secrets[k] == "" {
			return channels.SecretError(k, "%s is required", k)
		}
	}
	return nil
}

// Handshake implements channels.Adapter: Tencent posts only.
func (*Adapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

// Templates implements channels.Templater: the templates setting.
func (*Adapter) Templates(_ context.Context, c *channels.Config) ([]channels.Template, error) {
	return templates(c.Settings[SettingTemplates])
}

// templates parses the templates setting; Tencent's template ids are
// numbers and its templates have no language.
func templates(v any) ([]channels.Template, error) {
	list, err := channels.ParseTemplates(SettingTemplates, v)
	if err != nil {
		return nil, err
	}
	for i, t := range list {
		switch {
		case !digits.MatchString(t.ID):
			return nil, channels.SettingError(SettingTemplates, "templates[%d].id must be the numeric TemplateId", i)
		case t.Language != "":
			return nil, channels.SettingError(SettingTemplates, "templates[%d].language: Tencent SMS templates have no language", i)
		}
	}
	return list, nil
}

// Verify implements channels.Adapter with a read-only
// SendStatusStatistics call over the current hour (Beijing time).
func (*Adapter) Verify(ctx context.Context, c *channels.Config) error {
	if c.Secrets[SecretID] == "" || c.Secrets[SecretKey] == "" {
		return errors.New("secretID and secretKey are required")
	}
	hour := c.Time().In(beijing).Format("2006010215")
	// Unconfirmed: BeginTime and EndTime are Beijing-time hours
	// (YYYYMMDDHH); Limit and Offset are documented as fixed at 0.
	body := fmt.Sprintf(`{"BeginTime":%q,"EndTime":%q,"SmsSdkAppId":%q,"Limit":0,"Offset":0}`, hour, hour, c.Setting(SettingSdkAppID))
	var out struct{}
	if err := call(ctx, c, "SendStatusStatistics", []byte(body), &out); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return errors.New(ae.explain())
		}
		return fmt.Errorf("Tencent Cloud SMS unreachable: %w", err)
	}
	return nil
}

// beijing is China Standard Time, in which Tencent's SMS dates are given.
var beijing = time.FixedZone("CST", 8*3600)

// bareBaseURL reports whether s is an http(s) URL of a host and nothing
// else: TC3 signs the host and the path "/", so a base URL cannot carry
// a path, a query or credentials.
func bareBaseURL(s string) bool {
	u, err := url.Parse(s)
	return channels.IsHTTPURL(s) && err == nil && (u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.User == nil
}
