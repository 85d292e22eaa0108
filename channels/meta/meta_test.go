package meta_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta"
)

func config(base string) *channels.Config {
	return &channels.Config{
		Settings: map[string]any{meta.SettingBaseURL: base},
		Secrets:  map[string]string{meta.SecretAppSecret: "app-secret", meta.SecretVerifyToken: "verify-me", meta.SecretAccessToken: "EAAtoken"},
	}
}

// TestAuthenticate: the signature is computed here from the spec's words
// (lowercase hex HMAC-SHA256 of the raw body under the app secret, after
// "sha256="), not with the package's code.
func TestAuthenticate(t *testing.T) {
	body := []byte(`{"object":"page","entry":[]}`)
	mac := hmac.New(sha256.New, []byte("app-secret"))
	mac.Write(body)
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	for _, c := range []struct {
		name, header string
		body         []byte
		want         int
	}{
		{"genuine", good, body, 0},
		{"uppercase hex", "sha256=" + strings.ToUpper(good[7:]), body, 0},
		{"missing", "", body, 401},
		{"sha1 only", "sha1=" + good[7:47], body, 401},
		{"tampered body", good, []byte(`{"object":"page","entry":[{}]}`), 401},
		{"not hex", "sha256=zz", body, 401},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		if c.header != "" {
			r.Header.Set("X-Hub-Signature-256", c.header)
		}
		err := meta.Authenticate(config(""), r, c.body)
		var ce *channels.Error
		switch {
		case c.want == 0 && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != 0 && (!errors.As(err, &ce) || ce.Status != c.want):
			t.Errorf("%s: %v, want status %d", c.name, err, c.want)
		}
	}
}

func TestHandshake(t *testing.T) {
	get := func(q string) (channels.Response, error) {
		r := httptest.NewRequest(http.MethodGet, "/?"+q, nil)
		resp, ok, err := meta.Handshake(config(""), r)
		if !ok {
			t.Fatal("Handshake says the kind has none")
		}
		return resp, err
	}
	resp, err := get("hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
	if err != nil || string(resp.Body) != "1158201444" || resp.Status != 200 {
		t.Fatalf("genuine challenge: %+v %v", resp, err)
	}
	for _, q := range []string{"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", "hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1", ""} {
		var ce *channels.Error
		if _, err := get(q); !errors.As(err, &ce) || ce.Status != http.StatusForbidden {
			t.Errorf("%q: %v, want 403", q, err)
		}
	}
}

// TestSendErrors: Graph API answers mapped to the contract's errors.
func TestSendErrors(t *testing.T) {
	var answer string
	var status int
	var retryAfter string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer EAAtoken" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		w.Write([]byte(answer))
	}))
	defer srv.Close()
	g := meta.GraphOf(config(srv.URL))
	call := func() error {
		return meta.SendError(g.Do(context.Background(), http.MethodPost, "/me/messages", nil, map[string]string{}, nil))
	}
	graphErr := func(code, sub int) string {
		return `{"error":{"message":"m","type":"OAuthException","code":` + strconv.Itoa(code) + `,"error_subcode":` + strconv.Itoa(sub) + `,"fbtrace_id":"A1"}}`
	}
	for _, c := range []struct {
		name        string
		status      int
		body, after string
		check       func(error) bool
	}{
		{"bad token", 401, graphErr(190, 463), "", channels.IsCredentials},
		{"rate limit with Retry-After", 400, graphErr(613, 0), "7", func(e error) bool { return channels.RetryAfterOf(e) == 7*time.Second }},
		{"WhatsApp throughput", 400, graphErr(130429, 0), "", func(e error) bool { return channels.RetryAfterOf(e) == time.Minute }},
		{"outside the window", 400, graphErr(10, 2018278), "", func(e error) bool {
			return channels.IsPermanent(e) && strings.Contains(e.Error(), "WINDOW_CLOSED")
		}},
		{"re-engagement", 400, graphErr(131047, 0), "", func(e error) bool { return strings.Contains(e.Error(), "WINDOW_CLOSED") }},
		{"unavailable person", 400, graphErr(551, 1545041), "", func(e error) bool { return channels.IsPermanent(e) && !channels.IsCredentials(e) }},
		{"server error", 500, `oops`, "", func(e error) bool { return !channels.IsPermanent(e) && channels.RetryAfterOf(e) == 0 }},
		{"unknown error", 400, graphErr(2, 0), "", func(e error) bool { return !channels.IsPermanent(e) }},
		{"WhatsApp spam rate limit", 400, graphErr(131048, 0), "", func(e error) bool { return channels.RetryAfterOf(e) == time.Minute }},
		{"WhatsApp something went wrong", 500, graphErr(131000, 0), "", func(e error) bool { return !channels.IsPermanent(e) }},
		{"WhatsApp service unavailable", 400, graphErr(131016, 0), "", func(e error) bool { return !channels.IsPermanent(e) }},
		{"WhatsApp undeliverable", 400, graphErr(131026, 0), "", func(e error) bool {
			return channels.IsPermanent(e) && !channels.IsCredentials(e) && !strings.Contains(e.Error(), "WINDOW_CLOSED")
		}},
	} {
		status, answer, retryAfter = c.status, c.body, c.after
		if err := call(); err == nil || !c.check(err) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	srv.Close()
	if err := call(); channels.IsPermanent(err) || err == nil || strings.Contains(err.Error(), "EAAtoken") {
		t.Errorf("unreachable: %v, want transient without the token", err)
	}
}

