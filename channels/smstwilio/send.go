package smstwilio

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

// defaultRateDelay is how long a 20429 waits when Twilio gives no
// Retry-After. Unconfirmed: Twilio documents no wait; the outbox's
// backoff applies on top.
const defaultRateDelay = 5 * time.Second

// Send implements channels.Adapter: one message to one number through
// the Messages API. It never retries: the outbox does, as the returned
// error says.
func (*Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	to := m.Recipient.Phone
	if to == "" {
		to = m.Recipient.ExternalID
	}
	if !e164.MatchString(to) {
		return "", channels.Permanent("the recipient %q is not a phone number in E.164 form", to)
	}
	if n := utf8.RuneCountInString(m.Text); n > MaxLength {
		return "", channels.Permanent("the text is %d characters; Twilio sends at most %d", n, MaxLength)
	}
	if m.Text == "" && len(m.Attachments) == 0 {
		return "", channels.Permanent("nothing to send: no text and no attachments")
	}
	if len(m.Attachments) > maxMedia {
		return "", channels.Permanent("%d attachments; an MMS carries at most %d", len(m.Attachments), maxMedia)
	}
	form := url.Values{"To": {to}}
	if svc := c.Setting(SettingMessagingServiceSID); svc != "" {
		form.Set("MessagingServiceSid", svc)
	}
	if from := c.Setting(SettingFromNumber); from != "" {
		form.Set("From", from)
	}
	if m.Text != "" {
		form.Set("Body", m.Text)
	}
	for _, a := range m.Attachments {
		if !channels.IsHTTPURL(a.URL) {
			return "", channels.Permanent("attachment %q has no link Twilio can fetch", a.Name)
		}
		form.Add("MediaUrl", a.URL)
	}
	if channels.IsHTTPURL(c.WebhookURL) {
		// The status callbacks come to the webhook too: their MessageStatus
		// tells them from a customer's message.
		form.Set("StatusCallback", c.WebhookURL)
	}
	res, err := do(ctx, c, http.MethodPost, accountPath(c)+"/Messages.json", form)
	if err != nil {
		return "", channels.Transient(err, "Twilio unreachable")
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode == http.StatusCreated || res.StatusCode == http.StatusOK {
		var out struct {
			SID string `json:"sid"`
		}
		if err := json.Unmarshal(body, &out); err != nil || !sentSID.MatchString(out.SID) {
			// The message may exist: retrying could send it twice, but
			// without its sid no receipt can be matched either.
			return "", channels.Transient(err, "Twilio accepted the message without a message sid (HTTP %d)", res.StatusCode)
		}
		return out.SID, nil
	}
	return "", sendError(res, parseAPIError(res.StatusCode, body))
}

// sendError maps Twilio's error to how the outbox treats it.
func sendError(res *http.Response, e *apiError) error {
	switch {
	case e.Code == 20003 || res.StatusCode == http.StatusUnauthorized:
		return channels.CredentialsRefused("%s: renew the Auth Token", e)
	case e.Code == 20429 || res.StatusCode == http.StatusTooManyRequests:
		wait := defaultRateDelay
		// Unconfirmed: Twilio may send Retry-After with a 429.
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
		return channels.RetryLater(wait, "%s", e)
	case res.StatusCode >= 500, res.StatusCode == http.StatusRequestTimeout:
		return channels.Transient(e, "Twilio")
	case e.Code == 21211, e.Code == 21610:
		// 21211: the To number is invalid; 21610: the recipient replied
		// STOP to this sender.
		return channels.Permanent("%s", e)
	case res.StatusCode >= 400:
		// Unconfirmed: other 4xx codes (21408 region not enabled, 21614 not
		// a mobile number, 21606 From not capable...) cannot pass on retry.
		return channels.Permanent("%s", e)
	}
	return channels.Transient(e, "Twilio")
}

// FetchMedia implements channels.MediaFetcher: an inbound MMS's media,
// fetched with the account's credentials. Only a URL of this account's
// resources on Twilio's API host (or the base URL's) is fetched, from the
// base URL's host: the credentials never go elsewhere. Twilio answers
// with a redirect to its media store, which Go follows without the
// credentials.
func (*Adapter) FetchMedia(ctx context.Context, c *channels.Config, m channels.Media) (io.ReadCloser, string, error) {
	u, err := url.Parse(m.URL)
	if err != nil || !channels.IsHTTPURL(m.URL) {
		return nil, "", channels.Permanent("media URL %q is not a URL", m.URL)
	}
	base, _ := url.Parse(baseURL(c))
	if u.Host != "api.twilio.com" && u.Host != base.Host {
		return nil, "", channels.Permanent("media URL %q is not on Twilio's API host", m.URL)
	}
	prefix := accountPath(c) + "/"
	if !strings.HasPrefix(u.Path, prefix) || strings.Contains(u.Path, "..") || u.User != nil {
		return nil, "", channels.Permanent("media URL %q is not this account's", m.URL)
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	res, err := do(ctx, c, http.MethodGet, path, nil)
	if err != nil {
		return nil, "", channels.Transient(err, "Twilio media unreachable")
	}
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
		res.Body.Close()
		e := parseAPIError(res.StatusCode, body)
		switch {
		case res.StatusCode == http.StatusNotFound, res.StatusCode == http.StatusGone:
			return nil, "", channels.Permanent("media %s: %s", m.ID, e)
		case res.StatusCode >= 500, res.StatusCode == http.StatusTooManyRequests:
			return nil, "", channels.Transient(e, "media %s", m.ID)
		}
		return nil, "", channels.Permanent("media %s: %s", m.ID, e)
	}
	ct := res.Header.Get("Content-Type")
	if ct == "" {
		ct = m.ContentType
	}
	return res.Body, ct, nil
}
