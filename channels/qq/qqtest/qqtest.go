// Package qqtest is a fake QQ Bot platform: an OpenAPI and token server
// that checks "Authorization: QQBot <token>" and records the replies it
// receives, and a builder of the Ed25519-signed webhook requests QQ posts.
// It implements channelstest.Fake and signs with its own code, so it does
// not trust the adapter's.
package qqtest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// The fake bot's credentials. The secret is shorter than an Ed25519 seed,
// so the key derivation repeats it.
const (
	AppID  = "102005678"
	Secret = "naOC0ocQE3shWLAfffVL"
)

// TokenPath is where the fake hands out access tokens.
const TokenPath = "/app/getAppAccessToken"

// Clock is the conformance config's Now: the time its signatures are made
// for.
var Clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Send is one reply as the fake received it.
type Send struct {
	Path    string
	Group   string // the group's openid for a group reply
	User    string // the user's openid for a C2C reply
	Content string
	MsgType int
	MsgID   string
	MsgSeq  int
	Token   string
}

// Fake is the QQ Bot platform.
type Fake struct {
	srv *httptest.Server

	mu      sync.Mutex
	next    *channelstest.Answer
	sends   []Send
	refused int
	fetches int
	tokens  map[string]bool // valid tokens
	n       int
}

var (
	_ channelstest.Fake           = (*Fake)(nil)
	_ channelstest.Webhook        = (*Fake)(nil)
	_ channelstest.Provider       = (*Fake)(nil)
	_ channelstest.PassiveReplier = (*Fake)(nil)
)

// NewFake starts the fake, closed when t ends.
func NewFake(t channelstest.TB) *Fake {
	f := &Fake{tokens: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's base URL: the OpenAPI's and the token endpoint's host.
func (f *Fake) URL() string { return f.srv.URL }

// Settings are a channel's settings pointing at the fake.
func (f *Fake) Settings() map[string]any {
	return map[string]any{"appID": AppID, "apiBaseURL": f.srv.URL, "tokenURL": f.srv.URL + TokenPath}
}

// Secrets are the channel's secrets.
func (f *Fake) Secrets() map[string]string { return map[string]string{"appSecret": Secret} }

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{
		ChannelID: "ch-qqtest", Key: "key-qqtest", WebhookURL: "https://sb.example.com/webhooks/qq/key-qqtest",
		Settings: f.Settings(), Secrets: f.Secrets(), HTTP: f.srv.Client(),
		Now: func() time.Time { return Clock }, State: &channels.MemoryState{},
	}
}

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return f, "" }

// Receipts implements channelstest.Fake.
func (f *Fake) Receipts() (channelstest.Receipts, string) {
	return nil, "QQ reports no delivery status of a bot's messages to its webhook"
}

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return f, "" }

// Key is the Ed25519 key QQ signs with for a bot secret: the seed is the
// secret repeated to at least 32 bytes, cut to 32.
func Key(secret string) ed25519.PrivateKey {
	seed := []byte(secret)
	for len(seed) < ed25519.SeedSize {
		seed = append(seed, secret...)
	}
	return ed25519.NewKeyFromSeed(seed[:ed25519.SeedSize])
}

// Signature is X-Signature-Ed25519 of body sent at ts (Unix seconds).
func Signature(secret, ts string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(Key(secret), append([]byte(ts), body...)))
}

// Request is a webhook request to url with body, signed with secret at
// time at; an empty secret leaves both signature headers out.
func Request(url string, body []byte, secret string, at time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "QQBot-Callback")
	if secret != "" {
		ts := strconv.FormatInt(at.Unix(), 10)
		r.Header.Set("X-Signature-Timestamp", ts)
		r.Header.Set("X-Signature-Ed25519", Signature(secret, ts, body))
	}
	return r
}

// Event is an op 0 dispatch of type t with event id id and payload d.
func Event(t, id string, d any) []byte {
	b, _ := json.Marshal(map[string]any{"op": 0, "id": id, "t": t, "s": 1, "d": d})
	return b
}

