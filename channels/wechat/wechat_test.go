package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/wechat"
	"github.com/switchboard/switchboard/channels/wechat/wechattest"
)

func receive(t *testing.T, a *wechat.Adapter, c *channels.Config, r *http.Request) (*channels.Delivery, error) {
	t.Helper()
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	return a.Receive(context.Background(), c, r, body)
}

func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func TestHandshake(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModeSafe)
	a, c := wechat.New(), f.Config(t)
	resp, ok, err := a.Handshake(context.Background(), c, f.Request("", wechattest.Push{Echostr: "6247239478123"}))
	if err != nil || !ok || string(resp.Body) != "6247239478123" {
		t.Fatalf("genuine handshake = %q, %v, %v", resp.Body, ok, err)
	}
	for name, p := range map[string]wechattest.Push{
		"bad signature":   {Echostr: "1", Token: "otherToken"},
		"no signature":    {Echostr: "1", NoSig: true},
		"stale timestamp": {Echostr: "1", At: wechattest.Clock.Add(-6 * time.Minute)},
	} {
		if _, _, err := a.Handshake(context.Background(), c, f.Request("", p)); status(err) != 401 {
			t.Errorf("%s: %v, want 401", name, err)
		}
	}
	if _, _, err := a.Handshake(context.Background(), c, f.Request("", wechattest.Push{Echostr: "<script>"})); status(err) != 400 {
		t.Errorf("markup echostr: %v, want 400", err)
	}
}

// TestReceiveKinds: each message kind and event, in safe mode.
func TestReceiveKinds(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModeSafe)
	a, c := wechat.New(), f.Config(t)
	at := wechattest.Clock
	from := wechattest.OpenID
	loc := `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[` + from + `]]></FromUserName><CreateTime>1740830400</CreateTime>` +
		`<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>` +
		`<Label><![CDATA[广州市天河区]]></Label><MsgId>1234567890123456</MsgId><UnionId><![CDATA[uUNION42]]></UnionId></xml>`
	link := `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[` + from + `]]></FromUserName><CreateTime>1740830400</CreateTime>` +
		`<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[订单]]></Title><Description><![CDATA[详情]]></Description><Url><![CDATA[https://shop.test/o/1]]></Url><MsgId>77</MsgId></xml>`
	cases := []struct {
		name, xml string
		check     func(d *channels.Delivery) bool
	}{
		{"text", wechattest.TextXML("101", from, "你好 <b>&amp;", at), func(d *channels.Delivery) bool {
			return len(d.Messages) == 1 && d.Messages[0].Text == "你好 <b>&amp;" /* CDATA is literal */ && d.Messages[0].ProviderMessageID == "101" &&
				d.Messages[0].Sender.ExternalID == from && d.Messages[0].Time.Equal(at) && d.Messages[0].Sender.PlatformID == ""
		}},
		{"image", wechattest.MediaXML("image", "102", from, "MEDIA_IMG", at), func(d *channels.Delivery) bool {
			m := d.Messages[0]
			return len(m.Media) == 1 && m.Media[0].ID == "MEDIA_IMG" && m.Media[0].ContentType == "image/jpeg"
		}},
		{"voice", wechattest.MediaXML("voice", "103", from, "MEDIA_VOICE", at), func(d *channels.Delivery) bool {
			return d.Messages[0].Media[0].ID == "MEDIA_VOICE" && d.Messages[0].Media[0].ContentType == "audio/amr"
		}},
		{"video", wechattest.MediaXML("video", "104", from, "MEDIA_VIDEO", at), func(d *channels.Delivery) bool {
			return d.Messages[0].Media[0].ID == "MEDIA_VIDEO" && d.Messages[0].Media[0].ContentType == "video/mp4"
		}},
		{"location with unionid", loc, func(d *channels.Delivery) bool {
			m := d.Messages[0]
			return strings.Contains(m.Text, "广州市天河区") && strings.Contains(m.Text, "23.134521") && m.Sender.PlatformID == "wechat:uUNION42"
		}},
		{"link", link, func(d *channels.Delivery) bool {
			return d.Messages[0].Text == "订单\n详情\nhttps://shop.test/o/1" && d.Messages[0].ProviderMessageID == "77"
		}},
		{"subscribe", wechattest.EventXML(from, "subscribe", "qrscene_42", at), func(d *channels.Delivery) bool {
			return len(d.Messages) == 0 && len(d.Events) == 1 && d.Events[0].Kind == channels.EventFollowed &&
				d.Events[0].Detail == "qrscene_42" && d.Events[0].ProviderEventID != "" && d.Events[0].Sender.ExternalID == from
		}},
		{"unsubscribe", wechattest.EventXML(from, "unsubscribe", "", at), func(d *channels.Delivery) bool {
			return d.Events[0].Kind == channels.EventUnfollowed
		}},
		{"menu click", wechattest.EventXML(from, "CLICK", "MENU_ORDERS", at), func(d *channels.Delivery) bool {
			return d.Events[0].Kind == channels.EventMenuClick && d.Events[0].Detail == "MENU_ORDERS"
		}},
		{"view (acknowledged only)", wechattest.EventXML(from, "VIEW", "https://shop.test", at), func(d *channels.Delivery) bool {
			return len(d.Events) == 0 && len(d.Messages) == 0
		}},
	}
	for _, tc := range cases {
		d, err := receive(t, a, c, f.Request(tc.xml, wechattest.Push{}))
		if err != nil || d == nil || !tc.check(d) {
			t.Errorf("%s: %+v, %v", tc.name, d, err)
			continue
		}
		if r := d.Respond(nil); r.Status != 200 || string(r.Body) != "success" {
			t.Errorf("%s: answered %d %q, want success", tc.name, r.Status, r.Body)
		}
	}
	// Event ids: a retry has the same id; another second, another one.
	id := func(x string) string {
		d, _ := receive(t, a, c, f.Request(x, wechattest.Push{}))
		return d.Events[0].ProviderEventID
	}
	e1 := wechattest.EventXML(from, "subscribe", "", at)
	if id(e1) != id(e1) || id(e1) == id(wechattest.EventXML(from, "subscribe", "", at.Add(time.Second))) {
		t.Error("event ids are not stable per FromUserName and CreateTime")
	}
}

