package smstwilio

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // Twilio's signature is HMAC-SHA1
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

// SignatureHeader is the header Twilio signs its requests in.
const SignatureHeader = "X-Twilio-Signature"

// maxMedia is the most media an MMS carries.
const maxMedia = 10

var (
	messageSID = regexp.MustCompile(`^(SM|MM)[0-9a-f]{32}$`)
	anySID     = regexp.MustCompile(`^[A-Z]{2}[0-9a-f]{32}$`)
	sentSID    = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

// Opt-out keywords Twilio handles for every number (Default Opt-Out
// Handling): the customer's message is exactly one of them.
var (
	optOutWords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
	optInWords  = []string{"START", "YES", "UNSTOP"}
)

// twiml is the empty TwiML answer: nothing to send back.
var twiml = []byte(`<?xml version="1.0" encoding="UTF-8"?><Response/>`)

// Receive implements channels.Adapter. The signature is checked over the
// channel's webhook URL and every parameter of the raw form body before
// any of them is read; then the body is a customer's message or a status
// callback (it has a MessageStatus other than "received").
func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	got := ""
	if r != nil {
		got = r.Header.Get(SignatureHeader)
	}
	if got == "" {
		return nil, channels.Rejected(401, "missing %s", SignatureHeader)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		// A body Twilio did not form-encode cannot be verified either.
		return nil, channels.Rejected(400, "malformed request: not a form body: %v", err)
	}
	if !validSignature(c.Secrets[SecretAuthToken], signedURLs(c, r), form, got) {
		return nil, channels.Rejected(401, "wrong %s", SignatureHeader)
	}
	for k, vs := range form {
		for _, v := range vs {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, channels.Rejected(400, "malformed request: parameter %q is not UTF-8", k)
			}
		}
	}
	if acct := form.Get("AccountSid"); acct != c.Setting(SettingAccountSID) {
		return nil, channels.Rejected(403, "the request is for another account (%q)", acct)
	}
	sid := form.Get("MessageSid")
	// Unconfirmed: inbound messages carry SmsStatus "received" and, in
	// newer requests, no MessageStatus or MessageStatus "received".
	switch st := form.Get("MessageStatus"); st {
	case "", "received", "receiving":
		if !messageSID.MatchString(sid) {
			return nil, channels.Rejected(400, "MessageSid must be SM or MM followed by 32 hexadecimal digits")
		}
		return receiveMessage(c, form, sid)
	default:
		// A status callback names the sid the Messages API answered.
		if !sentSID.MatchString(sid) {
			return nil, channels.Rejected(400, "malformed MessageSid")
		}
		return receiveStatus(c, form, sid, st)
	}
}

// signedURLs are the URLs Twilio may have signed: the webhook URL as
// configured in its console (the channel's webhookURL, with the query the
// request came with, if any), with and without the scheme's default port.
func signedURLs(c *channels.Config, r *http.Request) []string {
	u, err := url.Parse(c.WebhookURL)
	if err != nil || c.WebhookURL == "" || u.Host == "" {
		return nil
	}
	// The configured string itself, not u.String(): Twilio signs the
	// characters it was given.
	raw := c.WebhookURL
	if r != nil && r.URL != nil && r.URL.RawQuery != "" {
		raw, _, _ = strings.Cut(raw, "?")
		raw += "?" + r.URL.RawQuery
	}
	urls := []string{raw}
	prefix := u.Scheme + "://" + u.Host
	if !strings.HasPrefix(raw, prefix) {
		return urls
	}
	rest := raw[len(prefix):]
	port := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	switch {
	case port == "":
	case u.Port() == "":
		urls = append(urls, prefix+":"+port+rest)
	case u.Port() == port:
		urls = append(urls, strings.TrimSuffix(prefix, ":"+port)+rest)
	}
	return urls
}

