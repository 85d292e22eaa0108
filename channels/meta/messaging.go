package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Envelope is the body of a webhook POST: one or more entries, each for
// one Page, Instagram account or WhatsApp Business Account, with
// Messenger-style messaging items or WhatsApp-style changes.
type Envelope struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one account's part of a webhook POST.
type Entry struct {
	ID        string          `json:"id"`
	Time      int64           `json:"time"`
	Messaging []Messaging     `json:"messaging"`
	Changes   []Change        `json:"changes"`
	Standby   json.RawMessage `json:"standby,omitempty"`
}

// Change is one WhatsApp-style change: Value's shape depends on Field.
type Change struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// Messaging is one Messenger-style item: a message (or our own echoed),
// a delivery or read report, or a postback (a button or menu tap).
type Messaging struct {
	Sender    Party      `json:"sender"`
	Recipient Party      `json:"recipient"`
	Timestamp int64      `json:"timestamp"` // unix milliseconds
	Message   *Message   `json:"message,omitempty"`
	Delivery  *Watermark `json:"delivery,omitempty"`
	Read      *Watermark `json:"read,omitempty"`
	Postback  *Postback  `json:"postback,omitempty"`
}

// Party is a sender or recipient: a PSID, an IGSID or a Page id.
type Party struct {
	ID string `json:"id"`
}

// Message is a messaging item's message.
type Message struct {
	Mid         string       `json:"mid"`
	Text        string       `json:"text"`
	IsEcho      bool         `json:"is_echo"`
	IsDeleted   bool         `json:"is_deleted"`
	Attachments []Attachment `json:"attachments"`
	QuickReply  *struct {
		Payload string `json:"payload"`
	} `json:"quick_reply"`
	ReplyTo *struct {
		Mid   string `json:"mid"`
		Story *struct {
			URL string `json:"url"`
			ID  string `json:"id"`
		} `json:"story"`
	} `json:"reply_to"`
}

// Attachment is a file or a share a message carries. Its URL is a
// signed CDN link that needs no token.
type Attachment struct {
	Type    string `json:"type"` // image, video, audio, file, fallback, story_mention, share, ...
	Payload struct {
		URL   string `json:"url"`
		Title string `json:"title"`
	} `json:"payload"`
}

// Watermark is a delivery or read report: the messages it names (mids,
// deliveries only), or everything sent before the watermark.
type Watermark struct {
	Mids      []string `json:"mids"`
	Watermark int64    `json:"watermark"` // unix milliseconds
}

// Postback is a tap on a button or a persistent menu item.
type Postback struct {
	Mid     string `json:"mid"`
	Title   string `json:"title"`
	Payload string `json:"payload"`
}

// maxItems bounds the entries times items of one POST (Meta batches up
// to 1,000 updates).
const maxItems = 1000

// ParseEnvelope reads an authenticated webhook body whose object must be
// object ("page", "instagram", "whatsapp_business_account"). A body that
// is not one is refused with 400.
func ParseEnvelope(body []byte, object string) (*Envelope, error) {
	var env Envelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		return nil, channels.Rejected(http.StatusBadRequest, "the body is not a webhook notification: %v", err)
	}
	if env.Object != object {
		return nil, channels.Rejected(http.StatusBadRequest, "object is %q, want %q", env.Object, object)
	}
	n := 0
	for _, e := range env.Entry {
		n += len(e.Messaging) + len(e.Changes)
	}
	if n > maxItems {
		return nil, channels.Rejected(http.StatusBadRequest, "%d updates in one notification, at most %d", n, maxItems)
	}
	return &env, nil
}