// C2C is a C2C_MESSAGE_CREATE event.
func C2C(msgID, userOpenID, text string, at time.Time) []byte {
	return Event("C2C_MESSAGE_CREATE", "C2C_MESSAGE_CREATE:"+msgID, map[string]any{
		"id": msgID, "content": text, "timestamp": at.Format(time.RFC3339),
		"author": map[string]any{"user_openid": userOpenID, "union_openid": "U" + userOpenID},
	})
}

// GroupAt is a GROUP_AT_MESSAGE_CREATE event: content starts with the
// space QQ leaves where the mention was.
func GroupAt(msgID, groupOpenID, memberOpenID, text string, at time.Time) []byte {
	return Event("GROUP_AT_MESSAGE_CREATE", "GROUP_AT_MESSAGE_CREATE:"+msgID, map[string]any{
		"id": msgID, "content": " " + text, "timestamp": at.Format(time.RFC3339), "group_openid": groupOpenID,
		"author": map[string]any{"member_openid": memberOpenID},
	})
}

// Validation is an op 13 callback validation request body.
func Validation(plainToken, eventTS string) []byte {
	b, _ := json.Marshal(map[string]any{"op": 13, "d": map[string]string{"plain_token": plainToken, "event_ts": eventTS}})
	return b
}

const webhookURL = "https://sb.example.com/webhooks/qq/key-qqtest"

// Inbound implements channelstest.Webhook.
func (f *Fake) Inbound(_ channelstest.TB, m channelstest.Spec) (*http.Request, channelstest.Spec) {
	body := C2C(m.ID, m.Sender, m.Text, Clock.Add(-time.Second))
	return Request(webhookURL, body, Secret, Clock), channelstest.Spec{ID: m.ID, Sender: "user:" + m.Sender, Text: m.Text}
}

// Sign implements channelstest.Webhook.
func (f *Fake) Sign(_ channelstest.TB, body []byte) *http.Request {
	return Request(webhookURL, body, Secret, Clock)
}