// Signature is X-Twilio-Signature for a request to rawURL with form:
// base64(HMAC-SHA1(token, rawURL followed by each parameter's name and
// value, sorted by name)).
func Signature(token, rawURL string, form url.Values) string {
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(rawURL))
	for _, k := range slices.Sorted(maps.Keys(form)) {
		// Unconfirmed: a repeated parameter's values are appended in
		// sorted order (as Twilio's helper libraries do).
		for _, v := range slices.Sorted(slices.Values(form[k])) {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// validSignature compares got, in constant time, with the signature of
// form under each of urls.
func validSignature(token string, urls []string, form url.Values, got string) bool {
	if token == "" {
		return false
	}
	ok := false
	for _, u := range urls {
		if hmac.Equal([]byte(Signature(token, u, form)), []byte(got)) {
			ok = true
		}
	}
	return ok
}

func receiveMessage(c *channels.Config, form url.Values, sid string) (*channels.Delivery, error) {
	from := form.Get("From")
	if !e164.MatchString(from) {
		// Unconfirmed: SMS and MMS senders are E.164 numbers; short codes
		// and other channels (whatsapp:...) are not this kind's.
		return nil, channels.Rejected(400, "From must be a phone number in E.164 form")
	}
	text := form.Get("Body")
	n := 0
	if s := form.Get("NumMedia"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 0 || n > maxMedia {
			return nil, channels.Rejected(400, "NumMedia must be a number from 0 to %d", maxMedia)
		}
	}
	if text == "" && n == 0 {
		return nil, channels.Rejected(400, "a message without Body or media")
	}
	sender := channels.Sender{ExternalID: from, Phone: from, Verified: true} // the carrier vouches for the number
	msg := channels.Inbound{ProviderMessageID: sid, Sender: sender, Text: text, Time: c.Time()}
	for i := range n {
		link := form.Get("MediaUrl" + strconv.Itoa(i))
		if !channels.IsHTTPURL(link) {
			return nil, channels.Rejected(400, "MediaUrl%d must be an http or https URL", i)
		}
		msg.Media = append(msg.Media, channels.Media{ID: mediaSID(link), URL: link, ContentType: form.Get("MediaContentType" + strconv.Itoa(i))})
	}
	meta := map[string]any{}
	for _, k := range []string{"To", "FromCity", "FromState", "FromCountry", "NumSegments", "MessagingServiceSid"} {
		if v := form.Get(k); v != "" && len(v) <= 100 {
			meta[k] = v
		}
	}
	if len(meta) > 0 {
		msg.Metadata = meta
	}
	d := &channels.Delivery{Messages: []channels.Inbound{msg}, Respond: respond}
	if kind, ok := optKeyword(form, text); ok {
		d.Events = append(d.Events, channels.Event{ProviderEventID: sid, Kind: kind, Sender: sender, Detail: strings.TrimSpace(text), Time: msg.Time})
	}
	return d, nil
}

// optKeyword tells whether a message opts its sender out (STOP) or back
// in (START). Twilio's Advanced Opt-Out names the keyword's type in
// OptOutType (Unconfirmed: its values STOP, START and HELP); without it,
// the standard keywords are matched, the whole body trimmed and in any
// case.
func optKeyword(form url.Values, text string) (channels.EventKind, bool) {
	switch strings.ToUpper(form.Get("OptOutType")) {
	case "STOP":
		return channels.EventOptedOut, true
	case "START":
		return channels.EventOptedIn, true
	case "HELP":
		return "", false
	}
	word := strings.ToUpper(strings.TrimSpace(text))
	switch {
	case slices.Contains(optOutWords, word):
		return channels.EventOptedOut, true
	case slices.Contains(optInWords, word):
		return channels.EventOptedIn, true
	}
	return "", false
}

// mediaSID is the last path segment of a media URL (ME...), or "".
func mediaSID(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	last := u.Path[strings.LastIndex(u.Path, "/")+1:]
	if anySID.MatchString(last) {
		return last
	}
	return ""
}

func receiveStatus(c *channels.Config, form url.Values, sid, status string) (*channels.Delivery, error) {
	rc := channels.Receipt{ProviderMessageID: sid, Time: c.Time()}
	switch status {
	case "sent":
		rc.Status = channels.StatusSent
	case "delivered":
		rc.Status = channels.StatusDelivered
	case "read":
		rc.Status = channels.StatusRead
	case "undelivered", "failed", "canceled":
		rc.Status = channels.StatusFailed
		rc.Reason = "Twilio: " + status
		if code := form.Get("ErrorCode"); code != "" {
			if _, err := strconv.Atoi(code); err == nil {
				rc.Reason += " (error " + code + ")"
			}
		}
		if m := form.Get("ErrorMessage"); m != "" && len(m) <= 200 {
			rc.Reason += ": " + m
		}
	default:
		// queued, accepted, scheduled, sending and statuses Twilio may add
		// tell nothing the inbox records: acknowledged, nothing stored.
		return &channels.Delivery{Respond: respond}, nil
	}
	return &channels.Delivery{Receipts: []channels.Receipt{rc}, Respond: respond}, nil
}

// respond answers Twilio with empty TwiML: no automatic reply.
func respond([]channels.Stored) channels.Response {
	return channels.Response{Status: http.StatusOK, ContentType: "text/xml", Body: twiml}
}
