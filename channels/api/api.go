package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

const (
	maxText    = channels.MaxText // longest text, in bytes inbound
	maxSkew    = 5 * time.Minute  // farthest a timestamp may be from now
	timeout    = 5 * time.Second  // per outbound request
	hdrTime    = "X-Switchboard-Timestamp"
	hdrSig     = "X-Switchboard-Signature"
	hdrDeliver = "X-Switchboard-Delivery"
)

var defaultClient = &http.Client{Timeout: timeout}

// Adapter implements channels.Adapter for kind "api".
type Adapter struct{}

// New returns the api adapter.
func New() *Adapter { return &Adapter{} }

var (
	_ channels.Adapter   = (*Adapter)(nil)
	_ channels.Templater = (*Adapter)(nil)
)

func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: "api", DisplayName: "API",
		Settings: []channels.Field{
			{Name: "callbackURL", Label: "Callback URL", Type: channels.FieldURL,
				Description: "http(s) URL of the integrator that receives outbound messages; needed to send"},
			{Name: "templates", Label: "Templates", Type: channels.FieldList,
				Description: "approved messages agents may send: {id, name, language, params, body with {{param}} placeholders}"},
		},
		Secrets: []channels.Field{{Name: "secret", Label: "Signing secret", Required: true, Type: channels.FieldSecret,
			Description: "shared HMAC-SHA256 key signing both directions, at least 16 characters"}},
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, Templates: true, Attachments: true,
			MaxLength: maxText, AddressByExternalID: true},
	}
}

