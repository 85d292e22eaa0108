package smstencent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Delays the SMS limits ask for. Tencent gives no Retry-After, so each
// LimitExceeded code gets its own: the 30-second and one-hour per-number
// limits their window; daily limits (they reset at midnight Beijing time)
// until then but at most an hour, so a message is not held back a whole
// day when a quota is raised; the rest a minute. The outbox's backoff
// and attempt limit still apply on top.
const (
	frequencyDelay   = 60 * time.Second
	requestRateDelay = 5 * time.Second // RequestLimitExceeded: calls per second
	maxDailyDelay    = time.Hour
)

// sendRequest is SendSms's body, fields in the documented order.
type sendRequest struct {
	PhoneNumberSet   []string
	SmsSdkAppID      string `json:"SmsSdkAppId"`
	TemplateID       string `json:"TemplateId"`
	SignName         string
	TemplateParamSet []string
	SessionContext   string
}

type sendResponse struct {
	SendStatusSet []struct {
		SerialNo, PhoneNumber, Code, Message string
	}
	RequestID string `json:"RequestId"`
}

// Send implements channels.Adapter: one approved template to one number.
// It never retries: the outbox does, as the returned error says.
func (*Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	if m.Template == nil {
		return "", channels.Permanent("Tencent SMS sends approved templates only")
	}
	tpls, err := templates(c.Settings[SettingTemplates])
	if err != nil {
		return "", channels.Permanent("the channel's templates setting is invalid: %v", err)
	}
	var tpl *channels.Template
	for i := range tpls {
		if tpls[i].ID == m.Template.ID {
			tpl = &tpls[i]
		}
	}
	if tpl == nil {
		return "", channels.Permanent("template %q is not among the channel's templates", m.Template.ID)
	}
	params := make([]string, len(tpl.Params))
	for i, name := range tpl.Params {
		v, ok := m.Template.Params[name]
		if !ok || v == nil {
			return "", channels.Permanent("template %s needs the parameter %q", tpl.ID, name)
		}
		params[i] = paramString(v)
	}
	to := m.Recipient.Phone
	if to == "" {
		to = m.Recipient.ExternalID
	}
	if !e164.MatchString(to) {
		return "", channels.Permanent("the recipient %q is not a phone number in E.164 form", to)
	}
	body, err := json.Marshal(sendRequest{
		PhoneNumberSet: []string{to}, SmsSdkAppID: c.Setting(SettingSdkAppID), TemplateID: tpl.ID,
		SignName: c.Setting(SettingSignName), TemplateParamSet: params, SessionContext: m.DeliveryID,
	})
	if err != nil {
		return "", channels.Permanent("encoding the request: %v", err)
	}
	var out sendResponse
	if err := call(ctx, c, "SendSms", body, &out); err != nil {
		return "", sendError(c, err)
	}
	if len(out.SendStatusSet) != 1 {
		return "", channels.Transient(nil, "Tencent SMS answered %d statuses for one number (RequestId %s)", len(out.SendStatusSet), out.RequestID)
	}
	st := out.SendStatusSet[0]
	if st.Code == "Ok" {
		return st.SerialNo, nil
	}
	return "", codeError(c, st.Code, fmt.Sprintf("Tencent SMS %s: %s", st.Code, st.Message))
}

// paramString is a template parameter as TemplateParamSet carries it.
func paramString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return fmt.Sprint(v)
}

// sendError maps a failed call.
func sendError(c *channels.Config, err error) error {
	var ae *apiError
	var he *httpStatusError
	switch {
	case errors.As(err, &ae):
		return codeError(c, ae.Code, ae.Error())
	case errors.As(err, &he) && he.status == http.StatusTooManyRequests:
		wait := requestRateDelay
		if s, err := strconv.Atoi(he.header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		return channels.RetryLater(wait, "Tencent SMS: HTTP 429")
	}
	return channels.Transient(err, "Tencent SMS")
}

// codeError maps an error code, request-level or for the number, to how
// the outbox should treat it.
func codeError(c *channels.Config, code, reason string) error {
	class, _, _ := strings.Cut(code, ".")
	switch {
	case code == "AuthFailure.SignatureExpire":
		return channels.Transient(nil, "%s (is this server's clock right?)", reason) // clock skew: may pass later
	case class == "AuthFailure", class == "UnauthorizedOperation":
		// The key is wrong, or may not use this SMS application: the
		// channel's verification fails with it.
		return channels.CredentialsRefused("%s", reason)
	case strings.HasPrefix(code, "RequestLimitExceeded"):
		return channels.RetryLater(requestRateDelay, "%s", reason)
	case class == "LimitExceeded":
		return channels.RetryLater(limitDelay(code, c.Time()), "%s", reason)
	case class == "InternalError":
		return channels.Transient(nil, "%s", reason)
	case class == "InvalidParameterValue", class == "InvalidParameter", class == "FailedOperation",
		class == "MissingParameter", class == "UnknownParameter",
		class == "UnsupportedOperation", class == "InvalidAction", class == "ResourceNotFound":
		return channels.Permanent("%s", reason)
	}
	// Unconfirmed: other classes (ResourceUnavailable, ResourceInsufficient,
	// new codes) are treated as passing; the outbox's attempt limit ends them.
	return channels.Transient(nil, "%s", reason)
}

// limitDelay is how long a LimitExceeded code asks to wait.
func limitDelay(code string, at time.Time) time.Duration {
	switch {
	case code == "LimitExceeded.PhoneNumberThirtySecondLimit":
		return 30 * time.Second
	case code == "LimitExceeded.PhoneNumberOneHourLimit":
		return time.Hour
	case strings.Contains(code, "DailyLimit"):
		b := at.In(beijing)
		midnight := time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, beijing)
		return max(min(midnight.Sub(at), maxDailyDelay), frequencyDelay)
	}
	return frequencyDelay
}
