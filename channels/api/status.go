package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Events an integrator posts to the webhook URL.
const (
	eventMessage = "message"        // an inbound message; also a body without "event"
	eventStatus  = "message.status" // delivery receipts
)

const (
	maxStatuses = 100  // receipts in one request
	maxReason   = 1024 // bytes of a FAILED receipt's reason
)

// statusUpdate is one receipt as the integrator writes it.
type statusUpdate struct {
	MessageID string `json:"messageID"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	Timestamp string `json:"timestamp"`
}

// statusBody is a message.status request: one receipt at the top level,
// or several under "statuses".
type statusBody struct {
	statusUpdate
	Statuses *[]statusUpdate `json:"statuses"`
}

// receiveStatus parses a message.status request.
func receiveStatus(c *channels.Config, body []byte) (*channels.Delivery, error) {
	var in statusBody
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&in); err != nil {
		return nil, channels.Rejected(400, "malformed status: %v", err)
	}
	list, prefix := []statusUpdate{in.statusUpdate}, ""
	if in.Statuses != nil {
		if in.MessageID != "" || in.Status != "" {
			return nil, channels.Rejected(400, "a status request has either messageID and status or statuses, not both")
		}
		if n := len(*in.Statuses); n == 0 || n > maxStatuses {
			return nil, channels.Rejected(400, "statuses must hold 1 to %d receipts, not %d", maxStatuses, n)
		}
		list, prefix = *in.Statuses, "statuses"
	}
	receipts := make([]channels.Receipt, len(list))
	for i, s := range list {
		field := func(name string) string {
			if prefix == "" {
				return name
			}
			return prefix + "[" + strconv.Itoa(i) + "]." + name
		}
		rc, err := receipt(c, s, field)
		if err != nil {
			return nil, err
		}
		receipts[i] = rc
	}
	return &channels.Delivery{Receipts: receipts, Respond: acknowledge}, nil
}

// receipt checks one status and converts it; field names a field of it.
func receipt(c *channels.Config, s statusUpdate, field func(string) string) (channels.Receipt, error) {
	switch {
	case s.MessageID == "":
		return channels.Receipt{}, channels.Rejected(400, "%s is required", field("messageID"))
	case len(s.MessageID) > channels.MaxMessageID:
		return channels.Receipt{}, channels.Rejected(400, "%s is longer than %d bytes", field("messageID"), channels.MaxMessageID)
	case strings.IndexByte(s.MessageID, 0) >= 0:
		return channels.Receipt{}, channels.Rejected(400, "%s contains a NUL character", field("messageID"))
	case len(s.Reason) > maxReason:
		return channels.Receipt{}, channels.Rejected(400, "%s is longer than %d bytes", field("reason"), maxReason)
	case strings.IndexByte(s.Reason, 0) >= 0:
		return channels.Receipt{}, channels.Rejected(400, "%s contains a NUL character", field("reason"))
	}
	st := channels.DeliveryStatus(s.Status)
	switch st {
	case channels.StatusSent, channels.StatusDelivered, channels.StatusRead, channels.StatusFailed:
	default:
		return channels.Receipt{}, channels.Rejected(400, "%s must be SENT, DELIVERED, READ or FAILED", field("status"))
	}
	at := c.Time()
	if s.Timestamp != "" {
		t, err := time.Parse(time.RFC3339, s.Timestamp)
		if err != nil {
			return channels.Receipt{}, channels.Rejected(400, "%s must be an RFC 3339 time", field("timestamp"))
		}
		at = t
	}
	return channels.Receipt{ProviderMessageID: s.MessageID, Status: st, Reason: s.Reason, Time: at}, nil
}

// acknowledge answers a status request.
func acknowledge([]channels.Stored) channels.Response {
	return channels.Response{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"ok":true}`)}
}
