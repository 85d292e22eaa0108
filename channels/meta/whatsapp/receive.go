package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta"
)

// object is the webhook object of WhatsApp notifications.
const object = "whatsapp_business_account"

// value is a "messages" change's value: what happened on one phone number.
type value struct {
	MessagingProduct string `json:"messaging_product"`
	Metadata         struct {
		DisplayPhoneNumber string `json:"display_phone_number"`
		PhoneNumberID      string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
	} `json:"contacts"`
	Messages []message `json:"messages"`
	Statuses []status  `json:"statuses"`
}

// message is one message a customer sent.
type message struct {
	From      string   `json:"from"`
	ID        string   `json:"id"`
	Timestamp unixTime `json:"timestamp"`
	Type      string   `json:"type"`
	Text      *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *media `json:"image"`
	Audio    *media `json:"audio"`
	Video    *media `json:"video"`
	Document *media `json:"document"`
	Sticker  *media `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
		Name      string  `json:"name"`
		Address   string  `json:"address"`
		URL       string  `json:"url"`
	} `json:"location"`
	Interactive *struct {
		Type        string `json:"type"` // button_reply, list_reply, nfm_reply
		ButtonReply *reply `json:"button_reply"`
		ListReply   *reply `json:"list_reply"`
	} `json:"interactive"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Contacts []struct {
		Name struct {
			FormattedName string `json:"formatted_name"`
		} `json:"name"`
		Phones []struct {
			Phone string `json:"phone"`
		} `json:"phones"`
	} `json:"contacts"`
	System *struct {
		Body string `json:"body"`
	} `json:"system"`
	Context *struct {
		From string `json:"from"`
		ID   string `json:"id"`
	} `json:"context"`
}

// media is an image, audio, video, document or sticker: its media id,
// to fetch it with (see FetchMedia).
type media struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

// reply is the button or list row a customer tapped.
type reply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

// status is a status update of a message we sent.
type status struct {
	ID          string   `json:"id"`
	Status      string   `json:"status"` // sent, delivered, read, failed
	Timestamp   unixTime `json:"timestamp"`
	RecipientID string   `json:"recipient_id"`
	Errors      []struct {
		Code    int    `json:"code"`
		Title   string `json:"title"`
		Message string `json:"message"`
	} `json:"errors"`
}

// unixTime is a time in unix seconds, which WhatsApp writes as a string
// ("1700000000"); a bare number is taken too.
type unixTime struct{ time.Time }

func (u *unixTime) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return fmt.Errorf("timestamp %.40q is not unix seconds", s)
	}
	u.Time = time.Unix(n, 0).UTC()
	return nil
}

// Receive implements channels.Adapter: the signature over the raw body,
// then the "messages" changes of this channel's phone number (other
// numbers of the app's accounts are other channels, other fields are
// ignored): messages as Inbound, statuses as receipts. Unconfirmed: Meta
// posts every number of an app to the app's one callback URL unless the
// account or number overrides it, so a second number on the same app
// needs an override pointing at its own channel.
//
// Message timestamps are not checked for staleness: Meta retries a
// notification for days, and the wamid stores a retried message once.
func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if err := meta.Authenticate(c, r, body); err != nil {
		return nil, err
	}
	env, err := meta.ParseEnvelope(body, object)
	if err != nil {
		return nil, err
	}
	own := c.Setting(SettingPhoneNumberID)
	d := &channels.Delivery{}
	for _, e := range env.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "messages" || len(ch.Value) == 0 {
				continue
			}
			var v value
			if err := json.NewDecoder(bytes.NewReader(ch.Value)).Decode(&v); err != nil {
				return nil, channels.Rejected(http.StatusBadRequest, "a messages change is not a WhatsApp value: %v", err)
			}
			if own == "" || v.Metadata.PhoneNumberID != own {
				continue
			}
			names := map[string]string{}
			for _, ct := range v.Contacts {
				names[ct.WaID] = ct.Profile.Name
			}
			for _, m := range v.Messages {
				if in, ok := inbound(m, names); ok {
					d.Messages = append(d.Messages, in)
				}
			}
			for _, s := range v.Statuses {
				if rc, ok := receipt(s); ok {
					d.Receipts = append(d.Receipts, rc)
				}
			}
		}
	}
	return d, nil
}

// e164 is a wa_id that is a phone number in E.164 without its "+".
var e164 = regexp.MustCompile(`^[1-9][0-9]{5,14}$`)

// sender is the customer who wrote from waID: the wa_id is their id on the
// channel, and WhatsApp vouches for the number it is.
func sender(waID, name string) channels.Sender {
	s := channels.Sender{ExternalID: waID, Name: strings.TrimSpace(name)}
	if e164.MatchString(waID) {
		// Unconfirmed: a wa_id is the customer's number in E.164 without
		// the "+" (Meta's documentation says so for today's accounts;
		// business-scoped user ids may replace it for some users).
		s.Phone, s.Verified = "+"+waID, true
	}
	return s
}

