package whatsapp_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/meta/whatsapp"
	"github.com/switchboard/switchboard/channels/meta/whatsapp/watest"
)

func outbound(text string, atts ...channels.Attachment) *channels.Outbound {
	return &channels.Outbound{DeliveryID: "d1", Recipient: channels.Sender{ExternalID: "8613800000000"}, Text: text,
		Attachments: atts, LastInboundAt: watest.Clock.Add(-time.Hour)}
}

// TestSendText: the text, then one message per file by its link, typed
// by content type (documents with their name); the text's wamid returned.
func TestSendText(t *testing.T) {
	f := watest.New(t)
	id, err := whatsapp.New().Send(context.Background(), f.Config(t), outbound("Your parcel left the warehouse",
		channels.Attachment{URL: "https://sb.example.com/f/1?sig=a", ContentType: "image/png", Name: "p.png"},
		channels.Attachment{URL: "https://sb.example.com/f/2?sig=b", ContentType: "application/pdf", Name: "invoice.pdf"},
		channels.Attachment{URL: "https://sb.example.com/f/3?sig=c", ContentType: "audio/mpeg", Name: "a.mp3"},
		channels.Attachment{URL: "https://sb.example.com/f/4?sig=d", ContentType: "video/mp4", Name: "v.mp4"},
		channels.Attachment{URL: "https://sb.example.com/f/5?sig=e", ContentType: "image/gif", Name: "g.gif"},
	))
	calls := f.Calls()
	if err != nil || id != "wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI0001" || len(calls) != 6 {
		t.Fatalf("Send = %q, %v with %d calls", id, err, len(calls))
	}
	want := []watest.Sent{
		{To: "8613800000000", Type: "text", Text: "Your parcel left the warehouse"},
		{To: "8613800000000", Type: "image", Link: "https://sb.example.com/f/1?sig=a"},
		{To: "8613800000000", Type: "document", Link: "https://sb.example.com/f/2?sig=b", Filename: "invoice.pdf"},
		{To: "8613800000000", Type: "audio", Link: "https://sb.example.com/f/3?sig=c"},
		{To: "8613800000000", Type: "video", Link: "https://sb.example.com/f/4?sig=d"},
		{To: "8613800000000", Type: "document", Link: "https://sb.example.com/f/5?sig=e", Filename: "g.gif"},
	}
	for i, c := range calls {
		if c.MessagingProduct != "whatsapp" || c.RecipientType != "individual" {
			t.Errorf("call %d: messaging_product %q recipient_type %q", i, c.MessagingProduct, c.RecipientType)
		}
		c.MessagingProduct, c.RecipientType = "", ""
		if c.To != want[i].To || c.Type != want[i].Type || c.Text != want[i].Text || c.Link != want[i].Link || c.Filename != want[i].Filename {
			t.Errorf("call %d = %+v, want %+v", i, c, want[i])
		}
	}
}

