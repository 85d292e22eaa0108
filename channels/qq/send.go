package qq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// Provider error codes.
const (
	// codeRateLimited: the bot sends too fast.
	codeRateLimited = 22009
	// codeTokenInvalid: the access token is unknown or expired.
	// Unconfirmed: QQ answers such tokens with HTTP 401; the code is from
	// the documentation's error table.
	codeTokenInvalid = 11244
)

// defaultRetryAfter is the wait after a rate limit that names none.
// Unconfirmed: QQ's 429 answers are not documented to carry Retry-After.
const defaultRetryAfter = 10 * time.Second

// tokenEarly is how long before expiry the token is refreshed. QQ hands
// out the token it already issued until its last 60 seconds (then a new
// one, the old one staying valid 60 s more), so refreshing earlier would
// only fetch the same token again and again. Unconfirmed: public
// documentation, not the spec.
const tokenEarly = 50 * time.Second

// tokens is the channel's shared access token. It is kept per AppID, so
// a channel changed to another bot never uses the old bot's token.
func tokens(c *channels.Config) *channels.TokenSource {
	return &channels.TokenSource{Key: "token:" + c.Setting(SettingAppID), Early: tokenEarly, Fetch: fetchToken}
}

// fetchToken asks QQ for an access token. QQ hands out the same token
// until shortly before it expires (Unconfirmed: it has no way to force a
// new one, so force is not sent).
func fetchToken(ctx context.Context, c *channels.Config, _ bool) (channels.Token, error) {
	body, _ := json.Marshal(map[string]string{"appId": c.Setting(SettingAppID), "clientSecret": c.Secrets[SecretAppSecret]})
	res, err := call(ctx, c, http.MethodPost, tokenURL(c), "", body)
	if err != nil {
		return channels.Token{}, channels.Transient(err, "QQ's token endpoint is unreachable")
	}
	var tok struct {
		AccessToken string   `json:"access_token"`
		ExpiresIn   flexible `json:"expires_in"` // a string in the real API
	}
	if res.status/100 == 2 && json.Unmarshal(res.body, &tok) == nil && tok.AccessToken != "" && tok.ExpiresIn > 0 {
		return channels.Token{Value: tok.AccessToken, Expires: c.Time().Add(time.Duration(tok.ExpiresIn) * time.Second)}, nil
	}
	switch {
	case res.status == http.StatusTooManyRequests:
		return channels.Token{}, channels.RetryLater(res.retryAfter(), "QQ's token endpoint is rate limited")
	case res.status >= 500:
		return channels.Token{}, channels.Transient(nil, "QQ's token endpoint failed: %s", res.describe())
	}
	// QQ answers a wrong AppID or AppSecret with a code and a message,
	// with status 200 or 4xx.
	return channels.Token{}, channels.CredentialsRefused("QQ refused the AppID or AppSecret: %s", res.describe())
}

// Send implements channels.Adapter: a passive reply to the customer's
// message Outbound.ReplyTo names.
func (*Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	if err := configured(c); err != nil {
		return "", channels.Permanent("%s", err.Error())
	}
	path, group, err := target(m.Recipient.ExternalID)
	if err != nil {
		return "", err
	}
	if m.ReplyTo == "" {
		// Unconfirmed: QQ limits active messages (no msg_id) severely and
		// has announced their end; this adapter sends passive replies only.
		return "", channels.Permanent("QQ bots can only reply to a customer's message, and this conversation has none from them")
	}
	if m.Text == "" {
		return "", channels.Permanent("QQ messages need text; this adapter sends no files or templates")
	}
	// A group reply is valid 5 minutes after the member's message. Which
	// message ReplyTo names, and when it came, is not carried; but it came
	// no later than the agent wrote this reply, so a reply written more
	// than 5 minutes ago certainly answers an older message. Otherwise QQ
	// decides (its refusal is permanent).
	if group && !m.CreatedAt.IsZero() && c.Time().Sub(m.CreatedAt) > replyWindowGroup {
		return "", channels.Permanent("QQ accepts replies in a group only within 5 minutes of the member's message, and this reply is older")
	}
	seq, err := msgSeq(ctx, c, m)
	if err != nil {
		return "", channels.Transient(err, "numbering the reply")
	}
	body, _ := json.Marshal(map[string]any{"content": m.Text, "msg_type": 0, "msg_id": m.ReplyTo, "msg_seq": seq})
	ts := tokens(c)
	tok, err := ts.Get(ctx, c)
	if err != nil {
		return "", tokenError(err)
	}
	res, err := call(ctx, c, http.MethodPost, apiBase(c)+path, tok, body)
	if err == nil && res.tokenRefused() {
		// The token expired early or was replaced: fetch another and try
		// once more.
		if err := ts.Invalidate(ctx, c, tok); err != nil {
			return "", channels.Transient(err, "dropping the refused access token")
		}
		if tok, err = ts.Get(ctx, c); err != nil {
			return "", tokenError(err)
		}
		res, err = call(ctx, c, http.MethodPost, apiBase(c)+path, tok, body)
	}
	if err != nil {
		return "", channels.Transient(err, "QQ is unreachable")
	}
	return res.sent()
}