// inbound is a customer's message as the contract's Inbound; false for
// what is not one (no id or sender, a removed reaction).
func inbound(m message, names map[string]string) (channels.Inbound, bool) {
	if m.ID == "" || m.From == "" {
		return channels.Inbound{}, false
	}
	in := channels.Inbound{ProviderMessageID: m.ID, Sender: sender(m.From, names[m.From]), Time: m.Timestamp.Time}
	if m.Context != nil && m.Context.ID != "" {
		in.InReplyTo = []string{m.Context.ID}
	}
	md := map[string]any{}
	// Unconfirmed: sticker, button, reaction, contacts and system messages
	// are not in the spec; their shapes are from Meta's webhook reference.
	switch m.Type {
	case "text":
		if m.Text != nil {
			in.Text = m.Text.Body
		}
	case "image", "audio", "video", "document", "sticker":
		if f := mediaOf(m); f != nil && f.ID != "" {
			in.Media = append(in.Media, channels.Media{ID: f.ID, ContentType: f.MimeType, Name: mediaName(m.Type, f)})
			in.Text = f.Caption
		}
	case "location":
		if l := m.Location; l != nil {
			place := strings.Trim(strings.Join([]string{l.Name, l.Address}, ", "), ", ")
			in.Text = strings.TrimSpace(fmt.Sprintf("Location: %s (%g, %g)\n%s", place, l.Latitude, l.Longitude, l.URL))
			md["location"] = map[string]any{"latitude": l.Latitude, "longitude": l.Longitude, "name": l.Name, "address": l.Address}
		}
	case "interactive":
		if it := m.Interactive; it != nil {
			r := it.ButtonReply
			if it.Type == "list_reply" || r == nil {
				r = it.ListReply
			}
			if r != nil {
				in.Text = r.Title
				md["reply"] = map[string]any{"type": it.Type, "id": r.ID, "title": r.Title}
			}
		}
	case "button": // a template's quick-reply button
		if b := m.Button; b != nil {
			in.Text = b.Text
			md["reply"] = map[string]any{"type": "button", "id": b.Payload, "title": b.Text}
		}
	case "reaction":
		if r := m.Reaction; r != nil {
			if r.Emoji == "" {
				return channels.Inbound{}, false // a reaction removed
			}
			in.Text = "Reacted " + r.Emoji
			if r.MessageID != "" {
				in.InReplyTo = []string{r.MessageID}
				md["reaction"] = map[string]any{"messageID": r.MessageID, "emoji": r.Emoji}
			}
		}
	case "contacts":
		var lines []string
		for _, ct := range m.Contacts {
			line := ct.Name.FormattedName
			for _, p := range ct.Phones {
				line += " " + p.Phone
			}
			lines = append(lines, "Shared contact: "+strings.TrimSpace(line))
		}
		in.Text = strings.Join(lines, "\n")
	case "system": // the customer changed their number, and the like
		if m.System != nil {
			in.Text, in.AutoSubmitted = m.System.Body, true
		}
	}
	if len(md) > 0 {
		in.Metadata = md
	}
	if strings.TrimSpace(in.Text) == "" && len(in.Media) == 0 {
		// unsupported, order, an interactive flow reply...: kept, so the
		// agent knows the customer wrote.
		in.Text = fmt.Sprintf("(a WhatsApp message of type %q that Switchboard does not show)", truncate(m.Type, 40))
	}
	return in, true
}

func mediaOf(m message) *media {
	switch m.Type {
	case "image":
		return m.Image
	case "audio":
		return m.Audio
	case "video":
		return m.Video
	case "document":
		return m.Document
	}
	return m.Sticker
}

// extensions of the media types WhatsApp carries, for files without a
// name.
var extensions = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4", "video/3gpp": ".3gp",
	"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr",
	"application/pdf": ".pdf", "text/plain": ".txt",
}

// mediaName is a document's file name, or the type and an extension.
func mediaName(typ string, f *media) string {
	if f.Filename != "" {
		return f.Filename
	}
	base, _, _ := strings.Cut(f.MimeType, ";")
	return typ + extensions[strings.TrimSpace(strings.ToLower(base))]
}

// statuses maps WhatsApp's message statuses to the contract's.
var statuses = map[string]channels.DeliveryStatus{
	"sent": channels.StatusSent, "delivered": channels.StatusDelivered, "read": channels.StatusRead, "failed": channels.StatusFailed,
}

// receipt is a status update as a receipt; false for statuses the
// contract has no word for (Unconfirmed: "deleted", "warning" and
// "played" are documented for some accounts; they are ignored).
func receipt(s status) (channels.Receipt, bool) {
	st, ok := statuses[s.Status]
	if !ok || s.ID == "" {
		return channels.Receipt{}, false
	}
	rc := channels.Receipt{ProviderMessageID: s.ID, Status: st, Time: s.Timestamp.Time}
	if st == channels.StatusFailed {
		rc.Reason = "WhatsApp reported the message as failed"
		if len(s.Errors) > 0 {
			e := s.Errors[0]
			rc.Reason = fmt.Sprintf("%d: %s", e.Code, truncate(firstOf(e.Title, e.Message, "failed"), 500))
		}
	}
	return rc, true
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
