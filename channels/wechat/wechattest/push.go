package wechattest

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels/channelstest"
)

// CData wraps s as WeChat does.
func CData(s string) string { return "<![CDATA[" + s + "]]>" }

// TextXML is a text message push's XML.
func TextXML(msgID, from, text string, at time.Time) string {
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType><Content>%s</Content><MsgId>%s</MsgId></xml>",
		CData(Account), CData(from), at.Unix(), CData("text"), CData(text), msgID)
}

// MediaXML is an image, voice or video push's XML.
func MediaXML(msgType, msgID, from, mediaID string, at time.Time) string {
	extra := ""
	switch msgType {
	case "image":
		extra = "<PicUrl>" + CData("http://mmbiz.qpic.cn/fake/"+mediaID) + "</PicUrl>"
	case "voice":
		extra = "<Format>" + CData("amr") + "</Format>"
	case "video":
		extra = "<ThumbMediaId>" + CData("thumb-"+mediaID) + "</ThumbMediaId>"
	}
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType>%s<MediaId>%s</MediaId><MsgId>%s</MsgId></xml>",
		CData(Account), CData(from), at.Unix(), CData(msgType), extra, CData(mediaID), msgID)
}

// EventXML is an event push's XML; key is EventKey ("" for none).
func EventXML(from, event, key string, at time.Time) string {
	k := ""
	if key != "" {
		k = "<EventKey>" + CData(key) + "</EventKey>"
	}
	return fmt.Sprintf("<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType>%s</MsgType><Event>%s</Event>%s</xml>", CData(Account), CData(from), at.Unix(), CData("event"), CData(event), k)
}

// Push is how a push is signed and wrapped; the zero value is genuine.
type Push struct {
	At       time.Time // timestamp (the fake's Now when zero)
	Token    string    // signs with this Token instead
	AESKey   string    // encrypts with this key instead
	AppID    string    // encrypts for this AppID instead
	Nonce    string
	Mode     string // overrides the fake's Mode
	NoSig    bool   // leaves signature out
	NoMsgSig bool   // leaves msg_signature out
	NoTime   bool   // leaves timestamp out
	// Tamper changes the Encrypt after it was signed.
	Tamper bool
	// Echostr makes a GET handshake.
	Echostr string
}

// Request is WeChat posting body (a push's plain XML) to the fake's
// Target, signed and wrapped as p says.
func (f *Fake) Request(body string, p Push) *http.Request {
	at := p.At
	if at.IsZero() {
		at = f.now()
	}
	token := cmpOr(p.Token, Token)
	mode := cmpOr(p.Mode, f.Mode)
	nonce := cmpOr(p.Nonce, "1320562132")
	ts := strconv.FormatInt(at.Unix(), 10)
	q := url.Values{}
	if !p.NoTime {
		q.Set("timestamp", ts)
	}
	q.Set("nonce", nonce)
	if !p.NoSig {
		q.Set("signature", Sign(token, ts, nonce))
	}
	if p.Echostr != "" {
		q.Set("echostr", p.Echostr)
		r, _ := http.NewRequest(http.MethodGet, f.Target+"?"+q.Encode(), nil)
		return r
	}
	q.Set("openid", OpenID)
	out := body
	if mode == "compatible" || mode == "safe" {
		var random [16]byte
		copy(random[:], "0123456789abcdef")
		enc := Seal(cmpOr(p.AESKey, AESKey), cmpOr(p.AppID, AppID), random, []byte(body))
		q.Set("encrypt_type", "aes")
		if !p.NoMsgSig {
			q.Set("msg_signature", Sign(token, ts, nonce, enc))
		}
		if p.Tamper {
			enc = tamper(enc)
		}
		inner := ""
		if mode == "compatible" {
			// The plain fields too, inside the same <xml>.
			inner = strings.TrimSuffix(strings.TrimPrefix(body, "<xml>"), "</xml>")
		}
		out = "<xml><ToUserName>" + CData(Account) + "</ToUserName>" + "<Encrypt>" + CData(enc) + "</Encrypt>" + stripTo(inner) + "</xml>"
	}
	r, _ := http.NewRequest(http.MethodPost, f.Target+"?"+q.Encode(), bytes.NewReader([]byte(out)))
	r.Header.Set("Content-Type", "text/xml")
	return r
}

