package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

// sentMessage is the part of the Message a send answers that names it.
type sentMessage struct {
	MessageID int64 `json:"message_id"`
	Chat      struct {
		ID int64 `json:"id"`
	} `json:"chat"`
}

// step is one Bot API call of a send.
type step struct {
	method  string // sendMessage, sendPhoto, sendDocument
	text    string // the text, or the caption
	attach  *channels.Attachment
	fileKey string // "photo" or "document"
}

// steps are the calls that deliver m: its text with sendMessage, each
// attachment with sendPhoto (JPEG, PNG and WebP pictures) or sendDocument,
// the text as the first attachment's caption when it fits one.
func steps(m *channels.Outbound) []step {
	var out []step
	text := m.Text
	if len(m.Attachments) == 0 || utf8.RuneCountInString(text) > maxCaption {
		out = append(out, step{method: "sendMessage", text: text})
		text = ""
	}
	for i := range m.Attachments {
		a := &m.Attachments[i]
		s := step{method: "sendDocument", fileKey: "document", attach: a, text: text}
		switch strings.ToLower(a.ContentType) {
		case "image/jpeg", "image/png", "image/webp":
			s.method, s.fileKey = "sendPhoto", "photo"
		}
		out = append(out, s)
		text = ""
	}
	return out
}

// Send implements channels.Adapter. The recipient is the user's id, which
// is their private chat's id. A message with attachments takes one call
// per attachment (and one for a text too long for a caption); a send
// interrupted part way records the calls that went through in c.State, so
// the outbox's retry goes on from there rather than sending them again.
// It returns the first call's message as "<chat id>:<message id>".
func (*Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	chat, err := strconv.ParseInt(m.Recipient.ExternalID, 10, 64)
	if err != nil || chat == 0 {
		return "", channels.Permanent("the recipient %.40q is not a Telegram user id", m.Recipient.ExternalID)
	}
	all := steps(m)
	p := progress{c: c, key: "send:" + m.DeliveryID, use: len(all) > 1 && c.State != nil && m.DeliveryID != ""}
	done, err := p.load(ctx)
	if err != nil {
		return "", channels.Transient(err, "reading the send's progress")
	}
	for i := len(done); i < len(all); i++ {
		id, err := sendStep(ctx, c, chat, all[i])
		if err != nil {
			return "", err
		}
		done = append(done, id)
		if i < len(all)-1 {
			if err := p.save(ctx, done); err != nil {
				return "", channels.Transient(err, "recording the send's progress")
			}
		}
	}
	p.clear(ctx)
	return done[0], nil
}

func sendStep(ctx context.Context, c *channels.Config, chat int64, s step) (string, error) {
	var sent sentMessage
	var err error
	switch {
	case s.attach == nil:
		err = call(ctx, c, s.method, map[string]any{"chat_id": chat, "text": s.text}, &sent)
	case s.attach.Open != nil:
		fields := map[string]string{"chat_id": strconv.FormatInt(chat, 10)}
		if s.text != "" {
			fields["caption"] = s.text
		}
		err = callMultipart(ctx, c, s.method, fields, s.fileKey, *s.attach, &sent)
	default:
		// Unconfirmed: sendDocument by URL only takes GIF, PDF and ZIP
		// files; attachments are uploaded whenever they can be opened.
		req := map[string]any{"chat_id": chat, s.fileKey: s.attach.URL}
		if s.text != "" {
			req["caption"] = s.text
		}
		err = call(ctx, c, s.method, req, &sent)
	}
	if err != nil {
		return "", sendError(err)
	}
	if sent.MessageID == 0 {
		return "", channels.Transient(nil, "telegram %s answered no message_id", s.method)
	}
	if sent.Chat.ID == 0 {
		sent.Chat.ID = chat
	}
	return MessageID(sent.Chat.ID, sent.MessageID), nil
}

// progress keeps the message ids of a send's calls that went through.
type progress struct {
	c   *channels.Config
	key string
	use bool
	ver int64
}

func (p *progress) load(ctx context.Context) ([]string, error) {
	if !p.use {
		return nil, nil
	}
	raw, ver, err := p.c.State.Get(ctx, p.key)
	if err != nil {
		return nil, err
	}
	p.ver = ver
	var ids []string
	if raw != nil && json.Unmarshal(raw, &ids) != nil {
		ids = nil
	}
	return ids, nil
}

func (p *progress) save(ctx context.Context, ids []string) error {
	if !p.use {
		return nil
	}
	b, _ := json.Marshal(ids)
	ver, err := p.c.State.CompareAndSet(ctx, p.key, b, p.ver)
	p.ver = ver
	return err
}

// clear forgets a finished send's progress; failing to is harmless.
func (p *progress) clear(ctx context.Context) {
	if p.use && p.ver != 0 {
		_, _ = p.c.State.CompareAndSet(context.WithoutCancel(ctx), p.key, nil, p.ver)
	}
}

// FetchMedia implements channels.MediaFetcher: getFile answers the file's
// file_path, then GET {base}/file/bot<token>/<file_path> reads it. Bot
// API files are kept at least an hour after getFile and up to 20 MB are
// served; a bigger or unknown file fails for good.
func (*Adapter) FetchMedia(ctx context.Context, c *channels.Config, m channels.Media) (io.ReadCloser, string, error) {
	if m.ID == "" || len(m.ID) > 256 {
		return nil, "", channels.Permanent("the Telegram file id %.40q is not one", m.ID)
	}
	var f struct {
		FilePath string `json:"file_path"`
	}
	if err := call(ctx, c, "getFile", map[string]any{"file_id": m.ID}, &f); err != nil {
		return nil, "", sendError(err)
	}
	if f.FilePath == "" || strings.HasPrefix(f.FilePath, "/") || strings.Contains(f.FilePath, "..") || strings.ContainsAny(f.FilePath, "?#") {
		return nil, "", channels.Permanent("getFile gave file %.40q no usable file_path", m.ID)
	}
	u := baseURL(c) + "/file/bot" + c.Secrets[SecretBotToken] + "/" + f.FilePath
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", channels.Permanent("the file path of %.40q is not usable", m.ID)
	}
	res, err := httpClient(c).Do(r)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds the token
		}
		return nil, "", channels.Transient(err, "downloading a Telegram file")
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, "", sendError(&APIError{Method: "file download", Code: res.StatusCode, Description: http.StatusText(res.StatusCode)})
	}
	ct := m.ContentType
	if ct == "" {
		ct = res.Header.Get("Content-Type")
	}
	return res.Body, ct, nil
}