// Forge implements channelstest.Webhook.
func (f *Fake) Forge(_ channelstest.TB, m channelstest.Spec) map[string]*http.Request {
	body := C2C(m.ID, m.Sender, m.Text, Clock)
	// The genuine signature headers on an altered body.
	tampered := Request(webhookURL, []byte(strings.Replace(string(body), m.Text, m.Text+"!", 1)), "", Clock)
	tampered.Header = Request(webhookURL, body, Secret, Clock).Header
	ts := strconv.FormatInt(Clock.Unix(), 10)
	with := func(h map[string]string) *http.Request {
		r := Request(webhookURL, body, "", Clock)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	good := Signature(Secret, ts, body)
	flipped := []byte(good)
	flipped[0] ^= 1
	if flipped[0] == good[0] || !strings.ContainsRune("0123456789abcdef", rune(flipped[0])) {
		flipped[0] = '0' + (good[0]-'0'+1)%10
	}
	return map[string]*http.Request{
		"bad signature":         Request(webhookURL, body, "anotherBotSecret1234", Clock),
		"missing signature":     Request(webhookURL, body, "", Clock),
		"stale timestamp":       Request(webhookURL, body, Secret, Clock.Add(-6*time.Minute)),
		"future timestamp":      Request(webhookURL, body, Secret, Clock.Add(6*time.Minute)),
		"tampered body":         tampered,
		"missing timestamp":     with(map[string]string{"X-Signature-Ed25519": good}),
		"signature of the body": with(map[string]string{"X-Signature-Timestamp": ts, "X-Signature-Ed25519": hex.EncodeToString(ed25519.Sign(Key(Secret), body))}),
		"timestamp swapped":     with(map[string]string{"X-Signature-Timestamp": strconv.FormatInt(Clock.Unix()-1, 10), "X-Signature-Ed25519": good}),
		"not hex":               with(map[string]string{"X-Signature-Timestamp": ts, "X-Signature-Ed25519": "zz" + good[2:]}),
		"one bit off":           with(map[string]string{"X-Signature-Timestamp": ts, "X-Signature-Ed25519": string(flipped)}),
		"short signature":       with(map[string]string{"X-Signature-Timestamp": ts, "X-Signature-Ed25519": good[:64]}),
		"unsigned op 13 lookalike": Request(webhookURL, []byte(`{"op":0,"d":{"plain_token":"abc","event_ts":"1"},"t":"C2C_MESSAGE_CREATE"}`),
			"", Clock),
	}
}

// Malformed implements channelstest.Webhook.
func (f *Fake) Malformed() map[string][]byte {
	author := map[string]any{"user_openid": "E4F4AEA33253A2797FB897C50B81D7ED"}
	return map[string][]byte{
		"an array":             []byte(`[]`),
		"null":                 []byte(`null`),
		"a string":             []byte(`"op"`),
		"no op":                []byte(`{"t":"C2C_MESSAGE_CREATE","d":{}}`),
		"op not a number":      []byte(`{"op":"0","t":"C2C_MESSAGE_CREATE","d":{}}`),
		"unknown op":           []byte(`{"op":7,"d":{}}`),
		"no event type":        []byte(`{"op":0,"id":"e1","d":{"id":"m1","content":"hi","author":{"user_openid":"A1"}}}`),
		"d not an object":      Event("C2C_MESSAGE_CREATE", "e1", "hi"),
		"d missing":            []byte(`{"op":0,"id":"e1","t":"C2C_MESSAGE_CREATE"}`),
		"no message id":        Event("C2C_MESSAGE_CREATE", "e1", map[string]any{"content": "hi", "author": author}),
		"message id too long":  Event("C2C_MESSAGE_CREATE", "e1", map[string]any{"id": strings.Repeat("m", 256), "content": "hi", "author": author}),
		"no author":            Event("C2C_MESSAGE_CREATE", "e1", map[string]any{"id": "m1", "content": "hi"}),
		"no user_openid":       Event("C2C_MESSAGE_CREATE", "e1", map[string]any{"id": "m1", "content": "hi", "author": map[string]any{}}),
		"openid with a slash":  Event("C2C_MESSAGE_CREATE", "e1", map[string]any{"id": "m1", "content": "hi", "author": map[string]any{"user_openid": "../x"}}),
		"content not a string": Event("C2C_MESSAGE_CREATE", "e1", map[string]any{"id": "m1", "content": 5, "author": author}),
		"group without group":  Event("GROUP_AT_MESSAGE_CREATE", "e1", map[string]any{"id": "m1", "content": "hi", "author": map[string]any{"member_openid": "M1"}}),
		"group without member": Event("GROUP_AT_MESSAGE_CREATE", "e1", map[string]any{"id": "m1", "content": "hi", "group_openid": "G1", "author": map[string]any{}}),
		"bad attachment size": Event("C2C_MESSAGE_CREATE", "e1", map[string]any{"id": "m1", "content": "hi", "author": author,
			"attachments": []any{map[string]any{"url": "https://x.test/a", "size": "big"}}}),
		"friend without openid": Event("FRIEND_ADD", "e1", map[string]any{"timestamp": 1}),
		"op 13 without token":   []byte(`{"op":13,"d":{"event_ts":"1725442341"}}`),
		"op 13 with a brace":    Validation(`{"op":0}`, "1725442341"),
		"invalid UTF-8":         append([]byte(`{"op":0,"t":"C2C_MESSAGE_CREATE","d":{"id":"m1","content":"`), 0xff, '"', '}', '}'),
	}
}

// Recipient implements channelstest.Provider.
func (f *Fake) Recipient() channels.Sender {
	return channels.Sender{ExternalID: "user:E4F4AEA33253A2797FB897C50B81D7ED"}
}

// ReplyTo implements channelstest.PassiveReplier: QQ bots only reply.
func (f *Fake) ReplyTo() string { return "ROBOT1.0_conformance-msg" }

// Answer implements channelstest.Provider.
func (f *Fake) Answer(a channelstest.Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = &a
}

// Sends implements channelstest.Provider.
func (f *Fake) Sends() []channelstest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]channelstest.Sent, len(f.sends))
	for i, s := range f.sends {
		to := "user:" + s.User
		if s.Group != "" {
			to = "group:" + s.Group
		}
		out[i] = channelstest.Sent{To: to, Text: s.Content, ReplyTo: s.MsgID}
	}
	return out
}

