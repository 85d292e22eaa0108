package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta"
)

// outMessage is a Cloud API message: POST /{v}/{phone-number-id}/messages.
type outMessage struct {
	MessagingProduct string       `json:"messaging_product"`
	RecipientType    string       `json:"recipient_type"`
	To               string       `json:"to"`
	Type             string       `json:"type"`
	Text             *outText     `json:"text,omitempty"`
	Template         *outTemplate `json:"template,omitempty"`
	Image            *outMedia    `json:"image,omitempty"`
	Audio            *outMedia    `json:"audio,omitempty"`
	Video            *outMedia    `json:"video,omitempty"`
	Document         *outMedia    `json:"document,omitempty"`
}

type outText struct {
	Body string `json:"body"`
}

type outMedia struct {
	Link     string `json:"link"`
	Filename string `json:"filename,omitempty"` // documents only
}

type outTemplate struct {
	Name     string `json:"name"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []outComponent `json:"components,omitempty"`
}

type outComponent struct {
	Type       string     `json:"type"`
	Parameters []outParam `json:"parameters"`
}

type outParam struct {
	Type string `json:"type"`
	// Name is a named parameter's name (templates whose body uses
	// {{first_name}} rather than {{1}}).
	Name string `json:"parameter_name,omitempty"`
	Text string `json:"text"`
}

// Send implements channels.Adapter: one POST per part, Bearer token. A
// template is one message; otherwise the text goes first, then each
// attachment by its signed link (one message per file). Free text more
// than 24 hours after the customer's last message fails for good before
// calling (WhatsApp would refuse it with 131047). The first part's wamid is
// returned: statuses name it.
func (a *Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	// Addressed by phone (a customer who never wrote here), the recipient
	// is their number in E.164: the Cloud API takes it without the "+".
	to := strings.TrimPrefix(m.Recipient.ExternalID, "+")
	if to == "" {
		return "", channels.Permanent("the customer has no WhatsApp id on this channel")
	}
	base := outMessage{MessagingProduct: "whatsapp", RecipientType: "individual", To: to}
	var parts []outMessage
	if t := m.Template; t != nil {
		p := base
		p.Type, p.Template = "template", template(t)
		parts = append(parts, p)
	} else {
		if !m.LastInboundAt.IsZero() {
			if since := c.Time().Sub(m.LastInboundAt); since > Window {
				return "", channels.Permanent("WINDOW_CLOSED: the customer last wrote %s ago; WhatsApp allows free-form replies for 24 hours, then only approved templates",
					since.Round(time.Minute))
			}
		}
		if strings.TrimSpace(m.Text) != "" {
			p := base
			p.Type, p.Text = "text", &outText{Body: m.Text}
			parts = append(parts, p)
		}
		for _, at := range m.Attachments {
			parts = append(parts, attachment(base, at))
		}
	}
	if len(parts) == 0 {
		return "", channels.Permanent("nothing to send: no text, attachments or template")
	}
	g := meta.GraphOf(c)
	path := "/" + c.Setting(SettingPhoneNumberID) + "/messages"
	first := ""
	for i, p := range parts {
		var ans struct {
			Messages []struct {
				ID string `json:"id"`
			} `json:"messages"`
		}
		if err := g.Do(ctx, http.MethodPost, path, nil, p, &ans); err != nil {
			if i > 0 {
				// Some parts went out: a retry would send them twice.
				return "", channels.Permanent("part %d of %d failed after the others were sent: %v", i+1, len(parts), meta.SendError(err))
			}
			return "", meta.SendError(err)
		}
		if first == "" && len(ans.Messages) > 0 {
			first = ans.Messages[0].ID
		}
	}
	if first == "" {
		// Unconfirmed: the Cloud API always answers messages[0].id; without
		// it no status can be matched, but the message did go.
		first = m.DeliveryID
	}
	return first, nil
}

// template is the template object of a send: body parameters "1", "2"…
// in numeric order, or named ones by name.
func template(t *channels.TemplateMessage) *outTemplate {
	ot := &outTemplate{Name: t.ID}
	ot.Language.Code = t.Language
	if len(t.Params) == 0 {
		return ot
	}
	names := make([]string, 0, len(t.Params))
	numbered := true
	for k := range t.Params {
		names = append(names, k)
		if _, err := strconv.Atoi(k); err != nil {
			numbered = false
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if numbered {
			a, _ := strconv.Atoi(names[i])
			b, _ := strconv.Atoi(names[j])
			return a < b
		}
		return names[i] < names[j]
	})
	body := outComponent{Type: "body"}
	for _, k := range names {
		p := outParam{Type: "text", Text: fmt.Sprint(t.Params[k])}
		if !numbered {
			// Unconfirmed: named parameters (parameter_format NAMED) are
			// sent with parameter_name, as Meta documents since v21.0.
			p.Name = k
		}
		body.Parameters = append(body.Parameters, p)
	}
	ot.Components = []outComponent{body}
	return ot
}

// attachment is one file as a message by link. Unconfirmed: the types
// WhatsApp takes as image (JPEG, PNG), video (MP4, 3GPP) and audio (AAC,
// AMR, MP3, M4A, OGG Opus) are from Meta's media documentation; anything
// else goes as a document, which takes any type.
func attachment(base outMessage, at channels.Attachment) outMessage {
	p := base
	ct, _, _ := strings.Cut(strings.ToLower(at.ContentType), ";")
	switch strings.TrimSpace(ct) {
	case "image/jpeg", "image/png":
		p.Type, p.Image = "image", &outMedia{Link: at.URL}
	case "video/mp4", "video/3gpp":
		p.Type, p.Video = "video", &outMedia{Link: at.URL}
	case "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg":
		p.Type, p.Audio = "audio", &outMedia{Link: at.URL}
	default:
		p.Type, p.Document = "document", &outMedia{Link: at.URL, Filename: at.Name}
	}
	return p
}