// TestMessagingDelivery: a batch of two entries with five items: two
// messages (one with a picture), an echo, a delivery and a read report,
// a postback; plus an item for another Page.
func TestMessagingDelivery(t *testing.T) {
	body := []byte(`{"object":"page","entry":[
	 {"id":"PAGE","time":1700000000000,"messaging":[
	  {"sender":{"id":"PSID1"},"recipient":{"id":"PAGE"},"timestamp":1700000000001,"message":{"mid":"m1","text":"hello"}},
	  {"sender":{"id":"PAGE"},"recipient":{"id":"PSID1"},"timestamp":1700000000002,"message":{"mid":"m-echo","text":"our reply","is_echo":true}},
	  {"sender":{"id":"PSID1"},"recipient":{"id":"PAGE"},"timestamp":1700000000003,"delivery":{"mids":["out-1"],"watermark":1700000000003}}]},
	 {"id":"PAGE","time":1700000000100,"messaging":[
	  {"sender":{"id":"PSID2"},"recipient":{"id":"PAGE"},"timestamp":1700000000101,"message":{"mid":"m2","attachments":[{"type":"image","payload":{"url":"https://cdn.example/p.jpg"}}]}},
	  {"sender":{"id":"PSID1"},"recipient":{"id":"PAGE"},"timestamp":1700000000102,"read":{"watermark":1700000000050}},
	  {"sender":{"id":"PSID2"},"recipient":{"id":"PAGE"},"timestamp":1700000000103,"postback":{"title":"Talk to us","payload":"CONTACT"}}]},
	 {"id":"OTHER","time":1,"messaging":[{"sender":{"id":"X"},"recipient":{"id":"OTHER"},"timestamp":1,"message":{"mid":"mx","text":"not ours"}}]}]}`)
	env, err := meta.ParseEnvelope(body, "page")
	if err != nil {
		t.Fatal(err)
	}
	d := meta.MessagingDelivery(env, "PAGE")
	if len(d.Messages) != 2 || d.Messages[0].ProviderMessageID != "m1" || d.Messages[0].Sender.ExternalID != "PSID1" ||
		d.Messages[1].Attachments[0].URL != "https://cdn.example/p.jpg" {
		t.Fatalf("messages %+v", d.Messages)
	}
	if len(d.Receipts) != 2 || d.Receipts[0].ProviderMessageID != "out-1" || d.Receipts[0].Status != channels.StatusDelivered ||
		d.Receipts[1].Recipient != "PSID1" || d.Receipts[1].Status != channels.StatusRead || !d.Receipts[1].Watermark.Equal(time.UnixMilli(1700000000050)) {
		t.Fatalf("receipts %+v", d.Receipts)
	}
	if len(d.Events) != 1 || d.Events[0].Kind != channels.EventMenuClick || d.Events[0].Detail != "CONTACT" || d.Events[0].ProviderEventID == "" {
		t.Fatalf("events %+v", d.Events)
	}
	if _, err := meta.ParseEnvelope(body, "instagram"); err == nil {
		t.Fatal("a page notification parsed as an instagram one")
	}
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`{"object":"page","entry":[{"id":"P","messaging":[{"sender":{"id":"S"},"message":{"mid":"m","text":"hi","reply_to":{"story":{"url":"u","id":"1"}}}}]}]}`))
	f.Add([]byte(`{"object":"instagram","entry":[{"id":"P","messaging":[{"sender":{"id":"S"},"read":{"watermark":5}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, object := range []string{"page", "instagram"} {
			env, err := meta.ParseEnvelope(body, object)
			if err != nil {
				var ce *channels.Error
				if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest {
					t.Fatalf("error %v is not a 400", err)
				}
				continue
			}
			d := meta.MessagingDelivery(env, "")
			for _, m := range d.Messages {
				if m.ProviderMessageID == "" || m.Sender.ExternalID == "" {
					t.Fatalf("a message without ids: %+v", m)
				}
			}
		}
	})
}

// TestInstagramStories: a reply to a story and a story mention keep the
// story's link (Meta's links expire, so it is in the text too).
func TestInstagramStories(t *testing.T) {
	body := []byte(`{"object":"instagram","entry":[{"id":"IG1","time":1,"messaging":[
	 {"sender":{"id":"IGSID1"},"recipient":{"id":"IG1"},"timestamp":1700000000000,"message":{"mid":"ig.1","text":"so nice!","reply_to":{"story":{"url":"https://lookaside.example/story1","id":"s1"}}}},
	 {"sender":{"id":"IGSID2"},"recipient":{"id":"IG1"},"timestamp":1700000000001,"message":{"mid":"ig.2","attachments":[{"type":"story_mention","payload":{"url":"https://lookaside.example/story2"}}]}}]}]}`)
	env, err := meta.ParseEnvelope(body, "instagram")
	if err != nil {
		t.Fatal(err)
	}
	d := meta.MessagingDelivery(env, "IG1")
	if len(d.Messages) != 2 {
		t.Fatalf("messages %+v", d.Messages)
	}
	reply, mention := d.Messages[0], d.Messages[1]
	if !strings.Contains(reply.Text, "so nice!") || !strings.Contains(reply.Text, "https://lookaside.example/story1") || reply.Metadata["storyReply"] == nil {
		t.Errorf("story reply %+v", reply)
	}
	if !strings.Contains(mention.Text, "Mentioned you in their story: https://lookaside.example/story2") || mention.Metadata["storyMention"] == nil {
		t.Errorf("story mention %+v", mention)
	}
}
