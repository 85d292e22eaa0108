package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/channels"
)

func (*Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	if !channels.IsHTTPURL(c.Setting("callbackURL")) {
		return "", channels.Permanent("api channel has no valid callbackURL")
	}
	if c.Secrets["secret"] == "" {
		return "", channels.Permanent("api channel has no secret")
	}
	created := m.CreatedAt
	if created.IsZero() {
		created = c.Time()
	}
	atts := m.Attachments
	if atts == nil {
		atts = []channels.Attachment{}
	}
	msg := map[string]any{"id": m.MessageID, "text": m.Text, "attachments": atts,
		"createdAt": created.UTC().Format(time.RFC3339)}
	if m.ReplyTo != "" {
		msg["replyTo"] = m.ReplyTo
	}
	if m.ThreadKey != "" {
		msg["threadKey"] = m.ThreadKey
	}
	cb := map[string]any{
		"event": "message.created", "deliveryID": m.DeliveryID, "conversationID": m.ConversationID,
		"recipient": map[string]string{"externalID": m.Recipient.ExternalID},
		"message":   msg,
	}
	if t := m.Template; t != nil {
		tpl := map[string]any{"id": t.ID, "params": t.Params}
		if t.Params == nil {
			tpl["params"] = map[string]any{}
		}
		if t.Language != "" {
			tpl["language"] = t.Language
		}
		msg["template"] = tpl
	}
	body, err := json.Marshal(cb)
	if err != nil {
		return "", channels.Permanent("encoding message: %v", err)
	}
	res, err := post(ctx, c, m.DeliveryID, body)
	if err != nil {
		return "", channels.Transient(err, "callback unreachable")
	}
	if err := answerError(c, res); err != nil {
		return "", err
	}
	var ack struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(res.body, &ack) == nil && ack.ID != "" {
		return ack.ID, nil
	}
	return m.DeliveryID, nil
}

// answer is the callback's answer: its status, headers and up to 64 KiB
// of its body.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// post sends a signed body to the callback URL.
func post(ctx context.Context, c *channels.Config, deliveryID string, body []byte) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Setting("callbackURL"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(c.Time().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(hdrTime, ts)
	req.Header.Set(hdrSig, sign(c.Secrets["secret"], ts, body))
	req.Header.Set(hdrDeliver, deliveryID)
	client := c.HTTP
	if client == nil {
		client = defaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	resp, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)) // let the connection be reused
	return &answer{status: res.StatusCode, header: res.Header, body: resp}, nil
}
