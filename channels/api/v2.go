package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Events an integrator posts to the webhook URL. A body without "event"
// is a message, as before the field existed.
const (
	eventMessage = "message"
	eventStatus  = "message.status"
)

// maxStatuses bounds the receipts of one request.
const maxStatuses = 100

// statusReport is one receipt an integrator reports: messageID is the id
// Switchboard's callback got back (the callback's {"id": ...}, else the
// delivery id).
type statusReport struct {
	MessageID string `json:"messageID"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	Timestamp string `json:"timestamp"`
}

// eventOf reads a body's "event" field; "" when absent. The body is a
// JSON object (checked by the caller's decoding).
func eventOf(body []byte) (string, error) {
	var head struct {
		Event *json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return "", err
	}
	if head.Event == nil {
		return "", nil
	}
	var ev string
	if err := json.Unmarshal(*head.Event, &ev); err != nil {
		return "", fmt.Errorf("event must be a string")
	}
	return ev, nil
}

// receipts parses a message.status body: one status, or up to 100 under
// "statuses".
func receipts(c *channels.Config, body []byte) (*channels.Delivery, error) {
	var in struct {
		statusReport
		Statuses []statusReport `json:"statuses"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		return nil, channels.Rejected(400, "malformed status: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, channels.Rejected(400, "malformed status: data after the JSON object")
	}
	list, field := in.Statuses, "statuses"
	switch {
	case len(list) > 0 && in.MessageID != "":
		return nil, channels.Rejected(400, "give either messageID or statuses, not both")
	case len(list) == 0:
		list, field = []statusReport{in.statusReport}, ""
	case len(list) > maxStatuses:
		return nil, channels.Rejected(400, "statuses: at most %d per request", maxStatuses)
	}
	d := &channels.Delivery{Respond: acknowledged}
	for i, s := range list {
		at := ""
		if field != "" {
			at = fmt.Sprintf("%s[%d].", field, i)
		}
		r := channels.Receipt{ProviderMessageID: s.MessageID, Status: channels.DeliveryStatus(s.Status), Reason: s.Reason, Time: now(c)}
		switch r.Status {
		case channels.StatusSent, channels.StatusDelivered, channels.StatusRead, channels.StatusFailed:
		default:
			return nil, channels.Rejected(400, "%sstatus must be SENT, DELIVERED, READ or FAILED", at)
		}
		if s.MessageID == "" {
			return nil, channels.Rejected(400, "%smessageID is required", at)
		}
		if len(s.MessageID) > channels.MaxMessageID {
			return nil, channels.Rejected(400, "%smessageID is longer than %d bytes", at, channels.MaxMessageID)
		}
		if s.Timestamp != "" {
			t, err := time.Parse(time.RFC3339, s.Timestamp)
			if err != nil {
				return nil, channels.Rejected(400, "%stimestamp must be RFC 3339", at)
			}
			r.Time = t
		}
		d.Receipts = append(d.Receipts, r)
	}
	return d, nil
}

func acknowledged([]channels.Stored) channels.Response {
	return channels.Response{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"ok":true}`)}
}

// templates reads the "templates" setting: a list of {id, name,
// language, params, body}.
func templates(settings map[string]any) ([]channels.Template, error) {
	v, ok := settings["templates"]
	if !ok || v == nil {
		return nil, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, channels.SettingError("templates", "templates must be a list of {id, name, language, params, body}")
	}
	var list []channels.Template
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return nil, channels.SettingError("templates", "templates must be a list of {id, name, language, params, body}: %v", err)
	}
	seen := map[string]bool{}
	for i, t := range list {
		switch {
		case t.ID == "":
			return nil, channels.SettingError("templates", "templates[%d].id is required", i)
		case seen[t.ID+"\x00"+t.Language]:
			return nil, channels.SettingError("templates", "templates[%d]: %q in language %q is listed twice", i, t.ID, t.Language)
		}
		seen[t.ID+"\x00"+t.Language] = true
		if list[i].Name == "" {
			list[i].Name = t.ID
		}
		if list[i].Params == nil {
			list[i].Params = []string{}
		}
	}
	return list, nil
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// sendError maps the callback's answer to a send error: 2xx is success
// (nil); 429 and 503 with Retry-After wait that long; 408, 429 and 5xx are
// transient; any other 4xx is the integrator refusing the message, which
// retrying cannot change.
func sendError(status int, h http.Header, now time.Time) error {
	switch {
	case status/100 == 2:
		return nil
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		if d := retryAfter(h, now); d > 0 {
			return channels.RetryLater(d, "callback answered %d, retry after %s", status, d)
		}
		return channels.Transient(nil, "callback answered %d", status)
	case status == http.StatusRequestTimeout || status/100 == 5:
		return channels.Transient(nil, "callback answered %d", status)
	case status/100 == 4:
		return channels.Permanent("callback refused the message: %d", status)
	}
	return channels.Transient(nil, "callback answered %d", status)
}