// TestWelcomeReply: a follow is answered with the welcome message as the
// passive reply, encrypted when the push was (opened with the test's own
// implementation).
func TestWelcomeReply(t *testing.T) {
	for _, mode := range []string{wechat.ModePlain, wechat.ModeCompatible, wechat.ModeSafe} {
		f := wechattest.NewFake(t, mode)
		a, c := wechat.New(), f.Config(t)
		c.Settings["welcomeMessage"] = "欢迎关注！]]> <ok>"
		d, err := receive(t, a, c, f.Request(wechattest.EventXML(wechattest.OpenID, "subscribe", "", wechattest.Clock), wechattest.Push{}))
		if err != nil {
			t.Fatal(err)
		}
		body := d.Respond(nil).Body
		inner := body
		if mode != wechat.ModePlain {
			var appID string
			inner, appID, err = wechattest.OpenReply(wechattest.Token, wechattest.AESKey, body)
			if err != nil || appID != wechattest.AppID {
				t.Fatalf("%s: the encrypted reply %s: %v (AppID %q)", mode, body, err, appID)
			}
		}
		var reply struct {
			ToUserName, FromUserName, MsgType, Content string
		}
		if err := xmlUnmarshal(inner, &reply); err != nil || reply.ToUserName != wechattest.OpenID ||
			reply.FromUserName != wechattest.Account || reply.MsgType != "text" || reply.Content != "欢迎关注！]]> <ok>" {
			t.Fatalf("%s: reply %s: %+v %v", mode, inner, reply, err)
		}
		// Other pushes get "success".
		d, _ = receive(t, a, c, f.Request(wechattest.TextXML("9", wechattest.OpenID, "hi", wechattest.Clock), wechattest.Push{}))
		if r := d.Respond(nil); string(r.Body) != "success" {
			t.Fatalf("%s: text answered %q", mode, r.Body)
		}
	}
}

// TestPlainChannelEncryptedPush: a plain channel that gets a safe-mode
// body says what to change.
func TestPlainChannelEncryptedPush(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModeSafe)
	a, c := wechat.New(), f.Config(t)
	c.Settings["encodingMode"] = wechat.ModePlain
	_, err := receive(t, a, c, f.Request(wechattest.TextXML("1", "u", "hi", wechattest.Clock), wechattest.Push{}))
	if status(err) != 400 || !strings.Contains(err.Error(), "encodingMode") {
		t.Fatalf("got %v", err)
	}
}

