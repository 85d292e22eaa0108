package qq

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

const (
	hdrSig  = "X-Signature-Ed25519"
	hdrTime = "X-Signature-Timestamp"
	maxSkew = 5 * time.Minute

	opDispatch   = 0
	opAck        = 12
	opValidation = 13
)

// Event types QQ dispatches that the adapter acts on.
const (
	eventC2C       = "C2C_MESSAGE_CREATE"
	eventGroupAt   = "GROUP_AT_MESSAGE_CREATE"
	eventFriendAdd = "FRIEND_ADD"
	eventFriendDel = "FRIEND_DEL"
)

// openID is what the adapter accepts as an openid: QQ's are 32
// upper-case hex characters. Unconfirmed: the documentation shows them but
// does not state their alphabet; this one keeps them safe in a URL path
// and in the "group:<group>:<member>" identity.
var openID = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,128}$`)

// plainToken is what an op 13 plain_token may be. Unconfirmed: QQ's are
// 20 letters and digits in the documentation's example. The limit matters
// for safety: the answer signs event_ts + plain_token with the key that
// signs events, so neither may ever contain the "{" every event body
// starts with (see validate).
var plainToken = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,128}$`)

// payload is QQ's envelope: op 0 dispatches carry the event type in t and
// its id in id.
type payload struct {
	ID string          `json:"id"`
	Op *int            `json:"op"`
	D  json.RawMessage `json:"d"`
	S  int64           `json:"s"`
	T  string          `json:"t"`
}

// Receive implements channels.Adapter. A signed request is verified over
// the raw body before it is parsed. An unsigned one is parsed only to
// answer an op 13 validation request (see validate); anything else
// unsigned is refused 401.
func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	key, ok := privateKey(c.Secrets[SecretAppSecret])
	if !ok {
		return nil, channels.Rejected(401, "the QQ channel has no appSecret configured")
	}
	sig, ts := r.Header.Get(hdrSig), r.Header.Get(hdrTime)
	if sig == "" && ts == "" {
		// Unconfirmed whether QQ signs op 13. An unsigned op 13 is
		// answered because the answer proves we hold the secret and it
		// stores nothing; everything else needs a signature.
		d, err := validate(key, body)
		if err != nil {
			return nil, channels.Rejected(401, "missing %s", hdrSig)
		}
		return d, nil
	}
	if err := verify(c, key.Public().(ed25519.PublicKey), ts, sig, body); err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		return nil, channels.Rejected(400, "malformed event: not valid UTF-8")
	}
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return nil, channels.Rejected(400, "malformed event: not a JSON object")
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, channels.Rejected(400, "malformed event: %v", err)
	}
	switch {
	case p.Op == nil:
		return nil, channels.Rejected(400, "malformed event: no op")
	case *p.Op == opValidation:
		d, err := validate(key, body)
		if err != nil {
			return nil, channels.Rejected(400, "malformed validation request: %v", err)
		}
		return d, nil
	case *p.Op != opDispatch:
		return nil, channels.Rejected(400, "unexpected op %d", *p.Op)
	case p.T == "":
		return nil, channels.Rejected(400, "malformed event: no event type (t)")
	}
	return dispatch(c, &p)
}

// verify checks the Ed25519 signature of timestamp + body and the
// timestamp's age.
func verify(c *channels.Config, pub ed25519.PublicKey, ts, sig string, body []byte) error {
	if !digits(ts, 19) {
		return channels.Rejected(401, "missing or invalid %s", hdrTime)
	}
	raw, err := hex.DecodeString(sig)
	// The top three bits of the last byte are zero in a canonical
	// signature; QQ's own samples check it.
	if err != nil || len(raw) != ed25519.SignatureSize || raw[63]&224 != 0 {
		return channels.Rejected(401, "missing or invalid %s", hdrSig)
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	if !ed25519.Verify(pub, msg, raw) {
		return channels.Rejected(401, "invalid %s", hdrSig)
	}
	// Unconfirmed: the documentation's example timestamp is Unix
	// seconds, but it does not say so, nor that QQ refuses stale ones.
	// A signed timestamp more than 5 minutes from now is a replay.
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if d := c.Time().Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return channels.Rejected(401, "%s is more than 5 minutes from now", hdrTime)
	}
	return nil
}

