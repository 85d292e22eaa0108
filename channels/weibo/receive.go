package weibo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

// Handshake implements channels.Adapter: Weibo checks the callback URL
// with a signed GET and expects echostr back.
func (*Adapter) Handshake(_ context.Context, c *channels.Config, r *http.Request) (channels.Response, bool, error) {
	q := r.URL.Query()
	echo := q.Get("echostr")
	if echo == "" {
		return channels.Response{}, true, channels.Rejected(400, "not a Weibo handshake: echostr is missing")
	}
	if _, err := checkSignature(c, q); err != nil {
		return channels.Response{}, true, err
	}
	if len(echo) > 256 || !utf8.ValidString(echo) {
		return channels.Response{}, true, channels.Rejected(400, "echostr is not a valid challenge")
	}
	return channels.Response{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(echo)}, true, nil
}

// push is Weibo's message push.
// Unconfirmed: the field list and types beyond type, sender_id,
// receiver_id and text (the spec's); ids are read as numbers or strings.
type push struct {
	Type       string          `json:"type"`
	ReceiverID flexID          `json:"receiver_id"`
	SenderID   flexID          `json:"sender_id"`
	CreatedAt  json.RawMessage `json:"created_at"` // "Mon Jul 16 18:09:20 +0800 2012"
	Text       string          `json:"text"`
	Data       json.RawMessage `json:"data"`
}

// pushData is the push's data object, by type.
// Unconfirmed: image and voice carry vfid (the sender's copy) and tovfid
// (the receiver's); position longitude and latitude; event subtype
// (follow, unfollow, subscribe, unsubscribe, scan, scan_follow, click,
// view) and key (the menu key of a click).
type pushData struct {
	VFID      flexID     `json:"vfid"`
	ToVFID    flexID     `json:"tovfid"`
	Longitude flexNumber `json:"longitude"`
	Latitude  flexNumber `json:"latitude"`
	Subtype   string     `json:"subtype"`
	Key       string     `json:"key"`
}

// Receive implements channels.Adapter. The query's signature is checked
// before the body is read.
// Unconfirmed: that Weibo signs every push like the handshake (the spec
// says so only of the handshake); a push without a valid signature is
// refused.
func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if _, err := checkSignature(c, r.URL.Query()); err != nil {
		return nil, err
	}
	return parsePush(c, body)
}

// parsePush reads an authenticated push.
func parsePush(c *channels.Config, body []byte) (*channels.Delivery, error) {
	if !utf8.Valid(body) {
		return nil, channels.Rejected(400, "malformed push: not valid UTF-8")
	}
	var p push
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return nil, channels.Rejected(400, "malformed push: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, channels.Rejected(400, "malformed push: data after the JSON object")
	}
	switch {
	case p.Type == "":
		return nil, channels.Rejected(400, "malformed push: type is required")
	case p.SenderID == "":
		return nil, channels.Rejected(400, "malformed push: sender_id is required")
	case p.ReceiverID == "":
		return nil, channels.Rejected(400, "malformed push: receiver_id is required")
	}
	created, at, err := createdAt(p.CreatedAt)
	if err != nil {
		return nil, channels.Rejected(400, "malformed push: %v", err)
	}
	data, err := readData(p.Data)
	if err != nil {
		return nil, channels.Rejected(400, "malformed push: %v", err)
	}
	if uid := c.Setting("uid"); uid != "" {
		if string(p.ReceiverID) != uid {
			return nil, channels.Rejected(403, "push for the Weibo account %s, but this channel's uid is %s", p.ReceiverID, uid)
		}
		if string(p.SenderID) == uid {
			return &channels.Delivery{}, nil // the account's own message: nothing to store
		}
	}
	if at.IsZero() {
		at = c.Time()
	}
	sender := channels.Sender{ExternalID: string(p.SenderID),
		// Unconfirmed: sender_id is the fan's Weibo uid, the same for
		// every account the business has, so it is a platform-wide id.
		PlatformID: "weibo:" + string(p.SenderID)}
	id := dedupeKey(string(p.SenderID), created, body)
	meta := map[string]any{"weiboType": p.Type}
	msg := channels.Inbound{ProviderMessageID: id, Sender: sender, Text: p.Text, Time: at, Metadata: meta}
	switch p.Type {
	case "text":
		if strings.TrimSpace(p.Text) == "" {
			return nil, channels.Rejected(400, "malformed push: a text message without text")
		}
	case "image", "voice":
		if data.VFID == "" {
			return nil, channels.Rejected(400, "malformed push: an %s without data.vfid", p.Type)
		}
		msg.Media = []channels.Media{{ID: string(data.VFID), Name: fmt.Sprintf("weibo-%s-%s", p.Type, data.VFID)}}
		meta["vfid"] = string(data.VFID)
		if data.ToVFID != "" {
			meta["tovfid"] = string(data.ToVFID)
		}
	case "position":
		lat, lon := data.Latitude.v, data.Longitude.v
		if !data.Latitude.set || !data.Longitude.set || math.Abs(lat) > 90 || math.Abs(lon) > 180 {
			return nil, channels.Rejected(400, "malformed push: a position without a valid data.latitude and data.longitude")
		}
		meta["location"] = map[string]any{"latitude": lat, "longitude": lon}
		if strings.TrimSpace(msg.Text) == "" {
			msg.Text = fmt.Sprintf("Location: %s, %s", strconv.FormatFloat(lat, 'f', -1, 64), strconv.FormatFloat(lon, 'f', -1, 64))
		}
	case "event":
		return event(p, data, sender, id, at)
	default:
		// Unconfirmed: other types (mention, ...) are not private messages
		// an agent could answer; they are acknowledged and not stored, so
		// that Weibo does not retry them.
		return &channels.Delivery{}, nil
	}
	return &channels.Delivery{Messages: []channels.Inbound{msg}}, nil
}