// stripTo drops the plain ToUserName (already in the envelope).
func stripTo(inner string) string {
	if i := strings.Index(inner, "</ToUserName>"); strings.HasPrefix(inner, "<ToUserName>") && i >= 0 {
		return inner[i+len("</ToUserName>"):]
	}
	return inner
}

// tamper flips one base64 character of an Encrypt value.
func tamper(enc string) string {
	b := []byte(enc)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// MsgID is a WeChat MsgId (a 64-bit integer) for a conformance id.
func MsgID(id string) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	return strconv.FormatUint(h.Sum64()>>1, 10)
}

// Inbound implements channelstest.Webhook.
func (f *Fake) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	m.ID = MsgID(m.ID)
	return f.Request(TextXML(m.ID, m.Sender, m.Text, f.now()), Push{}), m
}

// Sign implements channelstest.Webhook: in compatible and safe mode the
// body is what gets encrypted.
func (f *Fake) Sign(_ channelstest.TB, body []byte) *http.Request {
	return f.Request(string(body), Push{})
}

// Forge implements channelstest.Webhook.
func (f *Fake) Forge(_ channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	body := TextXML(MsgID(m.ID), m.Sender, m.Text, f.now())
	out := map[string]*http.Request{
		"bad signature":     f.Request(body, Push{Token: "anotherToken"}),
		"missing signature": f.Request(body, Push{NoSig: true}),
		"missing timestamp": f.Request(body, Push{NoTime: true}),
		"stale timestamp":   f.Request(body, Push{At: f.now().Add(-6 * time.Minute)}),
		"future timestamp":  f.Request(body, Push{At: f.now().Add(6 * time.Minute)}),
	}
	if f.Mode == "safe" || f.Mode == "compatible" {
		out["tampered Encrypt"] = f.Request(body, Push{Tamper: true})
		out["missing msg_signature"] = f.Request(body, Push{NoMsgSig: true})
		out["another key"] = f.Request(body, Push{AESKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"})
		out["another AppID"] = f.Request(body, Push{AppID: "wxfedcba0987654321"})
	}
	if f.Mode == "safe" {
		out["plain push to a safe channel"] = f.Request(body, Push{Mode: "plain"})
	}
	return out
}

// Malformed implements channelstest.Webhook.
func (f *Fake) Malformed() map[string][]byte {
	at := f.now().Unix()
	return map[string][]byte{
		"not XML":          []byte("hello"),
		"no FromUserName":  fmt.Appendf(nil, "<xml><CreateTime>%d</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>", at),
		"no MsgType":       fmt.Appendf(nil, "<xml><FromUserName>u</FromUserName><CreateTime>%d</CreateTime><Content>hi</Content><MsgId>1</MsgId></xml>", at),
		"no MsgId":         fmt.Appendf(nil, "<xml><FromUserName>u</FromUserName><CreateTime>%d</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>", at),
		"bad CreateTime":   []byte("<xml><FromUserName>u</FromUserName><CreateTime>noon</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>"),
		"text no Content":  fmt.Appendf(nil, "<xml><FromUserName>u</FromUserName><CreateTime>%d</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>", at),
		"image no MediaId": fmt.Appendf(nil, "<xml><FromUserName>u</FromUserName><CreateTime>%d</CreateTime><MsgType>image</MsgType><MsgId>1</MsgId></xml>", at),
		"event no Event":   fmt.Appendf(nil, "<xml><FromUserName>u</FromUserName><CreateTime>%d</CreateTime><MsgType>event</MsgType></xml>", at),
		"two documents":    fmt.Appendf(nil, "<xml><FromUserName>u</FromUserName><CreateTime>%d</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml><xml></xml>", at),
		"wrong root":       fmt.Appendf(nil, "<msg><FromUserName>u</FromUserName><CreateTime>%d</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></msg>", at),
		"unclosed":         []byte("<xml><FromUserName>u</FromUserName>"),
	}
}