// validate answers an op 13 callback validation:
// {"plain_token", "signature": hex(Ed25519(event_ts + plain_token))}.
// Nothing is stored.
//
// The answer is a signature by the key that signs events, over values the
// caller chose: a signing oracle. An event's signed message is a timestamp
// of digits followed by a body starting with "{", so event_ts must be
// digits and plain_token may not contain "{": then no answer is ever a
// valid signature of an event.
func validate(key ed25519.PrivateKey, body []byte) (*channels.Delivery, error) {
	var v struct {
		Op *int `json:"op"`
		D  *struct {
			PlainToken string          `json:"plain_token"`
			EventTS    json.RawMessage `json:"event_ts"`
		} `json:"d"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, err
	}
	if v.Op == nil || *v.Op != opValidation || v.D == nil {
		return nil, errNotValidation
	}
	ts := string(v.D.EventTS)
	if s, err := strconv.Unquote(ts); err == nil {
		ts = s // a string, as in the documentation; a number is taken too
	}
	if !digits(ts, 19) || !plainToken.MatchString(v.D.PlainToken) {
		return nil, errNotValidation
	}
	sig := ed25519.Sign(key, []byte(ts+v.D.PlainToken))
	answer, _ := json.Marshal(map[string]string{"plain_token": v.D.PlainToken, "signature": hex.EncodeToString(sig)})
	return &channels.Delivery{Respond: func([]channels.Stored) channels.Response {
		return channels.Response{Status: http.StatusOK, ContentType: "application/json", Body: answer}
	}}, nil
}

type validationError string

func (e validationError) Error() string { return string(e) }

const errNotValidation = validationError("d.plain_token (letters, digits, _ . -) and d.event_ts (digits) are required")

// ackBody is the answer to every op 0 dispatch. Unconfirmed: the
// documentation shows {"op":12,"d":0} for HTTP callbacks; QQ may only
// look at the status.
var ackBody = []byte(`{"op":12,"d":0}`)

func ack([]channels.Stored) channels.Response {
	return channels.Response{Status: http.StatusOK, ContentType: "application/json", Body: ackBody}
}

// dispatch parses an op 0 event. Types the adapter does not act on are
// acknowledged and ignored.
func dispatch(c *channels.Config, p *payload) (*channels.Delivery, error) {
	d := &channels.Delivery{Respond: ack}
	switch p.T {
	case eventC2C, eventGroupAt:
		m, err := message(c, p)
		if err != nil {
			return nil, err
		}
		if m != nil {
			d.Messages = []channels.Inbound{*m}
		}
	case eventFriendAdd, eventFriendDel:
		e, err := friend(c, p)
		if err != nil {
			return nil, err
		}
		d.Events = []channels.Event{*e}
	}
	return d, nil
}

// qqMessage is the d of C2C_MESSAGE_CREATE and GROUP_AT_MESSAGE_CREATE.
type qqMessage struct {
	ID          string `json:"id"`
	Content     string `json:"content"`
	Timestamp   string `json:"timestamp"`
	GroupOpenID string `json:"group_openid"`
	Author      *struct {
		UserOpenID   string `json:"user_openid"`
		MemberOpenID string `json:"member_openid"`
		UnionOpenID  string `json:"union_openid"`
	} `json:"author"`
	Attachments []struct {
		ContentType string   `json:"content_type"`
		Filename    string   `json:"filename"`
		URL         string   `json:"url"`
		Size        flexible `json:"size"`
	} `json:"attachments"`
}

// message parses a customer's message; nil when it carries nothing to
// store (a message of a type QQ sends without content or files).
func message(c *channels.Config, p *payload) (*channels.Inbound, error) {
	var m qqMessage
	if err := strictObject(p.D, &m); err != nil {
		return nil, channels.Rejected(400, "malformed %s: %v", p.T, err)
	}
	if m.ID == "" || len(m.ID) > channels.MaxMessageID {
		return nil, channels.Rejected(400, "malformed %s: d.id must be 1 to %d bytes", p.T, channels.MaxMessageID)
	}
	if m.Author == nil {
		return nil, channels.Rejected(400, "malformed %s: no d.author", p.T)
	}
	in := &channels.Inbound{ProviderMessageID: m.ID, Text: trimSpace(m.Content), Time: parseTime(c, m.Timestamp),
		Metadata: map[string]any{"qqEvent": p.T}}
	if p.T == eventC2C {
		if !openID.MatchString(m.Author.UserOpenID) {
			return nil, channels.Rejected(400, "malformed %s: d.author.user_openid is missing or invalid", p.T)
		}
		in.Sender.ExternalID = "user:" + m.Author.UserOpenID
	} else {
		if !openID.MatchString(m.GroupOpenID) || !openID.MatchString(m.Author.MemberOpenID) {
			return nil, channels.Rejected(400, "malformed %s: d.group_openid or d.author.member_openid is missing or invalid", p.T)
		}
		in.Sender.ExternalID = "group:" + m.GroupOpenID + ":" + m.Author.MemberOpenID
		in.Metadata["groupOpenID"] = m.GroupOpenID
	}
	if u := m.Author.UnionOpenID; u != "" && openID.MatchString(u) {
		in.Sender.PlatformID = "qq:" + u
	}
	for _, a := range m.Attachments {
		// Unconfirmed: QQ's attachment URLs (multimedia.nt.qq.com.cn with
		// an rkey) are fetched without the bot's token, so they are plain
		// attachments; some come without a scheme.
		u := a.URL
		if u != "" && !channels.IsHTTPURL(u) {
			u = "https://" + u
		}
		if !channels.IsHTTPURL(u) {
			continue
		}
		in.Attachments = append(in.Attachments, channels.Attachment{URL: u, ContentType: a.ContentType,
			Name: a.Filename, Size: int64(a.Size)})
	}
	if in.Text == "" && len(in.Attachments) == 0 {
		return nil, nil
	}
	return in, nil
}

// friend parses FRIEND_ADD and FRIEND_DEL: a user adding the bot as a
// friend (following it) or removing it (unfollowing: opted out).
// Unconfirmed: their d is {"openid", "timestamp"} in the documentation.
func friend(c *channels.Config, p *payload) (*channels.Event, error) {
	var d struct {
		OpenID    string   `json:"openid"`
		Timestamp flexible `json:"timestamp"`
	}
	if err := strictObject(p.D, &d); err != nil {
		return nil, channels.Rejected(400, "malformed %s: %v", p.T, err)
	}
	if !openID.MatchString(d.OpenID) {
		return nil, channels.Rejected(400, "malformed %s: d.openid is missing or invalid", p.T)
	}
	e := &channels.Event{ProviderEventID: p.ID, Kind: channels.EventFollowed, Sender: channels.Sender{ExternalID: "user:" + d.OpenID},
		Time: c.Time()}
	if p.T == eventFriendDel {
		e.Kind = channels.EventUnfollowed
	}
	if d.Timestamp > 0 {
		e.Time = time.Unix(int64(d.Timestamp), 0)
	}
	if e.ProviderEventID == "" || len(e.ProviderEventID) > channels.MaxMessageID {
		e.ProviderEventID = p.T + ":" + d.OpenID + ":" + strconv.FormatInt(e.Time.Unix(), 10)
	}
	return e, nil
}

// strictObject decodes raw, which must be a JSON object, into v.
func strictObject(raw json.RawMessage, v any) error {
	if b := bytes.TrimLeft(raw, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return validationError("d must be an object")
	}
	return json.Unmarshal(raw, v)
}

// flexible is a non-negative integer QQ sends as a number or a string.
type flexible int64

func (f *flexible) UnmarshalJSON(b []byte) error {
	s := string(b)
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return validationError("not a non-negative integer: " + strconv.Quote(string(b)))
	}
	*f = flexible(n)
	return nil
}

// parseTime reads d.timestamp (RFC 3339 in the documentation); now when
// it is missing or unreadable.
func parseTime(c *channels.Config, s string) time.Time {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	return c.Time()
}

// trimSpace trims a message's text: a group @-message starts with the
// space left after the mention QQ removes.
func trimSpace(s string) string {
	return strings.TrimSpace(s)
}