// event maps an event push to a channel event.
func event(p push, data pushData, sender channels.Sender, id string, at time.Time) (*channels.Delivery, error) {
	ev := channels.Event{ProviderEventID: id, Sender: sender, Time: at}
	switch data.Subtype {
	case "follow", "subscribe", "scan_follow":
		ev.Kind = channels.EventFollowed
	case "unfollow", "unsubscribe":
		ev.Kind = channels.EventUnfollowed
	case "click":
		if data.Key == "" {
			return nil, channels.Rejected(400, "malformed push: a menu click without data.key")
		}
		ev.Kind, ev.Detail = channels.EventMenuClick, data.Key
	case "":
		return nil, channels.Rejected(400, "malformed push: an event without data.subtype")
	default:
		return &channels.Delivery{}, nil // scan, view: nothing an agent acts on
	}
	return &channels.Delivery{Events: []channels.Event{ev}}, nil
}

// dedupeKey identifies a push, which has no message id: the sender, the
// time it was sent and a hash of the raw body. Weibo's retries of a push
// repeat its body exactly, so they get the same key; two messages of one
// sender within the same second (created_at has seconds) differ in their
// text or data, so they get different keys.
// Unconfirmed: that a retried push has the same body byte for byte.
func dedupeKey(sender, created string, body []byte) string {
	sum := sha256.Sum256(body)
	return "wb:" + sender + ":" + created + ":" + hex.EncodeToString(sum[:12])
}

// createdAt reads created_at: Weibo's "Mon Jul 16 18:09:20 +0800 2012",
// or unix seconds or milliseconds. It returns the value as given (for the
// dedupe key) and the time, zero when it cannot be read.
func createdAt(raw json.RawMessage) (string, time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", time.Time{}, fmt.Errorf("created_at is required")
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", time.Time{}, fmt.Errorf("created_at: %v", err)
		}
	} else {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", time.Time{}, fmt.Errorf("created_at must be a string or a number")
		}
		s = n.String()
	}
	if s == "" || len(s) > 64 {
		return "", time.Time{}, fmt.Errorf("created_at is empty or too long")
	}
	if t, err := time.Parse(time.RubyDate, s); err == nil {
		return s, t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n > 1e12 {
			return s, time.UnixMilli(n), nil
		}
		return s, time.Unix(n, 0), nil
	}
	// Unconfirmed format: the message is kept, timed when received.
	return s, time.Time{}, nil
}

// readData reads the data object; absent or null is empty. A string
// holding a JSON object is read too.
// Unconfirmed: data is an object in pushes; some integrations show it
// JSON-encoded in a string.
func readData(raw json.RawMessage) (pushData, error) {
	var d pushData
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return d, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return d, fmt.Errorf("data: %v", err)
		}
		raw = json.RawMessage(s)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return d, fmt.Errorf("data must be an object")
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("data: %v", err)
	}
	return d, nil
}

// flexNumber is a coordinate, a JSON number or a numeric string.
type flexNumber struct {
	v   float64
	set bool
}

func (f *flexNumber) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("not a coordinate: %.40s", string(b))
	}
	f.v, f.set = v, true
	return nil
}
