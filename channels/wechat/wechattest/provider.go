// Package wechattest is a fake WeChat: the API (stable_token and token,
// custom/send, media/upload, media/get, getcallbackip) on an httptest
// server that checks the access token on every call and counts token
// fetches, and the pushes WeChat posts to an account's server URL in
// plain, compatible or safe mode. It implements channelstest.Fake with
// its own signing and encryption, so it does not trust the adapter's.
package wechattest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
)

// The fake account.
const (
	AppID     = "wx1234567890abcdef"
	AppSecret = "0123456789abcdef0123456789abcdef"
	Token     = "switchboardToken42"
	AESKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	Account   = "gh_0123456789ab"
	OpenID    = "oABCD1234567890abcdefghijkl"
)

// Clock is the conformance config's Now.
var Clock = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Sent is one customer-service message the fake accepted.
type Sent struct {
	To, MsgType, Text, MediaID string
}

// Media is a file the fake keeps for media/get or got through
// media/upload.
type Media struct {
	ContentType string
	Data        []byte
	Video       bool // media/get answers {"video_url"}
}

// Fake is a WeChat account's API and pushes.
type Fake struct {
	srv *httptest.Server
	// Mode is the encoding mode of the pushes and the config.
	Mode string
	// Now is the time pushes are signed at (Clock when nil).
	Now func() time.Time
	// Target is the webhook URL pushes go to.
	Target string

	mu        sync.Mutex
	valid     map[string]bool // issued tokens still valid
	expired   map[string]bool
	current   string
	issued    int
	fetches   int
	answers   []int // errcodes for the next sends; 0 = OK
	sends     []Sent
	all       []Sent // every authenticated send, whatever its answer
	refused   int
	media     map[string]Media
	uploads   map[string]Media
	ipRefused bool
}

var (
	_ channelstest.Fake     = (*Fake)(nil)
	_ channelstest.Webhook  = (*Fake)(nil)
	_ channelstest.Provider = (*Fake)(nil)
)

// NewFake starts a fake WeChat in mode, closed when t ends.
func NewFake(t channelstest.TB, mode string) *Fake {
	f := &Fake{Mode: mode, Target: "https://sb.example.com/webhooks/wechat/key-wechat",
		valid: map[string]bool{}, expired: map[string]bool{}, media: map[string]Media{}, uploads: map[string]Media{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", f.stableToken)
	mux.HandleFunc("GET /cgi-bin/token", f.token)
	mux.HandleFunc("POST /cgi-bin/message/custom/send", f.customSend)
	mux.HandleFunc("POST /cgi-bin/media/upload", f.upload)
	mux.HandleFunc("GET /cgi-bin/media/get", f.mediaGet)
	mux.HandleFunc("GET /cgi-bin/getcallbackip", f.callbackIP)
	mux.HandleFunc("GET /video/{id}", f.video)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the API base URL.
func (f *Fake) URL() string { return f.srv.URL }

// Client is an HTTP client for the fake.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// Settings are the channel settings of the fake account.
func (f *Fake) Settings() map[string]any {
	return map[string]any{"appID": AppID, "token": Token, "encodingMode": f.Mode, "baseURL": f.URL()}
}

// Secrets are the channel secrets of the fake account.
func (f *Fake) Secrets() map[string]string {
	return map[string]string{"appSecret": AppSecret, "encodingAESKey": AESKey}
}

// Config implements channelstest.Fake.
func (f *Fake) Config(channelstest.TB) *channels.Config {
	return &channels.Config{ChannelID: "ch-wechat", Key: "key-wechat", WebhookURL: f.Target,
		Settings: f.Settings(), Secrets: f.Secrets(), HTTP: f.srv.Client(), Now: f.now, State: &channels.MemoryState{}}
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return Clock
}

// Webhook implements channelstest.Fake.
func (f *Fake) Webhook() (channelstest.Webhook, string) { return f, "" }

// Receipts implements channelstest.Fake.
func (f *Fake) Receipts() (channelstest.Receipts, string) {
	return nil, "WeChat reports nothing about customer-service messages after accepting them"
}

// Provider implements channelstest.Fake.
func (f *Fake) Provider() (channelstest.Provider, string) { return f, "" }

// TokenFetches counts the access tokens asked for (both endpoints).
func (f *Fake) TokenFetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

// ExpireToken makes the current access token expired: its next use is
// answered 42001.
func (f *Fake) ExpireToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.valid, f.current)
	f.expired[f.current] = true
}

// FailNext answers the next sends with these errcodes, in order.
func (f *Fake) FailNext(codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, codes...)
}

// RefuseIP makes getcallbackip answer 40164 (IP not whitelisted).
func (f *Fake) RefuseIP(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ipRefused = refuse
}

// AddMedia keeps a file for media/get.
func (f *Fake) AddMedia(id string, m Media) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media[id] = m
}

// Uploaded returns a file uploaded through media/upload.
func (f *Fake) Uploaded(mediaID string) (Media, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.uploads[mediaID]
	return m, ok
}

// Accepted lists the customer-service messages accepted, oldest first.
func (f *Fake) Accepted() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sends...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func errcode(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
}

