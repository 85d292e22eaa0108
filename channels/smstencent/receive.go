package smstencent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/channels"
)

// TokenParam is the query parameter that carries the callback token.
const TokenParam = "token"

var (
	nationCode = regexp.MustCompile(`^[1-9][0-9]{0,3}$`)
	mobileNum  = regexp.MustCompile(`^[0-9]{4,14}$`)
)

// reply is an inbound SMS (上行短信回调), as the spec writes it.
type reply struct {
	Extend     *string         `json:"extend"`
	Mobile     *string         `json:"mobile"`
	NationCode *string         `json:"nationcode"`
	Sign       *string         `json:"sign"`
	Text       *string         `json:"text"`
	Time       json.RawMessage `json:"time"`
}

// report is one delivery report (短信下发状态回调).
// Unconfirmed (public docs, not the spec): a JSON array of these objects,
// sid being the SerialNo SendSms returned and user_receive_time a
// Beijing-time "2006-01-02 15:04:05".
type report struct {
	UserReceiveTime string `json:"user_receive_time"`
	NationCode      string `json:"nationcode"`
	Mobile          string `json:"mobile"`
	ReportStatus    string `json:"report_status"`
	ErrMsg          string `json:"errmsg"`
	Description     string `json:"description"`
	Sid             string `json:"sid"`
}

// Receive implements channels.Adapter. Tencent signs nothing: the
// callback token in the URL is checked first, in constant time, then the
// body is a reply (an object) or delivery reports (an array).
func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if err := checkToken(c, r); err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		return nil, channels.Rejected(400, "malformed callback: not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, channels.Rejected(400, "malformed callback: empty body")
	}
	switch trimmed[0] {
	case '{':
		return receiveReply(c, body)
	case '[':
		return receiveReports(c, body)
	}
	return nil, channels.Rejected(400, "malformed callback: not a JSON object or array")
}

// checkToken compares the URL's token with the callbackToken secret.
func checkToken(c *channels.Config, r *http.Request) error {
	want := c.Secrets[SecretCallbackToken]
	if want == "" {
		return channels.Rejected(401, "the channel has no callbackToken: set or rotate one and add ?token= to the callback URLs")
	}
	var got string
	if r != nil && r.URL != nil {
		got = r.URL.Query().Get(TokenParam)
	}
	// Hashing first makes the comparison's time independent of lengths.
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	if got == "" || subtle.ConstantTimeCompare(g[:], w[:]) != 1 {
		return channels.Rejected(401, "missing or wrong callback token")
	}
	return nil
}

// decodeStrict decodes one JSON value into v with nothing after it.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}

var errTrailing = jsonError("data after the JSON value")

type jsonError string

func (e jsonError) Error() string { return string(e) }

func receiveReply(c *channels.Config, body []byte) (*channels.Delivery, error) {
	var in reply
	if err := decodeStrict(body, &in); err != nil {
		return nil, channels.Rejected(400, "malformed reply: %v", err)
	}
	switch {
	case in.NationCode == nil || !nationCode.MatchString(*in.NationCode):
		return nil, channels.Rejected(400, "nationcode must be a country calling code")
	case in.Mobile == nil || !mobileNum.MatchString(*in.Mobile):
		return nil, channels.Rejected(400, "mobile must be a phone number's digits")
	case in.Text == nil || *in.Text == "":
		return nil, channels.Rejected(400, "text is required")
	}
	sec, ok := unixTime(in.Time)
	if !ok {
		return nil, channels.Rejected(400, "time must be a unix time in seconds")
	}
	phone := "+" + *in.NationCode + *in.Mobile
	if !e164.MatchString(phone) {
		return nil, channels.Rejected(400, "nationcode and mobile do not make a phone number")
	}
	msg := channels.Inbound{
		ProviderMessageID: ReplyID(phone, sec, *in.Text),
		Sender:            channels.Sender{ExternalID: phone, Phone: phone, Verified: true}, // the carrier vouches
		Text:              *in.Text,
		Time:              time.Unix(sec, 0),
	}
	meta := map[string]any{}
	if in.Sign != nil && *in.Sign != "" {
		meta["sign"] = *in.Sign
	}
	if in.Extend != nil && *in.Extend != "" {
		meta["extend"] = *in.Extend
	}
	if len(meta) > 0 {
		msg.Metadata = meta
	}
	return &channels.Delivery{Messages: []channels.Inbound{msg}, Respond: respond}, nil
}

// ReplyID is a reply's ProviderMessageID: Tencent gives replies no id,
// so a retried callback is recognised by its number, time and text.
func ReplyID(phone string, unix int64, text string) string {
	h := sha256.Sum256([]byte(phone + "\n" + strconv.FormatInt(unix, 10) + "\n" + text))
	return "reply-" + hex.EncodeToString(h[:16])
}

// unixTime reads the reply's time. Unconfirmed: the spec shows a number;
// a string of digits is accepted too.
func unixTime(raw json.RawMessage) (int64, bool) {
	var n json.Number // a number, or a string holding one
	if len(raw) == 0 || json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	sec, err := strconv.ParseInt(n.String(), 10, 64)
	// Between 2001 and 2286: a unix time in seconds, not milliseconds.
	return sec, err == nil && sec >= 1e9 && sec < 1e10
}

func receiveReports(c *channels.Config, body []byte) (*channels.Delivery, error) {
	var in []report
	if err := decodeStrict(body, &in); err != nil {
		return nil, channels.Rejected(400, "malformed status callback: %v", err)
	}
	if len(in) == 0 {
		return nil, channels.Rejected(400, "status callback without reports")
	}
	d := &channels.Delivery{Respond: respond}
	for i, rp := range in {
		rc := channels.Receipt{ProviderMessageID: rp.Sid, Time: c.Time()}
		if t, err := time.ParseInLocation("2006-01-02 15:04:05", rp.UserReceiveTime, beijing); err == nil {
			rc.Time = t
		}
		switch rp.ReportStatus {
		case "SUCCESS":
			rc.Status = channels.StatusDelivered
		case "FAIL":
			rc.Status = channels.StatusFailed
			rc.Reason = strings.TrimSpace(rp.ErrMsg + ": " + rp.Description)
			rc.Reason = strings.TrimSuffix(strings.TrimPrefix(rc.Reason, ": "), ":")
			if rc.Reason == "" {
				rc.Reason = "FAIL"
			}
		default:
			return nil, channels.Rejected(400, "reports[%d].report_status must be SUCCESS or FAIL", i)
		}
		if rp.Sid == "" {
			return nil, channels.Rejected(400, "reports[%d].sid is required", i)
		}
		d.Receipts = append(d.Receipts, rc)
	}
	return d, nil
}

// respond is the answer Tencent expects to both callbacks.
func respond([]channels.Stored) channels.Response {
	return channels.Response{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"result":0,"errmsg":"OK"}`)}
}
