package telegram

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Update is the part of a Bot API Update the channel reads.
type Update struct {
	UpdateID     *int64             `json:"update_id"`
	Message      *Message           `json:"message,omitempty"`
	MyChatMember *ChatMemberUpdated `json:"my_chat_member,omitempty"`
}

// User is a Telegram user; ids exceed 32 bits.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is where a message was written; the channel keeps private ones.
type Chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// File is a file a message carries, kept by Telegram until fetched with
// getFile (a PhotoSize, Document, Voice, Audio, Video...).
type File struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	FileSize int64  `json:"file_size,omitempty"`
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
}

// Message is the part of a Message the channel reads.
type Message struct {
	MessageID int64  `json:"message_id"`
	From      *User  `json:"from,omitempty"`
	Chat      *Chat  `json:"chat"`
	Date      int64  `json:"date"`
	Text      string `json:"text,omitempty"`
	Caption   string `json:"caption,omitempty"`
	Photo     []File `json:"photo,omitempty"`
	Document  *File  `json:"document,omitempty"`
	Voice     *File  `json:"voice,omitempty"`
	Audio     *File  `json:"audio,omitempty"`
	Video     *File  `json:"video,omitempty"`
	VideoNote *File  `json:"video_note,omitempty"`
	Sticker   *struct {
		Emoji string `json:"emoji,omitempty"`
	} `json:"sticker,omitempty"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	} `json:"location,omitempty"`
	Contact *struct {
		PhoneNumber string `json:"phone_number"`
		FirstName   string `json:"first_name"`
		LastName    string `json:"last_name,omitempty"`
	} `json:"contact,omitempty"`
}

// ChatMemberUpdated is the bot's membership in a chat changing: in a
// private chat, the user blocking ("kicked") or unblocking ("member") it.
type ChatMemberUpdated struct {
	Chat          *Chat `json:"chat"`
	From          *User `json:"from"`
	Date          int64 `json:"date"`
	NewChatMember struct {
		Status string `json:"status"`
	} `json:"new_chat_member"`
}

// Receive implements channels.Adapter. The secret_token header is checked
// before anything is parsed. One update per request: its message (private
// chats only) or the user blocking or unblocking the bot; other updates
// are acknowledged with nothing to store.
//
// The protocol has no timestamp or signature over the body: the secret
// travels over TLS, and a replayed update names the same message, which is
// stored once.
func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	want := c.Secrets[SecretWebhookSecret]
	got := r.Header.Get(SecretHeader)
	if want == "" {
		return nil, channels.Rejected(http.StatusForbidden, "the channel has no webhook secret")
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return nil, channels.Rejected(http.StatusUnauthorized, "wrong or missing %s", SecretHeader)
	}
	u, err := parseUpdate(body)
	if err != nil {
		return nil, channels.Rejected(http.StatusBadRequest, "%v", err)
	}
	return delivery(u), nil
}

// parseUpdate decodes one update, refusing what is not one.
func parseUpdate(body []byte) (*Update, error) {
	var u Update
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&u); err != nil {
		return nil, fmt.Errorf("the update is not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("the update has trailing data")
	}
	if u.UpdateID == nil {
		return nil, fmt.Errorf("the update has no update_id")
	}
	if m := u.Message; m != nil {
		if m.MessageID == 0 || m.Chat == nil || m.Chat.ID == 0 || m.Date <= 0 {
			return nil, fmt.Errorf("message of update %d lacks message_id, chat or date", *u.UpdateID)
		}
		if m.Chat.Type == "private" && (m.From == nil || m.From.ID == 0) {
			return nil, fmt.Errorf("private message of update %d has no sender", *u.UpdateID)
		}
	}
	if m := u.MyChatMember; m != nil && (m.Chat == nil || m.From == nil || m.From.ID == 0 || m.NewChatMember.Status == "") {
		return nil, fmt.Errorf("my_chat_member of update %d lacks chat, from or new_chat_member", *u.UpdateID)
	}
	return &u, nil
}

// delivery is what u carries for the inbox.
func delivery(u *Update) *channels.Delivery {
	d := &channels.Delivery{}
	if m := u.Message; m != nil && m.Chat.Type == "private" {
		d.Messages = append(d.Messages, inbound(*u.UpdateID, m))
	}
	if m := u.MyChatMember; m != nil && m.Chat.Type == "private" {
		ev := channels.Event{ProviderEventID: "update:" + strconv.FormatInt(*u.UpdateID, 10),
			Sender: sender(m.From), Time: time.Unix(m.Date, 0).UTC()}
		switch m.NewChatMember.Status {
		case "kicked": // the user blocked the bot: no more messages reach them
			ev.Kind = channels.EventUnfollowed
		case "member": // unblocked (restarted) it. Unconfirmed: a first /start
			// comes without a my_chat_member update.
			ev.Kind = channels.EventFollowed
		}
		if ev.Kind != "" {
			d.Events = append(d.Events, ev)
		}
	}
	return d
}

// MessageID is the provider id of message id in chat: message ids are
// numbered per chat, in both directions, so the pair names one message.
func MessageID(chat, id int64) string {
	return strconv.FormatInt(chat, 10) + ":" + strconv.FormatInt(id, 10)
}

func sender(u *User) channels.Sender {
	return channels.Sender{ExternalID: strconv.FormatInt(u.ID, 10),
		Name: strings.TrimSpace(u.FirstName + " " + u.LastName)}
}

// inbound is a private message as the inbox stores it. A /start (the user
// opened the bot) is stored like any message: it is what they wrote, and
// it starts the conversation; it is not a FOLLOWED event, which Telegram
// reports for an unblock through my_chat_member.
func inbound(updateID int64, m *Message) channels.Inbound {
	in := channels.Inbound{
		ProviderMessageID: MessageID(m.Chat.ID, m.MessageID),
		Sender:            sender(m.From),
		Text:              m.Text,
		Time:              time.Unix(m.Date, 0).UTC(),
		Metadata:          map[string]any{"updateID": updateID},
	}
	if m.From.Username != "" {
		in.Metadata["username"] = m.From.Username
	}
	if m.From.LanguageCode != "" {
		in.Metadata["languageCode"] = m.From.LanguageCode
	}
	if in.Text == "" {
		in.Text = m.Caption
	}
	// Unconfirmed: the Bot API serves every photo size as JPEG.
	if p := largest(m.Photo); p != nil {
		in.Media = append(in.Media, channels.Media{ID: p.FileID, ContentType: "image/jpeg", Size: p.FileSize})
	}
	for _, f := range []struct {
		f    *File
		mime string
	}{{m.Document, ""}, {m.Voice, "audio/ogg"}, {m.Audio, "audio/mpeg"}, {m.Video, "video/mp4"}, {m.VideoNote, "video/mp4"}} {
		if f.f == nil || f.f.FileID == "" {
			continue
		}
		ct := f.f.MimeType
		if ct == "" {
			ct = f.mime
		}
		in.Media = append(in.Media, channels.Media{ID: f.f.FileID, Name: f.f.FileName, ContentType: ct, Size: f.f.FileSize})
	}
	switch {
	case in.Text != "" || len(in.Media) > 0:
	case m.Sticker != nil:
		in.Text = strings.TrimSpace("[sticker] " + m.Sticker.Emoji)
	case m.Location != nil:
		in.Text = fmt.Sprintf("[location] %.6f, %.6f", m.Location.Latitude, m.Location.Longitude)
	case m.Contact != nil:
		in.Text = strings.TrimSpace(fmt.Sprintf("[contact] %s %s %s", m.Contact.FirstName, m.Contact.LastName, m.Contact.PhoneNumber))
	default:
		in.Text = "[a Telegram message of a kind Switchboard does not show]"
	}
	return in
}

// largest is the biggest of a photo's sizes (Telegram lists them
// smallest first; compared by pixels to not depend on the order).
func largest(sizes []File) *File {
	var best *File
	for i := range sizes {
		p := &sizes[i]
		if p.FileID == "" {
			continue
		}
		if best == nil || p.Width*p.Height >= best.Width*best.Height {
			best = p
		}
	}
	return best
}