func TestValidate(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModeSafe)
	a := wechat.New()
	for name, tc := range map[string]struct {
		change func(s map[string]any, x map[string]string)
		field  string
	}{
		"bad appID":          {func(s map[string]any, _ map[string]string) { s["appID"] = "12345" }, "appID"},
		"no token":           {func(s map[string]any, _ map[string]string) { delete(s, "token") }, "token"},
		"bad token":          {func(s map[string]any, _ map[string]string) { s["token"] = "a b" }, "token"},
		"bad mode":           {func(s map[string]any, _ map[string]string) { s["encodingMode"] = "aes" }, "encodingMode"},
		"bad baseURL":        {func(s map[string]any, _ map[string]string) { s["baseURL"] = "ftp://x" }, "baseURL"},
		"short AES key":      {func(_ map[string]any, x map[string]string) { x["encodingAESKey"] = "abc" }, "encodingAESKey"},
		"safe without key":   {func(_ map[string]any, x map[string]string) { delete(x, "encodingAESKey") }, "encodingAESKey"},
		"no appSecret":       {func(_ map[string]any, x map[string]string) { delete(x, "appSecret") }, "appSecret"},
		"number as a string": {func(s map[string]any, _ map[string]string) { s["welcomeMessage"] = 5 }, "welcomeMessage"},
	} {
		s, x := f.Settings(), f.Secrets()
		tc.change(s, x)
		var fe *channels.FieldError
		if err := a.Validate(s, x); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want a FieldError about %s", name, err, tc.field)
		}
	}
	s, x := f.Settings(), f.Secrets()
	s["encodingMode"] = wechat.ModePlain
	delete(x, "encodingAESKey")
	if err := a.Validate(s, x); err != nil {
		t.Errorf("plain without a key: %v", err)
	}
}

func TestVerify(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModeSafe)
	a := wechat.New()
	if err := a.Verify(context.Background(), f.Config(t)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	c := f.Config(t)
	c.Secrets["appSecret"] = "ffffffffffffffffffffffffffffffff"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "AppSecret") {
		t.Errorf("wrong secret: %v", err)
	}
	c = f.Config(t)
	c.Settings["appID"] = "wx0000000000000000"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "AppID") {
		t.Errorf("wrong AppID: %v", err)
	}
	f.RefuseIP(true)
	if err := a.Verify(context.Background(), f.Config(t)); err == nil || !strings.Contains(err.Error(), "IP whitelist") ||
		!strings.Contains(err.Error(), "203.0.113.9") {
		t.Errorf("IP not whitelisted: %v", err)
	}
}

func outbound(text string) *channels.Outbound {
	return &channels.Outbound{DeliveryID: "d-" + text, Recipient: channels.Sender{ExternalID: wechattest.OpenID}, Text: text}
}

// TestTokenExpiredMidSend: WeChat answers 42001: the token is refreshed
// once and the send goes; a second refusal is not retried again.
func TestTokenExpiredMidSend(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModePlain)
	a, c := wechat.New(), f.Config(t)
	ctx := context.Background()
	for i := range 3 {
		if _, err := a.Send(ctx, c, outbound("one")); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if n := f.TokenFetches(); n != 1 {
		t.Fatalf("%d token fetches for three sends, want 1", n)
	}
	f.ExpireToken()
	id, err := a.Send(ctx, c, outbound("two"))
	if err != nil || id != "d-two" {
		t.Fatalf("send after expiry = %q, %v", id, err)
	}
	if n, sent := f.TokenFetches(), f.Accepted(); n != 2 || len(sent) != 4 || sent[3].Text != "two" {
		t.Fatalf("%d fetches, sent %+v", n, sent)
	}
	// The provider refuses even the fresh token: one retry, then a
	// transient error for the outbox.
	f.FailNext(40001, 40001)
	_, err = a.Send(ctx, c, outbound("three"))
	if err == nil || channels.IsPermanent(err) {
		t.Fatalf("twice refused token: %v, want transient", err)
	}
	if n := f.TokenFetches(); n != 3 {
		t.Fatalf("%d fetches, want 3 (one forced refresh)", n)
	}
}