// Validate checks settings and secrets; its errors are
// *channels.FieldError values naming the field. Messages about settings
// do not contain the word "secret" (older callers pick the failing field
// by it).
func (*Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		v := settings[k]
		switch k {
		case "callbackURL":
			if s, ok := v.(string); v != nil && (!ok || (s != "" && !channels.IsHTTPURL(s))) {
				return channels.SettingError(k, "callbackURL must be an absolute http or https URL")
			}
		case "templates":
			if _, err := templates(v); err != nil {
				return err
			}
		default:
			return channels.SettingError(k, "unknown setting %q", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if k != "secret" {
			return channels.SecretError(k, "unknown secret %q", k)
		}
		if utf8.RuneCountInString(secrets[k]) < 16 {
			return channels.SecretError(k, "secret must be at least 16 characters")
		}
	}
	return nil
}

// Verify pings the callback URL, or only checks the secret without one.
func (*Adapter) Verify(ctx context.Context, c *channels.Config) error {
	if c.Secrets["secret"] == "" {
		return errors.New("api channel has no secret")
	}
	if c.Setting("callbackURL") == "" {
		return nil
	}
	id := randomID()
	body, _ := json.Marshal(map[string]string{"event": "ping", "deliveryID": id})
	res, err := post(ctx, c, id, body)
	if err != nil {
		return fmt.Errorf("callback unreachable: %w", err)
	}
	if res.status/100 != 2 {
		return fmt.Errorf("callback answered %d", res.status)
	}
	return nil
}

// Handshake: the api kind has none.
func (*Adapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

// inbound is the integrator's message. channels.Sender has no JSON tags;
// its fields match "externalID", "name", "email" and "phone" by name.
type inbound struct {
	MessageID   string                `json:"messageID"`
	Sender      *channels.Sender      `json:"sender"`
	Text        string                `json:"text"`
	Attachments []channels.Attachment `json:"attachments"`
}

func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if err := verify(c, r.Header, body); err != nil {
		return nil, err
	}
	// JSON is UTF-8; Go's decoder would quietly replace invalid bytes.
	if !utf8.Valid(body) {
		at := invalidAt(body)
		if field := pathAt(body, at); field != "" {
			return nil, channels.Rejected(400, "%s is not valid UTF-8", field)
		}
		return nil, channels.Rejected(400, "malformed message: not valid UTF-8 at byte %d", at)
	}
	var head struct {
		Event string `json:"event"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&head); err != nil {
		return nil, channels.Rejected(400, "malformed message: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, channels.Rejected(400, "malformed message: data after the JSON object")
	}
	switch head.Event {
	case "", eventMessage:
		return receiveMessage(c, body)
	case eventStatus:
		return receiveStatus(c, body)
	}
	return nil, channels.Rejected(400, "unknown event %q", shortKey(head.Event))
}

// receiveMessage parses an inbound message.
func receiveMessage(c *channels.Config, body []byte) (*channels.Delivery, error) {
	var in inbound
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, channels.Rejected(400, "malformed message: %v", err)
	}
	extra, err := extras(body)
	if err != nil {
		return nil, channels.Rejected(400, "malformed message: %v", err)
	}
	switch {
	case in.MessageID == "":
		return nil, channels.Rejected(400, "messageID is required")
	case in.Sender == nil || in.Sender.ExternalID == "":
		return nil, channels.Rejected(400, "sender.externalID is required")
	case in.Text == "" && len(in.Attachments) == 0:
		return nil, channels.Rejected(400, "text or an attachment is required")
	}
	for i, a := range in.Attachments {
		if !channels.IsHTTPURL(a.URL) {
			return nil, channels.Rejected(400, "attachments[%d].url must be an absolute http or https URL", i)
		}
	}
	// The integrator signed the request: it vouches for the sender's
	// email and phone.
	sender := *in.Sender
	sender.Verified = true
	msg := channels.Inbound{ProviderMessageID: in.MessageID, Sender: sender,
		Text: in.Text, Attachments: in.Attachments, Time: c.Time()}
	if len(extra) > 0 {
		msg.Metadata = map[string]any{MetadataExtra: extra}
	}
	// Integrators can act on a 400, so what ingest would have to alter to
	// store (over-long ids, names or text, NUL characters) is refused.
	probe := msg
	if fixes := channels.Sanitize(&probe); len(fixes) > 0 {
		return nil, channels.Rejected(400, "%s", fixes[0].Reason())
	}
	return &channels.Delivery{Messages: []channels.Inbound{msg}, Respond: respond}, nil
}

// respond answers with where the message was stored, also for a duplicate.
func respond(results []channels.Stored) channels.Response {
	var st channels.Stored
	if len(results) > 0 {
		st = results[0]
	}
	body, _ := json.Marshal(map[string]string{"conversationID": st.ConversationID, "messageID": st.MessageID})
	return channels.Response{Status: http.StatusOK, ContentType: "application/json", Body: body}
}

// verify checks the timestamp and signature headers over the raw body.
func verify(c *channels.Config, h http.Header, body []byte) error {
	return VerifySignature(c, h, body, "api")
}

// VerifySignature checks a request signed with the api channel's scheme,
// which other kinds posted to by the business's own systems reuse (the
// phone channel): X-Switchboard-Timestamp within 5 minutes of now, and
// X-Switchboard-Signature "sha256=" + hex HMAC-SHA256(secret, timestamp
// + "." + raw body) under the channel's "secret". kind names the channel
// in the refusal.
func VerifySignature(c *channels.Config, h http.Header, body []byte, kind string) error {
	secret := c.Secrets["secret"]
	if secret == "" {
		return channels.Rejected(401, "%s channel has no secret configured", kind)
	}
	ts := h.Get(hdrTime)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return channels.Rejected(401, "missing or invalid %s", hdrTime)
	}
	hexSig, ok := strings.CutPrefix(h.Get(hdrSig), "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || !hmac.Equal(got, mac(secret, ts, body)) {
		return channels.Rejected(401, "missing or invalid %s", hdrSig)
	}
	if d := c.Time().Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return channels.Rejected(401, "%s is more than 5 minutes from now", hdrTime)
	}
	return nil
}

// mac is HMAC-SHA256(secret, timestamp + "." + body).
func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts + "."))
	h.Write(body)
	return h.Sum(nil)
}

func sign(secret, ts string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, ts, body))
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
