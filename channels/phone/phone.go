// Package phone is the phone channel: a telephony system (a PBX, a cloud
// call center) or a CTI bridge posts call events to the channel's
// webhook URL, signed as the api channel signs (X-Switchboard-Timestamp,
// X-Switchboard-Signature "sha256=" hex HMAC-SHA256(secret, timestamp +
// "." + raw body), at most 5 minutes from now). Each event updates one
// Call (channels.Call) of the channel, named by its call id; the inbox
// keeps it on the timeline of the customer with the caller's number.
//
// The channel sends nothing: agents call back on their phones, and
// record calls made elsewhere with logCall.
package phone

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/api"
)

// Adapter implements channels.Adapter for kind "phone".
type Adapter struct{}

// New returns the phone adapter.
func New() *Adapter { return &Adapter{} }

var _ channels.Adapter = (*Adapter)(nil)

func (*Adapter) Describe() channels.Description {
	return channels.Description{
		Kind: "phone", DisplayName: "Phone",
		Secrets: []channels.Field{{Name: "secret", Label: "Signing secret", Required: true, Type: channels.FieldSecret,
			Generated:   true,
			Description: "shared HMAC-SHA256 key the telephony system signs call events with, at least 16 characters"}},
		// Inbound: call events arrive on the webhook. Outbound is false: a
		// call is not a text message, agents call back on their phones
		// (and record such calls with logCall).
		Capabilities: channels.Capabilities{Inbound: true},
	}
}

// Validate refuses unknown fields and short secrets.
func (*Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	if len(settings) > 0 {
		k := slices.Sorted(maps.Keys(settings))[0]
		return channels.SettingError(k, "unknown setting %q", k)
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

// Verify checks that the channel has its secret: there is no provider to
// call (the telephony system calls Switchboard).
func (*Adapter) Verify(_ context.Context, c *channels.Config) error {
	if utf8.RuneCountInString(c.Secrets["secret"]) < 16 {
		return errors.New("the phone channel has no signing secret of at least 16 characters")
	}
	return nil
}

// Handshake: the phone kind has none.
func (*Adapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

// Send refuses: the channel has no outbound (Capabilities.Outbound is
// false, so the inbox never queues a message for it).
func (*Adapter) Send(context.Context, *channels.Config, *channels.Outbound) (string, error) {
	return "", channels.Permanent("the phone channel does not send messages: call the customer back")
}

// Event is one call event as the telephony system posts it.
type Event struct {
	CallID     string  `json:"callID"`
	Status     string  `json:"status"`    // RINGING, ANSWERED, ENDED, MISSED
	Direction  string  `json:"direction"` // INBOUND (default) or OUTBOUND
	From       string  `json:"from"`      // the calling number, E.164
	To         string  `json:"to"`        // the called number
	Agent      *Agent  `json:"agent"`
	StartedAt  string  `json:"startedAt"` // RFC 3339
	AnsweredAt string  `json:"answeredAt"`
	EndedAt    string  `json:"endedAt"`
	Duration   *int64  `json:"durationSeconds"`
	Recording  *string `json:"recordingURL"`
}

// Agent names the agent who took or placed the call.
type Agent struct {
	Email string `json:"email"`
	ID    string `json:"id"`
}

// e164 is a phone number in E.164: "+", a country code, at most 15 digits.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Receive checks the signature and the timestamp on the raw body, then
// parses one call event.
func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if err := verify(c, r.Header, body); err != nil {
		return nil, err
	}
	call, err := Parse(body)
	if err != nil {
		return nil, err
	}
	if call.StartedAt.IsZero() {
		call.StartedAt = c.Time()
	}
	return &channels.Delivery{Calls: []channels.Call{call}}, nil
}

// Parse reads one authenticated call event; its errors are
// *channels.Error values with status 400.
func Parse(body []byte) (channels.Call, error) {
	bad := func(format string, args ...any) (channels.Call, error) {
		return channels.Call{}, channels.Rejected(400, format, args...)
	}
	if !utf8.Valid(body) {
		return bad("malformed call event: not valid UTF-8")
	}
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return bad("malformed call event: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("malformed call event: data after the JSON object")
	}
	out := channels.Call{ProviderCallID: ev.CallID, From: strings.TrimSpace(ev.From), To: strings.TrimSpace(ev.To)}
	switch {
	case ev.CallID == "" || len(ev.CallID) > 255:
		return bad("callID is required, at most 255 bytes")
	case strings.ContainsRune(ev.CallID, 0):
		return bad("callID must not contain NUL")
	}
	switch s := channels.CallStatus(ev.Status); s {
	case channels.CallRinging, channels.CallAnswered, channels.CallEnded, channels.CallMissed:
		out.Status = s
	default:
		return bad("status must be RINGING, ANSWERED, ENDED or MISSED")
	}
	switch d := channels.CallDirection(ev.Direction); d {
	case "", channels.CallInbound:
		out.Direction = channels.CallInbound
	case channels.CallOutbound:
		out.Direction = channels.CallOutbound
	default:
		return bad("direction must be INBOUND or OUTBOUND")
	}
	// The customer's number must be E.164 (it names them); the business's
	// side may be an extension or a queue name.
	customer, other, cf, of := out.From, out.To, "from", "to"
	if out.Direction == channels.CallOutbound {
		customer, other, cf, of = out.To, out.From, "to", "from"
	}
	if !e164.MatchString(customer) {
		return bad("%s must be a phone number in E.164 (+ and up to 15 digits)", cf)
	}
	if other == "" || len(other) > 64 || strings.ContainsFunc(other, func(r rune) bool { return r < ' ' }) {
		return bad("%s is required, at most 64 characters", of)
	}
	if ev.Agent != nil {
		if len(ev.Agent.Email) > 255 || len(ev.Agent.ID) > 255 {
			return bad("agent.email and agent.id are at most 255 bytes")
		}
		out.AgentEmail, out.AgentID = strings.TrimSpace(ev.Agent.Email), strings.TrimSpace(ev.Agent.ID)
	}
	for _, t := range []struct {
		name string
		in   string
		out  *time.Time
	}{{"startedAt", ev.StartedAt, &out.StartedAt}, {"answeredAt", ev.AnsweredAt, &out.AnsweredAt}, {"endedAt", ev.EndedAt, &out.EndedAt}} {
		if t.in == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, t.in)
		if err != nil || at.Year() < 2000 || at.Year() > 9999 {
			return bad("%s must be an RFC 3339 time", t.name)
		}
		*t.out = at.UTC()
	}
	if ev.Duration != nil {
		if *ev.Duration < 0 || *ev.Duration > 7*24*3600 {
			return bad("durationSeconds must be between 0 and a week")
		}
		out.Duration = time.Duration(*ev.Duration) * time.Second
	}
	if ev.Recording != nil && *ev.Recording != "" {
		if len(*ev.Recording) > 2048 || !channels.IsHTTPURL(*ev.Recording) {
			return bad("recordingURL must be an absolute http or https URL of at most 2048 bytes")
		}
		out.RecordingURL = *ev.Recording
	}
	return out, nil
}

// verify checks the timestamp and signature headers over the raw body:
// the api channel's scheme.
func verify(c *channels.Config, h http.Header, body []byte) error {
	return api.VerifySignature(c, h, body, "phone")
}