// Millis converts Meta's unix milliseconds; zero stays zero.
func Millis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// MessagingDelivery turns the Messenger-style items of env (Messenger and
// Instagram) into the contract's delivery:
//   - a message becomes an Inbound keyed by its mid, from the sender's id
//     (PSID or IGSID); its attachments are fetched by URL (a story mention
//     or share keeps its link in the text too, since those links expire);
//     a reply to a story keeps the story's link; echoes of our own (and
//     the Page's) sends, deleted messages, and items for another account
//     (own is the account's id; "" takes every entry) are skipped;
//   - a delivery report becomes a DELIVERED receipt per mid it names, or
//     a watermark receipt; a read report a READ watermark receipt;
//   - a postback (a button or persistent-menu tap) a MENU_CLICK event
//     whose detail is its payload.
func MessagingDelivery(env *Envelope, own string) *channels.Delivery {
	d := &channels.Delivery{}
	for _, e := range env.Entry {
		if own != "" && e.ID != own {
			continue
		}
		for _, it := range e.Messaging {
			at := Millis(it.Timestamp)
			switch {
			case it.Message != nil:
				if in, ok := inbound(it, at); ok {
					d.Messages = append(d.Messages, in)
				}
			case it.Delivery != nil:
				for _, mid := range it.Delivery.Mids {
					d.Receipts = append(d.Receipts, channels.Receipt{ProviderMessageID: mid, Status: channels.StatusDelivered, Time: at})
				}
				if len(it.Delivery.Mids) == 0 && it.Delivery.Watermark > 0 {
					d.Receipts = append(d.Receipts, channels.Receipt{Status: channels.StatusDelivered, Time: at,
						Recipient: it.Sender.ID, Watermark: Millis(it.Delivery.Watermark)})
				}
			case it.Read != nil && it.Read.Watermark > 0:
				d.Receipts = append(d.Receipts, channels.Receipt{Status: channels.StatusRead, Time: at,
					Recipient: it.Sender.ID, Watermark: Millis(it.Read.Watermark)})
			case it.Postback != nil && it.Sender.ID != "":
				id := it.Postback.Mid
				if id == "" {
					id = fmt.Sprintf("postback:%s:%d", it.Sender.ID, it.Timestamp)
				}
				d.Events = append(d.Events, channels.Event{ProviderEventID: id, Kind: channels.EventMenuClick,
					Sender: channels.Sender{ExternalID: it.Sender.ID}, Detail: it.Postback.Payload, Time: at})
			}
		}
	}
	return d
}

// inbound is a messaging item's message as the contract's Inbound; false
// for what is not a customer's message.
func inbound(it Messaging, at time.Time) (channels.Inbound, bool) {
	m := it.Message
	if m.IsEcho || m.IsDeleted || m.Mid == "" || it.Sender.ID == "" {
		return channels.Inbound{}, false
	}
	in := channels.Inbound{ProviderMessageID: m.Mid, Sender: channels.Sender{ExternalID: it.Sender.ID}, Text: m.Text, Time: at}
	meta := map[string]any{}
	var links []string
	for _, a := range m.Attachments {
		switch a.Type {
		case "image", "video", "audio", "file":
			if a.Payload.URL != "" {
				in.Attachments = append(in.Attachments, channels.Attachment{URL: a.Payload.URL})
			}
		case "story_mention":
			links = append(links, "Mentioned you in their story: "+a.Payload.URL)
			meta["storyMention"] = a.Payload.URL
		default: // share, fallback, template, reel...: a link to what was shared
			if a.Payload.URL != "" {
				links = append(links, strings.TrimSpace(a.Payload.Title+" "+a.Payload.URL))
			}
		}
	}
	if r := m.ReplyTo; r != nil && r.Story != nil {
		links = append(links, "Replied to your story: "+r.Story.URL)
		meta["storyReply"] = map[string]any{"url": r.Story.URL, "id": r.Story.ID}
	}
	if q := m.QuickReply; q != nil {
		meta["quickReply"] = q.Payload
	}
	if len(links) > 0 {
		in.Text = strings.TrimSpace(strings.Join(append([]string{in.Text}, links...), "\n"))
	}
	if len(meta) > 0 {
		in.Metadata = meta
	}
	if in.Text == "" && len(in.Attachments) == 0 {
		// A type Meta gives no content for: kept, so the agent knows the
		// customer wrote.
		in.Text = "(a message Meta does not show to apps)"
	}
	return in, true
}
