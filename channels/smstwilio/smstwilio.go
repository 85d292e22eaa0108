// Package smstwilio is the channel kind "sms_twilio": Twilio Programmable
// Messaging (SMS and MMS). Twilio posts a customer's messages and the
// status callbacks of sent ones to the channel's webhook URL, signed with
// X-Twilio-Signature (HMAC-SHA1 with the account's Auth Token over the
// URL and every POST parameter); messages go out through the Messages
// API with HTTP Basic AccountSid:AuthToken.
package smstwilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Kind is the registry name.
const Kind = "sms_twilio"

// Settings and secrets.
const (
	SettingAccountSID          = "accountSID"
	SettingFromNumber          = "fromNumber"
	SettingMessagingServiceSID = "messagingServiceSID"
	SettingBaseURL             = "baseURL"

	SecretAuthToken = "authToken"
)

const (
	// DefaultBaseURL is Twilio's REST API host.
	DefaultBaseURL = "https://api.twilio.com"
	// APIVersion is the REST API's version path.
	APIVersion = "2010-04-01"
	// MaxLength is the longest body the Messages API takes.
	MaxLength = 1600

	timeout = 15 * time.Second
)

var (
	defaultClient = &http.Client{Timeout: timeout}
	accountSID    = regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	serviceSID    = regexp.MustCompile(`^MG[0-9a-f]{32}$`)
	authToken     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	e164          = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// Adapter implements channels.Adapter and channels.MediaFetcher for
// Twilio.
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
		Kind: Kind, DisplayName: "Twilio SMS", NeedsCredentials: true,
		Settings: []channels.Field{
			{Name: SettingAccountSID, Label: "Account SID", Required: true, Type: channels.FieldString,
				Description: "the account's SID from the Twilio Console (Account Info): AC followed by 32 hexadecimal digits"},
			{Name: SettingFromNumber, Label: "From number", Type: channels.FieldString,
				Description: "the Twilio phone number messages are sent from, in E.164 form such as +14155550100; set it or the Messaging Service SID"},
			{Name: SettingMessagingServiceSID, Label: "Messaging Service SID", Type: channels.FieldString,
				Description: "a Messaging Service to send through instead of one number: MG followed by 32 hexadecimal digits"},
			{Name: SettingBaseURL, Label: "API base URL", Type: channels.FieldURL,
				Description: "Twilio's REST API host; empty is " + DefaultBaseURL},
		},
		Secrets: []channels.Field{
			{Name: SecretAuthToken, Label: "Auth Token", Required: true, Type: channels.FieldSecret,
				Description: "the account's Auth Token (Console, Account Info): it authenticates the API calls and Twilio signs its webhooks with it"},
		},
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, Attachments: true, AddressByPhone: true, MaxLength: MaxLength},
	}
}

// Validate implements channels.Adapter.
func (*Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		s, isString := v.(string)
		if v != nil && !isString {
			return channels.SettingError(k, "%s must be a string", k)
		}
		switch k {
		case SettingAccountSID:
			if !accountSID.MatchString(s) {
				return channels.SettingError(k, "accountSID must be the Account SID: AC followed by 32 lowercase hexadecimal digits")
			}
		case SettingFromNumber:
			if s != "" && !e164.MatchString(s) {
				return channels.SettingError(k, "fromNumber must be a phone number in E.164 form such as +14155550100")
			}
		case SettingMessagingServiceSID:
			if s != "" && !serviceSID.MatchString(s) {
				return channels.SettingError(k, "messagingServiceSID must be MG followed by 32 lowercase hexadecimal digits")
			}
		case SettingBaseURL:
			if s != "" && !bareBaseURL(s) {
				return channels.SettingError(k, "baseURL must be an absolute http or https URL without a path, such as %s", DefaultBaseURL)
			}
		default:
			return channels.SettingError(k, "unknown setting %q", k)
		}
	}
	if s, _ := settings[SettingAccountSID].(string); s == "" {
		return channels.SettingError(SettingAccountSID, "accountSID is required")
	}
	from, _ := settings[SettingFromNumber].(string)
	svc, _ := settings[SettingMessagingServiceSID].(string)
	if from == "" && svc == "" {
		return channels.SettingError(SettingFromNumber, "set fromNumber or messagingServiceSID: who the messages are sent from")
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		switch k {
		case SecretAuthToken:
			if !authToken.MatchString(secrets[k]) {
				return channels.SecretError(k, "authToken must be the Auth Token: 32 lowercase hexadecimal digits")
			}
		default:
			return channels.SecretError(k, "unknown secret %q", k)
		}
	}
	if secrets[SecretAuthToken] == "" {
		return channels.SecretError(SecretAuthToken, "authToken is required")
	}
	return nil
}

