package messenger_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/meta/messenger"
	"github.com/switchboard/switchboard/channels/meta/metatest"
)

func TestConformance(t *testing.T) {
	t.Run("messenger", func(t *testing.T) { channelstest.Run(t, messenger.New(), metatest.NewMessenger(t)) })
	t.Run("instagram", func(t *testing.T) { channelstest.Run(t, messenger.NewInstagram(), metatest.NewInstagram(t)) })
}

func send(t *testing.T, f *metatest.Fake, a *messenger.Adapter, lastInbound time.Time, atts ...channels.Attachment) (string, error) {
	t.Helper()
	return a.Send(context.Background(), f.Config(t), &channels.Outbound{DeliveryID: "d1", Recipient: channels.Sender{ExternalID: "PSID-9"},
		Text: "Your parcel left the warehouse", Attachments: atts, LastInboundAt: lastInbound})
}

// TestWindows: RESPONSE within 24 hours of the customer's last message,
// the HUMAN_AGENT tag up to 7 days, nothing after.
func TestWindows(t *testing.T) {
	f := metatest.NewMessenger(t)
	a := messenger.New()
	for _, c := range []struct {
		ago          time.Duration
		typ, tag     string
		windowClosed bool
		name         string
	}{
		{time.Hour, "RESPONSE", "", false, "an hour"},
		{24*time.Hour - time.Minute, "RESPONSE", "", false, "just inside 24 hours"},
		{24*time.Hour + time.Minute, "MESSAGE_TAG", "HUMAN_AGENT", false, "24 hours and a minute"},
		{7*24*time.Hour - time.Minute, "MESSAGE_TAG", "HUMAN_AGENT", false, "just inside 7 days"},
		{7*24*time.Hour + time.Minute, "", "", true, "7 days and a minute"},
	} {
		before := len(f.Calls())
		_, err := send(t, f, a, metatest.Clock.Add(-c.ago))
		calls := f.Calls()[before:]
		if c.windowClosed {
			if !channels.IsPermanent(err) || !strings.Contains(err.Error(), "WINDOW_CLOSED") || len(calls) != 0 {
				t.Errorf("%s: %v with %d calls, want WINDOW_CLOSED and nothing sent", c.name, err, len(calls))
			}
			continue
		}
		if err != nil || len(calls) != 1 || calls[0].MessagingType != c.typ || calls[0].Tag != c.tag {
			t.Errorf("%s: %v, calls %+v; want %s %s", c.name, err, calls, c.typ, c.tag)
		}
	}
}

// TestAttachments: the text, then each file by its link, typed by its
// content type; the text's id is returned.
func TestAttachments(t *testing.T) {
	f := metatest.NewMessenger(t)
	f.Answer(channelstest.Answer{ID: "m_text"})
	id, err := send(t, f, messenger.New(), metatest.Clock.Add(-time.Hour),
		channels.Attachment{URL: "https://sb.example.com/files/1?sig=x", ContentType: "image/png"},
		channels.Attachment{URL: "https://sb.example.com/files/2?sig=y", ContentType: "application/pdf"})
	calls := f.Calls()
	if err != nil || id != "m_text" || len(calls) != 3 || calls[1].AttachmentType != "image" || calls[2].AttachmentType != "file" ||
		calls[2].URL != "https://sb.example.com/files/2?sig=y" {
		t.Fatalf("Send = %q, %v; calls %+v", id, err, calls)
	}
}

func TestVerify(t *testing.T) {
	for _, c := range []struct {
		name string
		a    *messenger.Adapter
		f    func(channelstest.TB) *metatest.Fake
	}{{"messenger", messenger.New(), metatest.NewMessenger}, {"instagram", messenger.NewInstagram(), metatest.NewInstagram}} {
		f := c.f(t)
		cfg := f.Config(t)
		if err := c.a.Verify(context.Background(), cfg); err != nil {
			t.Errorf("%s: Verify with the right token: %v", c.name, err)
		}
		cfg.Secrets["accessToken"] = "EAAexpired"
		if err := c.a.Verify(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "190") {
			t.Errorf("%s: Verify with a wrong token = %v, want Meta's 190 named", c.name, err)
		}
		cfg = f.Config(t)
		for k := range cfg.Settings {
			if strings.HasSuffix(k, "ID") && k != "appID" {
				cfg.Settings[k] = "999"
			}
		}
		if err := c.a.Verify(context.Background(), cfg); err == nil {
			t.Errorf("%s: Verify for another account passed", c.name)
		}
	}
}