// issue answers a token request; force replaces a valid token.
func (f *Fake) issue(w http.ResponseWriter, appid, secret string, force bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case appid != AppID:
		f.refused++
		errcode(w, 40013, "invalid appid")
		return
	case secret != AppSecret:
		f.refused++
		errcode(w, 40125, "invalid appsecret")
		return
	}
	f.fetches++
	if f.current == "" || !f.valid[f.current] || force {
		delete(f.valid, f.current)
		f.issued++
		f.current = fmt.Sprintf("fake-token-%d", f.issued)
		f.valid[f.current] = true
	}
	writeJSON(w, map[string]any{"access_token": f.current, "expires_in": 7200})
}

func (f *Fake) stableToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.GrantType != "client_credential" {
		errcode(w, 40002, "invalid grant_type")
		return
	}
	f.issue(w, in.AppID, in.Secret, in.ForceRefresh)
}

func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		errcode(w, 40002, "invalid grant_type")
		return
	}
	f.issue(w, q.Get("appid"), q.Get("secret"), true) // /cgi-bin/token always issues a new one
}

// authorized checks the access_token of an API call, answering and
// counting refusals.
func (f *Fake) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("access_token")
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case tok == "":
		f.refused++
		errcode(w, 41001, "access_token missing")
	case f.expired[tok]:
		f.refused++
		errcode(w, 42001, "access_token expired")
	case !f.valid[tok]:
		f.refused++
		errcode(w, 40001, "invalid credential, access_token is invalid or not latest")
	default:
		return true
	}
	return false
}

func (f *Fake) customSend(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	var in struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
		Image *struct {
			MediaID string `json:"media_id"`
		} `json:"image"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		errcode(w, 47001, "data format error")
		return
	}
	s := Sent{To: in.ToUser, MsgType: in.MsgType}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case in.ToUser == "":
		errcode(w, 40003, "invalid openid")
		return
	case in.MsgType == "text" && in.Text != nil && in.Text.Content != "":
		s.Text = in.Text.Content
	case in.MsgType == "image" && in.Image != nil:
		if _, ok := f.uploads[in.Image.MediaID]; !ok {
			errcode(w, 40007, "invalid media_id")
			return
		}
		s.MediaID = in.Image.MediaID
	default:
		errcode(w, 40008, "invalid message type")
		return
	}
	f.all = append(f.all, s)
	code := 0
	if len(f.answers) > 0 {
		code, f.answers = f.answers[0], f.answers[1:]
	}
	if code != 0 {
		errcode(w, code, fmt.Sprintf("fake error %d", code))
		return
	}
	f.sends = append(f.sends, s)
	errcode(w, 0, "ok")
}

func (f *Fake) upload(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	if r.URL.Query().Get("type") != "image" {
		errcode(w, 40004, "invalid media type")
		return
	}
	file, hdr, err := r.FormFile("media")
	if err != nil {
		errcode(w, 41005, "media data missing")
		return
	}
	data, _ := io.ReadAll(file)
	f.mu.Lock()
	id := fmt.Sprintf("uploaded-%d", len(f.uploads)+1)
	f.uploads[id] = Media{ContentType: hdr.Header.Get("Content-Type"), Data: data}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"type": "image", "media_id": id, "created_at": f.now().Unix()})
}

func (f *Fake) mediaGet(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	id := r.URL.Query().Get("media_id")
	f.mu.Lock()
	m, ok := f.media[id]
	f.mu.Unlock()
	switch {
	case !ok:
		errcode(w, 40007, "invalid media_id")
	case m.Video:
		writeJSON(w, map[string]string{"video_url": f.srv.URL + "/video/" + id})
	default:
		w.Header().Set("Content-Type", m.ContentType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+id+`"`)
		_, _ = w.Write(m.Data)
	}
}

func (f *Fake) video(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	m, ok := f.media[r.PathValue("id")]
	f.mu.Unlock()
	if !ok || !m.Video {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.ContentType)
	_, _ = w.Write(m.Data)
}

func (f *Fake) callbackIP(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	refuse := f.ipRefused
	f.mu.Unlock()
	if refuse {
		errcode(w, 40164, "invalid ip 203.0.113.9 ipv6 ::ffff:203.0.113.9, not in whitelist")
		return
	}
	writeJSON(w, map[string]any{"ip_list": []string{"101.226.103.0/25", "101.226.233.128/25"}})
}

// Recipient implements channelstest.Provider.
func (f *Fake) Recipient() channels.Sender { return channels.Sender{ExternalID: OpenID} }

// Answer implements channelstest.Provider.
func (f *Fake) Answer(a channelstest.Answer) {
	code := 0
	switch a.Outcome {
	case channelstest.Permanent:
		code = 40003 // invalid openid
	case channelstest.Transient:
		code = -1 // system busy
	case channelstest.RateLimited:
		code = 45009
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = []int{code}
}

// Sends implements channelstest.Provider: every authenticated send,
// whatever it was answered.
func (f *Fake) Sends() []channelstest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]channelstest.Sent, len(f.all))
	for i, s := range f.all {
		out[i] = channelstest.Sent{To: s.To, Text: s.Text}
	}
	return out
}

// Refused implements channelstest.Provider.
func (f *Fake) Refused() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refused
}

// Omits implements channelstest.Provider.
func (f *Fake) Omits(field string) string {
	return "WeChat's customer-service message has no " + strings.ToLower(field) + " field"
}

// Unnumbered implements channelstest.Unnumbered: custom/send answers
// {"errcode":0,"errmsg":"ok"} and names no message.
func (f *Fake) Unnumbered() string {
	return "WeChat's custom/send answer names no message: Send returns the DeliveryID"
}