// TestSendTemplate: a template goes with its body parameters in order
// "1", "2"…, whatever the window; a customer addressed by phone number
// is sent to without the "+".
func TestSendTemplate(t *testing.T) {
	f := watest.New(t)
	m := outbound("")
	m.Recipient = channels.Sender{ExternalID: "+4915112345678", Phone: "+4915112345678"}
	m.LastInboundAt = watest.Clock.Add(-30 * 24 * time.Hour)
	m.Template = &channels.TemplateMessage{ID: "order_update", Language: "de", Params: map[string]any{"2": "A-17", "1": "Jonas"}}
	if _, err := whatsapp.New().Send(context.Background(), f.Config(t), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	c := f.Calls()[0]
	if c.To != "4915112345678" || c.Type != "template" || c.Template != "order_update" || c.Language != "de" ||
		c.Text != "Hallo Jonas, Ihre Bestellung A-17 ist unterwegs." {
		t.Fatalf("sent %+v", c)
	}
	m.Template = &channels.TemplateMessage{ID: "welcome", Language: "en_US"}
	if _, err := whatsapp.New().Send(context.Background(), f.Config(t), m); err != nil || f.Calls()[1].Text != "Welcome to the shop!" {
		t.Fatalf("a template without parameters: %v, %+v", err, f.Calls()[1])
	}
}

// TestSendWindow: free text 24 hours and a minute after the customer's
// last message fails for good, naming the window, without a call.
func TestSendWindow(t *testing.T) {
	f := watest.New(t)
	m := outbound("still there?")
	m.LastInboundAt = watest.Clock.Add(-24*time.Hour - time.Minute)
	_, err := whatsapp.New().Send(context.Background(), f.Config(t), m)
	if !channels.IsPermanent(err) || !strings.Contains(err.Error(), "WINDOW_CLOSED") || len(f.Calls()) != 0 {
		t.Fatalf("after the window: %v, %d calls", err, len(f.Calls()))
	}
	m.LastInboundAt = watest.Clock.Add(-24*time.Hour + time.Minute)
	if _, err := whatsapp.New().Send(context.Background(), f.Config(t), m); err != nil {
		t.Fatalf("inside the window: %v", err)
	}
}

// TestSendErrors: the Cloud API's error codes as the brief maps them.
func TestSendErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		fail  watest.Failure
		check func(error) bool
	}{
		{"bad token", watest.Failure{Status: 401, Code: 190, Message: "Error validating access token"}, channels.IsCredentials},
		{"re-engagement", watest.Failure{Status: 400, Code: 131047, Message: "Re-engagement message"}, func(e error) bool {
			return channels.IsPermanent(e) && strings.Contains(e.Error(), "WINDOW_CLOSED") && !channels.IsCredentials(e)
		}},
		{"undeliverable", watest.Failure{Status: 400, Code: 131026, Message: "Message undeliverable"}, func(e error) bool {
			return channels.IsPermanent(e) && strings.Contains(e.Error(), "131026")
		}},
		{"throughput", watest.Failure{Status: 400, Code: 130429, Message: "Rate limit hit"}, func(e error) bool {
			return !channels.IsPermanent(e) && channels.RetryAfterOf(e) == time.Minute
		}},
		{"pair rate limit, Retry-After", watest.Failure{Status: 400, Code: 131056, Message: "Pair rate limit hit", RetryAfter: "90"}, func(e error) bool {
			return !channels.IsPermanent(e) && channels.RetryAfterOf(e) == 90*time.Second
		}},
		{"server error", watest.Failure{Status: 500, Code: 131000, Message: "Something went wrong"}, func(e error) bool {
			var ce *channels.Error
			return errors.As(e, &ce) && !ce.Permanent && ce.RetryAfter == 0
		}},
	} {
		f := watest.New(t)
		f.Fail(c.fail)
		if _, err := whatsapp.New().Send(context.Background(), f.Config(t), outbound("hi")); err == nil || !c.check(err) || len(f.Calls()) != 1 {
			t.Errorf("%s: %v after %d calls", c.name, err, len(f.Calls()))
		}
	}
	// The text went, then a file failed: not retried (it would send the
	// text twice).
	f := watest.New(t)
	f.Answer(channelstest.Answer{})
	f.Answer(channelstest.Answer{})
	f.Fail(watest.Failure{Status: 500, Code: 131000, Message: "Something went wrong"})
	_, err := whatsapp.New().Send(context.Background(), f.Config(t), outbound("two files",
		channels.Attachment{URL: "https://x/1", ContentType: "image/png"}, channels.Attachment{URL: "https://x/2", ContentType: "image/png"}))
	if !channels.IsPermanent(err) || !strings.Contains(err.Error(), "part 3 of 3") {
		t.Errorf("a part failing after others went: %v", err)
	}
}

// TestFetchMedia: the media id's URL, then its bytes, both with the
// token; an unknown id fails for good.
func TestFetchMedia(t *testing.T) {
	f := watest.New(t)
	f.AddMedia("1001", "image/jpeg", []byte("\xff\xd8\xff jpeg bytes"))
	a := whatsapp.New()
	body, ct, err := a.FetchMedia(context.Background(), f.Config(t), channels.Media{ID: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "\xff\xd8\xff jpeg bytes" || ct != "image/jpeg" || f.MediaCalls() != 1 || f.Refused() != 0 {
		t.Fatalf("fetched %q %q (%d downloads, %d refused)", b, ct, f.MediaCalls(), f.Refused())
	}
	for _, id := range []string{"4040", "../../me", ""} {
		if _, _, err := a.FetchMedia(context.Background(), f.Config(t), channels.Media{ID: id}); !channels.IsPermanent(err) {
			t.Errorf("media %q: %v, want a permanent error", id, err)
		}
	}
	c := f.Config(t)
	c.Secrets["accessToken"] = "EAAwrong"
	if _, _, err := a.FetchMedia(context.Background(), c, channels.Media{ID: "1001"}); !channels.IsPermanent(err) || f.MediaCalls() != 1 {
		t.Errorf("a wrong token: %v", err)
	}
}
