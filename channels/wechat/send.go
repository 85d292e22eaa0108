package wechat

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/channels"
)

// maxImage is the largest image the temporary media API takes.
// Unconfirmed: the public docs say 10 MB for images (bmp/png/jpeg/jpg/gif).
const maxImage = 10 << 20

var imageTypes = map[string]string{"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/bmp": "bmp"}

// part is one customer-service message a Send makes: its text, or one
// image.
type part struct {
	text  string
	image *channels.Attachment
}

// Send implements channels.Adapter: the text, then each image, as
// customer-service messages. WeChat's answer names no message, so the id
// returned is the outbound's DeliveryID (stable across retries); no
// receipts exist for these messages. A retried Send skips the parts
// already sent (its progress is kept in the channel's State).
func (a *Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	to := m.Recipient.ExternalID
	switch {
	case to == "":
		return "", channels.Permanent("the customer has no WeChat openid on this channel")
	case m.Template != nil:
		return "", channels.Permanent("the wechat channel sends no templates")
	}
	var parts []part
	if m.Text != "" {
		parts = append(parts, part{text: m.Text})
	}
	for i := range m.Attachments {
		at := &m.Attachments[i]
		if _, ok := imageTypes[strings.ToLower(at.ContentType)]; !ok {
			return "", channels.Permanent("WeChat customer-service messages carry images (JPEG, PNG, GIF, BMP) only, not %s (%s)", at.Name, at.ContentType)
		}
		if at.Size > maxImage {
			return "", channels.Permanent("the image %s is larger than WeChat's 10 MB", at.Name)
		}
		parts = append(parts, part{image: at})
	}
	if len(parts) == 0 {
		return "", channels.Permanent("the message has no text and no image")
	}
	prog := progress{c: c, key: progressKey(m.DeliveryID)}
	done := 0
	if len(parts) > 1 {
		done = prog.load(ctx)
	}
	s := &session{a: a, c: c}
	for i := done; i < len(parts); i++ {
		if err := s.sendPart(ctx, to, parts[i]); err != nil {
			return "", classify(err)
		}
		if len(parts) > 1 {
			prog.save(ctx, i+1, i+1 == len(parts))
		}
	}
	return m.DeliveryID, nil
}

func (s *session) sendPart(ctx context.Context, to string, p part) error {
	msg := map[string]any{"touser": to}
	if p.image == nil {
		msg["msgtype"], msg["text"] = "text", map[string]string{"content": p.text}
	} else {
		id, err := s.upload(ctx, p.image)
		if err != nil {
			return err
		}
		msg["msgtype"], msg["image"] = "image", map[string]string{"media_id": id}
	}
	body := marshal(msg)
	return s.do(ctx, func(token string) error {
		return call(ctx, s.c, http.MethodPost, "/cgi-bin/message/custom/send", token, body, "application/json", nil)
	})
}

// upload sends an image to the temporary media API and returns its
// media_id.
func (s *session) upload(ctx context.Context, at *channels.Attachment) (string, error) {
	if at.Open == nil {
		return "", channels.Permanent("the image %s cannot be read", at.Name)
	}
	rc, err := at.Open(ctx)
	if err != nil {
		return "", channels.Transient(err, "reading the image %s", at.Name)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxImage+1))
	rc.Close()
	if err != nil {
		return "", channels.Transient(err, "reading the image %s", at.Name)
	}
	if len(data) > maxImage {
		return "", channels.Permanent("the image %s is larger than WeChat's 10 MB", at.Name)
	}
	ct := strings.ToLower(at.ContentType)
	name := at.Name
	if name == "" || strings.ContainsAny(name, "\"\\\r\n") {
		name = "image." + imageTypes[ct]
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="media"; filename="%s"`, name))
	h.Set("Content-Type", ct)
	pw, _ := w.CreatePart(h)
	_, _ = pw.Write(data)
	_ = w.Close()
	var out struct {
		MediaID string `json:"media_id"`
	}
	err = s.do(ctx, func(token string) error {
		return call(ctx, s.c, http.MethodPost, "/cgi-bin/media/upload", token, b.Bytes(), w.FormDataContentType(), &out, "type", "image")
	})
	if err != nil {
		return "", err
	}
	if out.MediaID == "" {
		return "", errors.New("WeChat's upload answer has no media_id")
	}
	return out.MediaID, nil
}

// progress is how many parts of a multi-part Send went out, kept in the
// channel's State so that the outbox's retry does not repeat them.
type progress struct {
	c   *channels.Config
	key string
	ver int64
}

func progressKey(deliveryID string) string {
	h := sha1.Sum([]byte(deliveryID))
	return "sent:" + hex.EncodeToString(h[:])
}

func (p *progress) load(ctx context.Context) int {
	if p.c.State == nil {
		return 0
	}
	v, ver, err := p.c.State.Get(ctx, p.key)
	if err != nil {
		return 0
	}
	p.ver = ver
	n, _ := strconv.Atoi(string(v))
	return max(n, 0)
}

// save records n parts sent, or forgets the Send once all are. A failure
// to record only risks repeating a part on a retry.
func (p *progress) save(ctx context.Context, n int, all bool) {
	if p.c.State == nil {
		return
	}
	var v []byte
	if !all {
		v = []byte(strconv.Itoa(n))
	} else if p.ver == 0 {
		return // nothing stored
	}
	if ver, err := p.c.State.CompareAndSet(context.WithoutCancel(ctx), p.key, v, p.ver); err == nil {
		p.ver = ver
	}
}

// FetchMedia implements channels.MediaFetcher: GET /cgi-bin/media/get.
// Videos are answered with a download URL, which is then fetched.
func (a *Adapter) FetchMedia(ctx context.Context, c *channels.Config, m channels.Media) (io.ReadCloser, string, error) {
	if m.ID == "" {
		return nil, "", channels.Permanent("the media has no media_id")
	}
	s := &session{a: a, c: c}
	var body io.ReadCloser
	var ct string
	err := s.do(ctx, func(token string) error {
		var err error
		body, ct, err = getMedia(ctx, c, endpoint(c, "/cgi-bin/media/get", url.Values{"media_id": {m.ID}}, token), true)
		return err
	})
	if err != nil {
		return nil, "", classify(err)
	}
	if ct == "" {
		ct = m.ContentType
	}
	return body, ct, nil
}

// getMedia GETs a media download. A JSON answer is an error, or, when
// follow is set, a video's {"video_url"} to fetch.
func getMedia(ctx context.Context, c *channels.Config, u string, follow bool) (io.ReadCloser, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	res, err := client(c).Do(req)
	if err != nil {
		return nil, "", redact(err, "media download")
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, "", httpError(res)
	}
	ct := res.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/plain") {
		return res.Body, ct, nil
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if err != nil {
		return nil, "", err
	}
	var out struct {
		VideoURL string `json:"video_url"`
	}
	if err := decodeAnswer(b, &out); err != nil {
		return nil, "", err
	}
	v, perr := url.Parse(out.VideoURL)
	if !follow || out.VideoURL == "" || perr != nil || (v.Scheme != "http" && v.Scheme != "https") {
		return nil, "", channels.Permanent("WeChat's media answer holds no file")
	}
	return getMedia(ctx, c, out.VideoURL, false)
}