// Replies lists the replies received, as QQ saw them.
func (f *Fake) Replies() []Send {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Send(nil), f.sends...)
}

// Refused implements channelstest.Provider.
func (f *Fake) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// Fetches counts the access tokens handed out.
func (f *Fake) Fetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

// Revoke makes every token handed out so far invalid, as when a token
// expires early or another client's fetch replaced it.
func (f *Fake) Revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]bool{}
}

// Omits implements channelstest.Provider.
func (f *Fake) Omits(field string) string {
	if field == channelstest.FieldThreadKey {
		return "QQ messages carry no thread key: a reply names the message it answers (msg_id)"
	}
	return ""
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodPost && r.URL.Path == TokenPath {
		f.token(w, r)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "QQBot ")
	f.mu.Lock()
	valid := ok && f.tokens[tok]
	if !valid {
		f.refused++
	}
	f.mu.Unlock()
	if !valid {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"token not exist or expire","code":11244}`))
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/users/@me":
		_, _ = w.Write([]byte(`{"id":"1234567890123456789","username":"Acme 客服","avatar":"","share_url":"","welcome_msg":""}`))
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v2/users/") && strings.HasSuffix(r.URL.Path, "/messages"):
		f.reply(w, r, tok, "", strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v2/users/"), "/messages"))
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v2/groups/") && strings.HasSuffix(r.URL.Path, "/messages"):
		f.reply(w, r, tok, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v2/groups/"), "/messages"), "")
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"not found","code":404}`))
	}
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID        string `json:"appId"`
		ClientSecret string `json:"clientSecret"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil || req.AppID != AppID || req.ClientSecret != Secret {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code":100016,"message":"invalid appid or secret"}`))
		return
	}
	f.mu.Lock()
	f.fetches++
	tok := fmt.Sprintf("qqtest-token-%d", f.fetches)
	f.tokens[tok] = true
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]string{"access_token": tok, "expires_in": "7200"})
}

func (f *Fake) reply(w http.ResponseWriter, r *http.Request, tok, group, user string) {
	var req struct {
		Content string `json:"content"`
		MsgType *int   `json:"msg_type"`
		MsgID   string `json:"msg_id"`
		MsgSeq  int    `json:"msg_seq"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil || req.MsgType == nil || req.Content == "" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"invalid request","code":40034001}`))
		return
	}
	f.mu.Lock()
	f.sends = append(f.sends, Send{Path: r.URL.Path, Group: group, User: user, Content: req.Content, MsgType: *req.MsgType,
		MsgID: req.MsgID, MsgSeq: req.MsgSeq, Token: tok})
	a := channelstest.Answer{Outcome: channelstest.OK}
	if f.next != nil {
		a, f.next = *f.next, nil
	}
	f.n++
	n := f.n
	f.mu.Unlock()
	switch a.Outcome {
	case channelstest.Permanent:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"主动消息失败, 无权限","code":40034102}`))
	case channelstest.Transient:
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"internal error","code":500000}`))
	case channelstest.RateLimited:
		w.Header().Set("Retry-After", strconv.Itoa(int(a.RetryAfter.Seconds())))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"请求频率过快","code":22009}`))
	default:
		id := a.ID
		if id == "" {
			id = fmt.Sprintf("ROBOT1.0_qqtest-%d", n)
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "timestamp": Clock.Format(time.RFC3339)})
	}
}
