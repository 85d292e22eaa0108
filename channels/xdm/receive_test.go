package xdm_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/xdm"
	"github.com/switchboard/switchboard/channels/xdm/xdmtest"
)

func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// TestCRCVector: the CRC answer for a known token, the expected value
// computed outside Go (openssl dgst -sha256 -hmac SECRET -binary | base64).
func TestCRCVector(t *testing.T) {
	c := xdmtest.New(t).Config(t)
	r := httptest.NewRequest(http.MethodGet, xdmtest.WebhookURL+"?crc_token=crc-token-from-x-1234&nonce=abc", nil)
	resp, ok, err := xdm.New().Handshake(context.Background(), c, r)
	if err != nil || !ok {
		t.Fatalf("Handshake = %v, %v", ok, err)
	}
	if resp.Status != 200 || resp.ContentType != "application/json" {
		t.Errorf("answer %d %s, want 200 application/json", resp.Status, resp.ContentType)
	}
	var got map[string]string
	if err := json.Unmarshal(resp.Body, &got); err != nil || len(got) != 1 {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	if want := "sha256=IdkyFTkfzOQg+1+HezoSLhqL0Uc7y/E9aLRsnLHS7g8="; got["response_token"] != want {
		t.Errorf("response_token = %q, want %q", got["response_token"], want)
	}
	r = httptest.NewRequest(http.MethodGet, xdmtest.WebhookURL, nil)
	if _, ok, err := xdm.New().Handshake(context.Background(), c, r); !ok || status(err) != 400 {
		t.Errorf("Handshake without crc_token = %v, %v; want 400", ok, err)
	}
}

// vectorBody is signed (computed outside Go with Python's hmac) as
// vectorSignature under xdmtest.ConsumerSecret.
const (
	vectorBody      = `{"for_user_id":"1080000000000000001","direct_message_events":[{"type":"message_create","id":"1463371534334359562","created_timestamp":"1637754000000","message_create":{"target":{"recipient_id":"1080000000000000001"},"sender_id":"2244994945","message_data":{"text":"Hello @acme, where is my order?","entities":{"urls":[]}}}}],"users":{"2244994945":{"id":"2244994945","name":"Ada Lovelace","screen_name":"ada"}}}`
	vectorSignature = "sha256=J+K+OqsZi7LVHcAWiyBia0l9QqqSXVZ+bPu0u3pHZWw="
)

func TestSignatureVector(t *testing.T) {
	c := xdmtest.New(t).Config(t)
	r := httptest.NewRequest(http.MethodPost, xdmtest.WebhookURL, nil)
	r.Header.Set("X-Twitter-Webhooks-Signature", vectorSignature)
	d, err := xdm.New().Receive(context.Background(), c, r, []byte(vectorBody))
	if err != nil || len(d.Messages) != 1 {
		t.Fatalf("Receive = %+v, %v", d, err)
	}
	m := d.Messages[0]
	if m.ProviderMessageID != "1463371534334359562" || m.Sender.ExternalID != "2244994945" || m.Sender.Name != "Ada Lovelace" ||
		m.Text != "Hello @acme, where is my order?" || !m.Time.Equal(time.UnixMilli(1637754000000)) || m.Metadata["screenName"] != "ada" {
		t.Errorf("message = %+v", m)
	}
	if m.Sender.Verified || m.Sender.Email != "" || m.Sender.Phone != "" {
		t.Errorf("an X user id vouches for nothing else: %+v", m.Sender)
	}
	r.Header.Set("X-Twitter-Webhooks-Signature", "sha256=K+K+OqsZi7LVHcAWiyBia0l9QqqSXVZ+bPu0u3pHZWw=")
	if d, err := xdm.New().Receive(context.Background(), c, r, []byte(vectorBody)); status(err) != 401 || d != nil {
		t.Errorf("one bit off = %v, %v; want 401", d, err)
	}
}

func receive(t *testing.T, f *xdmtest.Fake, body []byte) *channels.Delivery {
	t.Helper()
	d, err := xdm.New().Receive(context.Background(), f.Config(t), xdmtest.Request(body, xdmtest.ConsumerSecret), body)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return d
}

func TestReceiveSkipsOwnAndForeign(t *testing.T) {
	f := xdmtest.New(t)
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	d := receive(t, f, xdmtest.Body(xdmtest.AccountID, []map[string]any{
		xdmtest.DM("101", xdmtest.AccountID, "42", "our own reply", at),
		xdmtest.DM("102", "42", xdmtest.AccountID, "from the customer", at),
		xdmtest.DM("103", "42", "777", "to someone else", at),
		{"type": "some_future_type", "id": "104"},
	}, xdmtest.Users("42")))
	if len(d.Messages) != 1 || d.Messages[0].ProviderMessageID != "102" || d.Messages[0].Sender.Name != "User 42" {
		t.Fatalf("messages = %+v, want only 102", d.Messages)
	}
	// Another account of the same app: acknowledged, nothing delivered.
	d = receive(t, f, xdmtest.Body("999", []map[string]any{xdmtest.DM("105", "42", "999", "hi", at)}, nil))
	if len(d.Messages)+len(d.Receipts)+len(d.Events) != 0 {
		t.Errorf("another account's events delivered: %+v", d)
	}
	// Other Account Activity events are acknowledged and ignored.
	body := []byte(`{"for_user_id":"` + xdmtest.AccountID + `","tweet_create_events":[{"id_str":"1","text":"a tweet"}]}`)
	if d := receive(t, f, body); len(d.Messages) != 0 {
		t.Errorf("a tweet became a message: %+v", d.Messages)
	}
}

func TestReceiveAttachmentAndLinks(t *testing.T) {
	f := xdmtest.New(t)
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	e := xdmtest.WithPhoto(xdmtest.DM("201", "42", xdmtest.AccountID, "see https://t.co/abc", at), "https://ton.twitter.com/1.1/ton/data/dm/201/202/x.jpg")
	md := e["message_create"].(map[string]any)["message_data"].(map[string]any)
	md["entities"] = map[string]any{"urls": []any{map[string]any{"url": "https://t.co/abc", "expanded_url": "https://example.com/order/7"}}}
	d := receive(t, f, xdmtest.Body(xdmtest.AccountID, []map[string]any{e}, nil))
	if len(d.Messages) != 1 {
		t.Fatalf("messages = %+v", d.Messages)
	}
	m := d.Messages[0]
	if m.Text != "see https://example.com/order/7" {
		t.Errorf("text = %q, want the link expanded and the photo's t.co link gone", m.Text)
	}
	want := channels.Media{ID: "1234567890123456789", URL: "https://ton.twitter.com/1.1/ton/data/dm/201/202/x.jpg", ContentType: "image/jpeg", Name: "x.jpg"}
	if len(m.Media) != 1 || m.Media[0] != want {
		t.Errorf("media = %+v, want %+v", m.Media, want)
	}
	// A photo alone is a message.
	e = xdmtest.WithPhoto(xdmtest.DM("203", "42", xdmtest.AccountID, "", at), "https://ton.twitter.com/i.png")
	if d := receive(t, f, xdmtest.Body(xdmtest.AccountID, []map[string]any{e}, nil)); len(d.Messages) != 1 || d.Messages[0].Text != "" || len(d.Messages[0].Media) != 1 {
		t.Errorf("photo alone = %+v", d.Messages)
	}
	// A plain-http media link is not kept (the token would go in clear).
	e = xdmtest.WithPhoto(xdmtest.DM("204", "42", xdmtest.AccountID, "look", at), "http://ton.twitter.com/i.png")
	if d := receive(t, f, xdmtest.Body(xdmtest.AccountID, []map[string]any{e}, nil)); len(d.Messages) != 1 || len(d.Messages[0].Media) != 0 {
		t.Errorf("http media = %+v", d.Messages)
	}
}

func TestReceiveVideo(t *testing.T) {
	f := xdmtest.New(t)
	e := xdmtest.DM("301", "42", xdmtest.AccountID, "", time.Now())
	e["message_create"].(map[string]any)["message_data"].(map[string]any)["attachment"] = map[string]any{"type": "media",
		"media": map[string]any{"id_str": "9", "type": "video", "media_url_https": "https://pbs.twimg.com/thumb.jpg",
			"video_info": map[string]any{"variants": []any{
				map[string]any{"bitrate": 256000, "content_type": "video/mp4", "url": "https://video.twimg.com/dm_video/9/low.mp4"},
				map[string]any{"content_type": "application/x-mpegURL", "url": "https://video.twimg.com/dm_video/9/pl.m3u8"},
				map[string]any{"bitrate": 832000, "content_type": "video/mp4", "url": "https://video.twimg.com/dm_video/9/high.mp4?tag=1"},
			}}}}
	d := receive(t, f, xdmtest.Body(xdmtest.AccountID, []map[string]any{e}, nil))
	want := channels.Media{ID: "9", URL: "https://video.twimg.com/dm_video/9/high.mp4?tag=1", ContentType: "video/mp4", Name: "high.mp4"}
	if len(d.Messages) != 1 || len(d.Messages[0].Media) != 1 || d.Messages[0].Media[0] != want {
		t.Errorf("video = %+v", d.Messages)
	}
}

func TestReceiveMarkRead(t *testing.T) {
	f := xdmtest.New(t)
	body := []byte(`{"for_user_id":"` + xdmtest.AccountID + `","direct_message_mark_read_events":[` +
		`{"created_timestamp":"1637754000123","sender_id":"42","target":{"recipient_id":"` + xdmtest.AccountID + `"},"last_read_event_id":"1463371534334359562"},` +
		`{"created_timestamp":"1637754000123","sender_id":"` + xdmtest.AccountID + `","target":{"recipient_id":"42"},"last_read_event_id":"1"}]}`)
	d := receive(t, f, body)
	at := time.UnixMilli(1637754000123).UTC()
	want := channels.Receipt{Status: channels.StatusRead, Recipient: "42", Watermark: at, Time: at}
	if len(d.Receipts) != 1 || d.Receipts[0] != want {
		t.Errorf("receipts = %+v, want %+v", d.Receipts, want)
	}
}