// target is the API path of a recipient's messages and whether it is a
// group.
func target(externalID string) (path string, group bool, err error) {
	if id, ok := strings.CutPrefix(externalID, "user:"); ok && openID.MatchString(id) {
		return "/v2/users/" + url.PathEscape(id) + "/messages", false, nil
	}
	if rest, ok := strings.CutPrefix(externalID, "group:"); ok {
		g, member, ok := strings.Cut(rest, ":")
		if ok && openID.MatchString(g) && openID.MatchString(member) {
			return "/v2/groups/" + url.PathEscape(g) + "/messages", true, nil
		}
	}
	return "", false, channels.Permanent("%q is not a QQ recipient (user:<openid> or group:<group_openid>:<member_openid>)", externalID)
}

func tokenError(err error) error {
	var ce *channels.Error
	if errors.As(err, &ce) {
		return ce
	}
	return channels.Transient(err, "getting an access token")
}

// answer is QQ's answer: its status, headers and up to 64 KiB of body.
type answer struct {
	status int
	header http.Header
	body   []byte
	code   int
	msg    string
}

// call sends one request, with "Authorization: QQBot <token>" when token
// is set.
func call(ctx context.Context, c *channels.Config, method, u, token string, body []byte) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "QQBot "+token)
		// Unconfirmed: the documentation also sends the AppID.
		req.Header.Set("X-Union-Appid", c.Setting(SettingAppID))
	}
	client := c.HTTP
	if client == nil {
		client = defaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	a := &answer{status: res.StatusCode, header: res.Header, body: b}
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil {
		a.code, a.msg = e.Code, e.Message
	}
	return a, nil
}

// tokenRefused: QQ refused the access token.
func (a *answer) tokenRefused() bool {
	return a.status == http.StatusUnauthorized || a.code == codeTokenInvalid
}

// describe is the answer for an admin or an agent: QQ's code and message.
func (a *answer) describe() string {
	msg := a.msg
	if len(msg) > 300 {
		msg = msg[:300]
	}
	switch {
	case a.code != 0 && msg != "":
		return fmt.Sprintf("HTTP %d, code %d: %s", a.status, a.code, msg)
	case msg != "":
		return fmt.Sprintf("HTTP %d: %s", a.status, msg)
	}
	return fmt.Sprintf("HTTP %d", a.status)
}

func (a *answer) retryAfter() time.Duration {
	if s, err := strconv.Atoi(a.header.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return defaultRetryAfter
}

// sent maps a send's answer: the message id, or an error.
func (a *answer) sent() (string, error) {
	var ok struct {
		ID string `json:"id"`
	}
	switch {
	case a.status == http.StatusTooManyRequests || a.code == codeRateLimited:
		return "", channels.RetryLater(a.retryAfter(), "QQ rate limited the bot: %s", a.describe())
	case a.status >= 500:
		return "", channels.Transient(nil, "QQ failed: %s", a.describe())
	case a.tokenRefused():
		return "", channels.Permanent("QQ refused a fresh access token: %s", a.describe())
	case a.status/100 != 2 || a.code != 0:
		return "", channels.Permanent("QQ refused the message: %s", a.describe())
	}
	// Accepted: without an id (unexpected), receipts cannot name it, but
	// sending again would repeat the message.
	_ = json.Unmarshal(a.body, &ok)
	return ok.ID, nil
}
