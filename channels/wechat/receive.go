package wechat

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// push is a push's XML, plain or decrypted; the outer envelope of an
// encrypted one carries Encrypt.
type push struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   string   `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	MsgID        string   `xml:"MsgId"`
	Content      string   `xml:"Content"`
	MediaID      string   `xml:"MediaId"`
	PicURL       string   `xml:"PicUrl"`
	Format       string   `xml:"Format"`
	Recognition  string   `xml:"Recognition"`
	ThumbMediaID string   `xml:"ThumbMediaId"`
	LocationX    string   `xml:"Location_X"`
	LocationY    string   `xml:"Location_Y"`
	Scale        string   `xml:"Scale"`
	Label        string   `xml:"Label"`
	Title        string   `xml:"Title"`
	Description  string   `xml:"Description"`
	URL          string   `xml:"Url"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
	// Unconfirmed: WeChat documents no unionid in message pushes; some
	// accounts bound to an Open Platform account are reported to get one.
	// Both spellings are read.
	UnionID  string `xml:"UnionId"`
	UnionID2 string `xml:"UnionID"`
	Encrypt  string `xml:"Encrypt"`
}

// parse reads one <xml> document and nothing after it.
func parse(b []byte) (*push, error) {
	var p push
	d := xml.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&p); err != nil {
		return nil, channels.Rejected(400, "malformed XML: %v", err)
	}
	for {
		tok, err := d.Token()
		if err != nil {
			break // io.EOF, or trailing garbage the decoder cannot read
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, channels.Rejected(400, "malformed XML: data after the document")
			}
		case xml.Comment, xml.ProcInst, xml.Directive:
		default:
			return nil, channels.Rejected(400, "malformed XML: data after the document")
		}
	}
	return &p, nil
}

// Receive implements channels.Adapter. The query's signature and
// timestamp are checked first; an encrypted push's msg_signature is
// checked over its Encrypt before it is decrypted.
func (a *Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	q := r.URL.Query()
	if err := checkSignature(c, q); err != nil {
		return nil, err
	}
	encrypted := q.Get("encrypt_type") == "aes"
	m := mode(c)
	switch {
	case m == ModeSafe && !encrypted:
		return nil, channels.Rejected(403, "the channel is in safe mode: plain pushes are refused")
	case m == ModePlain:
		// Unconfirmed: WeChat only adds encrypt_type=aes in compatible
		// and safe mode; a plain channel reads the plain fields.
		encrypted = false
	}
	// Unconfirmed: a compatible-mode push without encrypt_type=aes (not
	// seen in the docs) is read as a plain one, checked by signature.
	outer, err := parse(body)
	if err != nil {
		return nil, err
	}
	p := outer
	if encrypted {
		if p, err = open(c, q, outer); err != nil {
			return nil, err
		}
	} else if outer.MsgType == "" && outer.Encrypt != "" {
		return nil, channels.Rejected(400, "the push is encrypted but the channel is in plain mode: set its encodingMode to match the account's server configuration")
	}
	d, err := deliver(c, p)
	if err != nil {
		return nil, err
	}
	d.Respond = a.responder(c, p, encrypted)
	return d, nil
}

