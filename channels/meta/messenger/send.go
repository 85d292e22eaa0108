package messenger

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta"
)

// sendRequest is a Send API call.
type sendRequest struct {
	Recipient     struct{ ID string } `json:"recipient"`
	MessagingType string              `json:"messaging_type"`
	Tag           string              `json:"tag,omitempty"`
	Message       outMessage          `json:"message"`
}

type outMessage struct {
	Text       string         `json:"text,omitempty"`
	Attachment *outAttachment `json:"attachment,omitempty"`
}

type outAttachment struct {
	Type    string `json:"type"` // image, video, audio, file
	Payload struct {
		URL        string `json:"url"`
		IsReusable bool   `json:"is_reusable"`
	} `json:"payload"`
}

// Send implements channels.Adapter: POST /me/messages with the Page
// token in the query, messaging_type RESPONSE within 24 hours of the
// customer's last message and MESSAGE_TAG HUMAN_AGENT after (the inbox
// refuses replies after 7 days before they are queued; a send that
// waited in the queue past them fails here, naming the window). The text
// goes first, then each attachment by its signed link; the text's id (or
// the first attachment's) is returned for receipts.
func (a *Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	if m.Recipient.ExternalID == "" {
		return "", channels.Permanent("the customer has no id on this channel")
	}
	req := sendRequest{MessagingType: "RESPONSE"}
	req.Recipient.ID = m.Recipient.ExternalID
	if !m.LastInboundAt.IsZero() {
		switch since := c.Time().Sub(m.LastInboundAt); {
		case since > HumanAgent:
			return "", channels.Permanent("WINDOW_CLOSED: the customer last wrote %s ago; %s allows replies for 7 days",
				since.Round(time.Hour), a.displayName)
		case since > StandardWindow:
			req.MessagingType, req.Tag = "MESSAGE_TAG", "HUMAN_AGENT"
		}
	}
	var parts []outMessage
	if strings.TrimSpace(m.Text) != "" {
		parts = append(parts, outMessage{Text: m.Text})
	}
	for _, at := range m.Attachments {
		oa := &outAttachment{Type: attachmentType(at.ContentType)}
		oa.Payload.URL = at.URL
		parts = append(parts, outMessage{Attachment: oa})
	}
	if len(parts) == 0 {
		return "", channels.Permanent("nothing to send: no text and no attachments")
	}
	g := meta.GraphOf(c)
	g.TokenInQuery = true // the Send API's documented form
	first := ""
	for i, p := range parts {
		req.Message = p
		var ans struct {
			RecipientID string `json:"recipient_id"`
			MessageID   string `json:"message_id"`
		}
		if err := g.Do(ctx, http.MethodPost, "/me/messages", nil, req, &ans); err != nil {
			if i > 0 {
				// Some parts went out: a retry would send them twice, so
				// the rest is reported as failed for good.
				return "", channels.Permanent("part %d of %d failed after the others were sent: %v", i+1, len(parts), meta.SendError(err))
			}
			return "", meta.SendError(err)
		}
		if first == "" {
			first = ans.MessageID
		}
	}
	if first == "" {
		first = m.DeliveryID
	}
	return first, nil
}

// attachmentType is the Send API's attachment type for a content type.
func attachmentType(ct string) string {
	switch {
	case strings.HasPrefix(ct, "image/"):
		return "image"
	case strings.HasPrefix(ct, "video/"):
		return "video"
	case strings.HasPrefix(ct, "audio/"):
		return "audio"
	}
	return "file"
}