func TestSendErrors(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModePlain)
	a, c := wechat.New(), f.Config(t)
	for _, tc := range []struct {
		code      int
		permanent bool
		after     time.Duration
		reason    string
	}{
		{45015, true, 0, "48 hours"},
		{45047, true, 0, "limit"},
		{45009, false, time.Minute, "rate limit"},
		{40003, true, 0, "openid"},
		{-1, false, 0, "busy"},
		{43004, true, 0, "follows"},
		{99999, true, 0, "99999"},
	} {
		f.FailNext(tc.code)
		_, err := a.Send(context.Background(), c, outbound("x"))
		var ce *channels.Error
		if !errors.As(err, &ce) || ce.Permanent != tc.permanent || channels.RetryAfterOf(err) != tc.after || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("errcode %d: %v (permanent %v, retry after %v)", tc.code, err, channels.IsPermanent(err), channels.RetryAfterOf(err))
		}
	}
	c.Secrets["appSecret"] = "ffffffffffffffffffffffffffffffff"
	c.State = &channels.MemoryState{}
	if _, err := a.Send(context.Background(), c, outbound("x")); !channels.IsPermanent(err) || !strings.Contains(err.Error(), "AppSecret") {
		t.Errorf("wrong AppSecret: %v", err)
	}
}

func image(name string, data []byte) channels.Attachment {
	return channels.Attachment{Name: name, ContentType: "image/png", Size: int64(len(data)),
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

// TestSendImages: text then each image (uploaded first); a retry after a
// failure part-way sends only what is left.
func TestSendImages(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModePlain)
	a, c := wechat.New(), f.Config(t)
	m := outbound("see the pictures")
	m.Attachments = []channels.Attachment{image("a.png", []byte("PNG-A")), image("b.png", []byte("PNG-B"))}
	f.FailNext(0, 0, -1) // the second image fails for now
	if _, err := a.Send(context.Background(), c, m); err == nil || channels.IsPermanent(err) {
		t.Fatalf("first attempt: %v, want transient", err)
	}
	if id, err := a.Send(context.Background(), c, m); err != nil || id != m.DeliveryID {
		t.Fatalf("retry: %q, %v", id, err)
	}
	sent := f.Accepted()
	if len(sent) != 3 || sent[0].Text != "see the pictures" || sent[1].MsgType != "image" || sent[2].MsgType != "image" {
		t.Fatalf("sent %+v, want the text and two images once each", sent)
	}
	for i, want := range []string{"PNG-A", "PNG-B"} {
		up, ok := f.Uploaded(sent[i+1].MediaID)
		if !ok || string(up.Data) != want || up.ContentType != "image/png" {
			t.Errorf("image %d: %+v", i, up)
		}
	}
	pdf := outbound("a file")
	pdf.Attachments = []channels.Attachment{{Name: "a.pdf", ContentType: "application/pdf", Size: 3}}
	if _, err := a.Send(context.Background(), c, pdf); !channels.IsPermanent(err) || len(f.Accepted()) != 3 {
		t.Errorf("a PDF: %v", err)
	}
}

func TestFetchMedia(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModeSafe)
	a, c := wechat.New(), f.Config(t)
	f.AddMedia("IMG1", wechattest.Media{ContentType: "image/jpeg", Data: []byte("JPEG!")})
	f.AddMedia("VID1", wechattest.Media{ContentType: "video/mp4", Data: []byte("MP4!"), Video: true})
	for id, want := range map[string]string{"IMG1": "JPEG!", "VID1": "MP4!"} {
		rc, ct, err := a.FetchMedia(context.Background(), c, channels.Media{ID: id})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != want || ct == "" {
			t.Errorf("%s: %q %q", id, b, ct)
		}
	}
	f.ExpireToken()
	rc, _, err := a.FetchMedia(context.Background(), c, channels.Media{ID: "IMG1"})
	if err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	rc.Close()
	if _, _, err := a.FetchMedia(context.Background(), c, channels.Media{ID: "GONE"}); !channels.IsPermanent(err) {
		t.Errorf("expired media: %v, want permanent", err)
	}
}

// TestErrorsHideToken: a transport failure's error names neither the
// access token nor the AppSecret (send errors are shown to agents).
func TestErrorsHideToken(t *testing.T) {
	f := wechattest.NewFake(t, wechat.ModePlain)
	a, c := wechat.New(), f.Config(t)
	if _, err := a.Send(context.Background(), c, outbound("x")); err != nil {
		t.Fatal(err)
	}
	c.HTTP = &http.Client{Transport: failing{}}
	_, err := a.Send(context.Background(), c, outbound("y"))
	if err == nil || channels.IsPermanent(err) || strings.Contains(err.Error(), "fake-token") || strings.Contains(err.Error(), "access_token") {
		t.Fatalf("transport failure: %v", err)
	}
	c.State = &channels.MemoryState{}
	_, err = a.Send(context.Background(), c, outbound("z"))
	if err == nil || strings.Contains(err.Error(), wechattest.AppSecret) {
		t.Fatalf("token fetch failure: %v", err)
	}
}

type failing struct{}

func (failing) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}