// open checks msg_signature over the Encrypt of an encrypted push and
// decrypts it.
func open(c *channels.Config, q url.Values, outer *push) (*push, error) {
	get := q.Get
	if outer.Encrypt == "" {
		return nil, channels.Rejected(400, "the push has no Encrypt")
	}
	msgSig := get("msg_signature")
	if msgSig == "" || !sameSignature(msgSig, signature(c.Setting("token"), get("timestamp"), get("nonce"), outer.Encrypt)) {
		return nil, channels.Rejected(401, "invalid msg_signature")
	}
	key, err := aesKey(c.Secrets["encodingAESKey"])
	if err != nil {
		return nil, channels.Rejected(401, "the channel has no valid EncodingAESKey for an encrypted push")
	}
	plain, err := decrypt(key, c.Setting("appID"), outer.Encrypt)
	if err != nil {
		return nil, channels.Rejected(403, "the push was not encrypted for this account (wrong EncodingAESKey or AppID)")
	}
	p, err := parse(plain)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// deliver turns a push into messages and events.
func deliver(c *channels.Config, p *push) (*channels.Delivery, error) {
	if p.FromUserName == "" || p.MsgType == "" {
		return nil, channels.Rejected(400, "the push has no FromUserName or MsgType")
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(p.CreateTime), 10, 64)
	if err != nil || sec <= 0 {
		return nil, channels.Rejected(400, "the push has no valid CreateTime")
	}
	at := time.Unix(sec, 0).UTC()
	sender := channels.Sender{ExternalID: p.FromUserName}
	if u := strings.TrimSpace(cmp.Or(p.UnionID, p.UnionID2)); u != "" {
		sender.PlatformID = "wechat:" + u
	}
	if p.MsgType == "event" {
		return event(p, sender, at)
	}
	if p.MsgID == "" {
		return nil, channels.Rejected(400, "the %s message has no MsgId", short(p.MsgType))
	}
	in := channels.Inbound{ProviderMessageID: p.MsgID, Sender: sender, Time: at}
	switch p.MsgType {
	case "text":
		if p.Content == "" {
			return nil, channels.Rejected(400, "the text message has no Content")
		}
		in.Text = p.Content
	case "image", "voice", "video", "shortvideo":
		if p.MediaID == "" {
			return nil, channels.Rejected(400, "the %s message has no MediaId", p.MsgType)
		}
		md := channels.Media{ID: p.MediaID}
		switch p.MsgType {
		case "image":
			md.Name, md.ContentType = "image.jpg", "image/jpeg"
		case "voice":
			f := strings.ToLower(p.Format)
			if f == "" || strings.ContainsAny(f, "/\\. ") || len(f) > 10 {
				f = "amr"
			}
			md.Name, md.ContentType = "voice."+f, "audio/"+f
			if p.Recognition != "" {
				in.Metadata = map[string]any{"recognition": p.Recognition}
			}
		default:
			md.Name, md.ContentType = "video.mp4", "video/mp4"
		}
		in.Media = []channels.Media{md}
	case "location":
		in.Text = strings.TrimSpace(fmt.Sprintf("%s (%s, %s)", p.Label, p.LocationX, p.LocationY))
		in.Metadata = map[string]any{"location": map[string]any{"latitude": p.LocationX, "longitude": p.LocationY,
			"scale": p.Scale, "label": p.Label}}
	case "link":
		in.Text = strings.TrimSpace(strings.Join([]string{p.Title, p.Description, p.URL}, "\n"))
		in.Metadata = map[string]any{"link": map[string]any{"title": p.Title, "description": p.Description, "url": p.URL}}
	default:
		// A kind this adapter does not read (a mini-program card, a new
		// type): acknowledged, so that WeChat does not retry it.
		return &channels.Delivery{}, nil
	}
	return &channels.Delivery{Messages: []channels.Inbound{in}}, nil
}

// event turns an event push into a channel event: subscribe, unsubscribe
// and menu clicks; others (VIEW, SCAN, LOCATION, ...) are acknowledged.
func event(p *push, sender channels.Sender, at time.Time) (*channels.Delivery, error) {
	ev := channels.Event{Sender: sender, Time: at,
		// Events have no id: WeChat's retries repeat FromUserName and
		// CreateTime; the event's name keeps two events of one second apart.
		ProviderEventID: p.FromUserName + ":" + strings.TrimSpace(p.CreateTime) + ":" + p.Event}
	switch p.Event {
	case "subscribe":
		ev.Kind, ev.Detail = channels.EventFollowed, p.EventKey // qrscene_… when followed from a QR code
	case "unsubscribe":
		ev.Kind = channels.EventUnfollowed
	case "CLICK":
		ev.Kind, ev.Detail = channels.EventMenuClick, p.EventKey
	case "":
		return nil, channels.Rejected(400, "the event push has no Event")
	default:
		return &channels.Delivery{}, nil
	}
	return &channels.Delivery{Events: []channels.Event{ev}}, nil
}

func short(s string) string {
	if len(s) > 32 {
		return s[:32]
	}
	return s
}

// responder answers the push: the welcome message as the passive reply
// to a follow, encrypted when the push was, else "success".
func (a *Adapter) responder(c *channels.Config, p *push, encrypted bool) func([]channels.Stored) channels.Response {
	success := channels.Response{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("success")}
	welcome := c.Setting("welcomeMessage")
	if p.MsgType != "event" || p.Event != "subscribe" || welcome == "" {
		return func([]channels.Stored) channels.Response { return success }
	}
	return func([]channels.Stored) channels.Response {
		reply := textReply(p.FromUserName, p.ToUserName, c.Time(), welcome)
		if !encrypted {
			return channels.Response{Status: http.StatusOK, ContentType: "application/xml; charset=utf-8", Body: reply}
		}
		body, err := sealReply(c, reply)
		if err != nil {
			return success // the follow is stored; only the welcome is lost
		}
		return channels.Response{Status: http.StatusOK, ContentType: "application/xml; charset=utf-8", Body: body}
	}
}

// textReply is a passive text reply.
func textReply(to, from string, at time.Time, text string) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName>%s</ToUserName><FromUserName>%s</FromUserName><CreateTime>%d</CreateTime>"+
		"<MsgType><![CDATA[text]]></MsgType><Content>%s</Content></xml>", cdata(to), cdata(from), at.Unix(), cdata(text))
}

// cdata wraps s in CDATA sections, splitting any "]]>" it holds.
func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

// sealReply is the encrypted form of a passive reply.
func sealReply(c *channels.Config, reply []byte) ([]byte, error) {
	key, err := aesKey(c.Secrets["encodingAESKey"])
	if err != nil {
		return nil, err
	}
	enc, err := encrypt(key, c.Setting("appID"), reply)
	if err != nil {
		return nil, err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1e10))
	if err != nil {
		return nil, err
	}
	ts, nonce := strconv.FormatInt(c.Time().Unix(), 10), n.String()
	sig := signature(c.Setting("token"), ts, nonce, enc)
	return fmt.Appendf(nil, "<xml><Encrypt>%s</Encrypt><MsgSignature>%s</MsgSignature><TimeStamp>%s</TimeStamp><Nonce>%s</Nonce></xml>",
		cdata(enc), cdata(sig), ts, cdata(nonce)), nil
}