// Handshake implements channels.Adapter: Twilio only posts.
func (*Adapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

// Verify implements channels.Adapter: GET the account with the
// credentials.
func (*Adapter) Verify(ctx context.Context, c *channels.Config) error {
	sid := c.Setting(SettingAccountSID)
	if sid == "" || c.Secrets[SecretAuthToken] == "" {
		return errors.New("accountSID and authToken are required")
	}
	res, err := do(ctx, c, http.MethodGet, accountPath(c)+".json", nil)
	if err != nil {
		return fmt.Errorf("Twilio unreachable: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		e := parseAPIError(res.StatusCode, body)
		switch {
		case e.Code == 20003 || res.StatusCode == http.StatusUnauthorized:
			return fmt.Errorf("Twilio refused the Account SID and Auth Token (%s): copy both again from the Console's Account Info", e)
		case res.StatusCode == http.StatusNotFound:
			return fmt.Errorf("Twilio knows no account %s (%s)", sid, e)
		}
		return fmt.Errorf("Twilio answered %s", e)
	}
	var acct struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &acct); err != nil {
		return fmt.Errorf("Twilio's account answer is not JSON: %w", err)
	}
	if acct.Status != "" && acct.Status != "active" {
		return fmt.Errorf("the Twilio account is %s, not active", acct.Status)
	}
	return nil
}

// bareBaseURL reports whether s is an http(s) URL of a host and nothing
// else: the API paths are appended to it.
func bareBaseURL(s string) bool {
	u, err := url.Parse(s)
	return channels.IsHTTPURL(s) && err == nil && (u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.User == nil && u.Fragment == ""
}

func baseURL(c *channels.Config) string {
	if s := c.Setting(SettingBaseURL); s != "" {
		return strings.TrimSuffix(s, "/")
	}
	return DefaultBaseURL
}

// accountPath is the account's resource path, without ".json".
func accountPath(c *channels.Config) string {
	return "/" + APIVersion + "/Accounts/" + c.Setting(SettingAccountSID)
}

func client(c *channels.Config) *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultClient
}

// do makes an authenticated request to path on the base URL.
func do(ctx context.Context, c *channels.Config, method, path string, form url.Values) (*http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, baseURL(c)+path, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.Setting(SettingAccountSID), c.Secrets[SecretAuthToken])
	return client(c).Do(req)
}

// apiError is Twilio's error answer.
type apiError struct {
	HTTPStatus int    `json:"-"`
	Code       int    `json:"code"`
	Message    string `json:"message"`
	MoreInfo   string `json:"more_info"`
}

func (e *apiError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("Twilio error %d: %s (HTTP %d)", e.Code, e.Message, e.HTTPStatus)
	}
	return fmt.Sprintf("Twilio: HTTP %d", e.HTTPStatus)
}

func (e *apiError) String() string { return e.Error() }

func parseAPIError(status int, body []byte) *apiError {
	e := &apiError{}
	_ = json.Unmarshal(body, e)
	e.HTTPStatus = status
	if len(e.Message) > 300 {
		e.Message = e.Message[:300]
	}
	return e
}
