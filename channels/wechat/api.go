package wechat

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

// apiError is WeChat's {"errcode": N, "errmsg": "..."} answer.
type apiError struct {
	Code int
	Msg  string
}

func (e *apiError) Error() string { return fmt.Sprintf("WeChat error %d: %s", e.Code, e.Msg) }

// statusError is an HTTP answer other than 200.
type statusError struct {
	Status     int
	RetryAfter time.Duration
}

func (e *statusError) Error() string { return fmt.Sprintf("WeChat answered HTTP %d", e.Status) }

// tokenRefused reports whether WeChat refused the access token: invalid
// (40001), illegal (40014), expired (42001) or missing (41001).
func tokenRefused(err error) bool {
	var ae *apiError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case 40001, 40014, 42001, 41001:
		return true
	}
	return false
}

// endpoint is base + path with the query q and, when set, access_token.
func endpoint(c *channels.Config, path string, q url.Values, token string) string {
	if q == nil {
		q = url.Values{}
	}
	if token != "" {
		q.Set("access_token", token)
	}
	u := strings.TrimRight(baseURL(c), "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// call makes one API request and decodes its JSON answer into out; a
// non-zero errcode is an *apiError.
func call(ctx context.Context, c *channels.Config, method, path, token string, body []byte, contentType string, out any, query ...string) error {
	q := url.Values{}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint(c, path, q, token), rd)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := client(c).Do(req)
	if err != nil {
		return redact(err, path)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return httpError(res)
	}
	return decodeAnswer(b, out)
}

// redact drops the request URL from a transport error: its query holds
// the access token (or, for /cgi-bin/token, the AppSecret), and send
// errors are shown to agents and logged.
func redact(err error, path string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, path, ue.Err)
	}
	return err
}

func httpError(res *http.Response) error {
	e := &statusError{Status: res.StatusCode}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

func decodeAnswer(b []byte, out any) error {
	var head struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("WeChat's answer is not JSON: %w", err)
	}
	if head.ErrCode != 0 {
		return &apiError{Code: head.ErrCode, Msg: head.ErrMsg}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("WeChat's answer is not what was expected: %w", err)
		}
	}
	return nil
}

// marshal encodes v as JSON without escaping <, > and &.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n")
}

// fetchToken asks WeChat for an access token: channels.TokenSource's
// Fetch. It uses the stable_token endpoint (public docs; the spec names
// GET /cgi-bin/token): its token stays the same while valid, so a fetch
// does not invalidate the token other instances hold, and force_refresh
// replaces a token WeChat refused. A host without it (HTTP 404) is asked
// through /cgi-bin/token.
func (*Adapter) fetchToken(ctx context.Context, c *channels.Config, force bool) (channels.Token, error) {
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	body := marshal(map[string]any{"grant_type": "client_credential", "appid": c.Setting("appID"),
		"secret": c.Secrets["appSecret"], "force_refresh": force})
	err := call(ctx, c, http.MethodPost, "/cgi-bin/stable_token", "", body, "application/json", &out)
	var se *statusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		err = call(ctx, c, http.MethodGet, "/cgi-bin/token", "", nil, "", &out,
			"grant_type", "client_credential", "appid", c.Setting("appID"), "secret", c.Secrets["appSecret"])
	}
	if err != nil {
		return channels.Token{}, err
	}
	if out.AccessToken == "" {
		return channels.Token{}, errors.New("WeChat returned no access_token")
	}
	if out.ExpiresIn <= 0 {
		out.ExpiresIn = 7200
	}
	return channels.Token{Value: out.AccessToken, Expires: c.Time().Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}

// session makes the API calls of one Send or FetchMedia with the
// channel's shared token, refreshing it once when WeChat refuses it.
type session struct {
	a         *Adapter
	c         *channels.Config
	refreshed bool
}

func (s *session) do(ctx context.Context, f func(token string) error) error {
	tok, err := s.a.tokens.Get(ctx, s.c)
	if err != nil {
		return &fetchError{err}
	}
	err = f(tok)
	if !tokenRefused(err) || s.refreshed {
		return err
	}
	s.refreshed = true
	if err := s.a.tokens.Invalidate(ctx, s.c, tok); err != nil {
		return err
	}
	if tok, err = s.a.tokens.Get(ctx, s.c); err != nil {
		return &fetchError{err}
	}
	return f(tok)
}

// fetchError is a failure to get an access token.
type fetchError struct{ err error }

func (e *fetchError) Error() string { return "fetching an access token: " + e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// classify maps an API failure to a send error.
func classify(err error) error {
	var ce *channels.Error
	if errors.As(err, &ce) {
		return ce
	}
	var fe *fetchError
	var ae *apiError
	if errors.As(err, &fe) && errors.As(err, &ae) && ae.Code != -1 {
		// WeChat refused the AppID or AppSecret: retrying cannot help.
		return channels.Permanent("%v", explain(err))
	}
	if errors.As(err, &ae) {
		switch ae.Code {
		case -1:
			return channels.Transient(err, "WeChat is busy (-1)")
		case 45015:
			return channels.Permanent("WeChat refused: the customer last wrote more than 48 hours ago, and customer-service messages are allowed only within 48 hours (45015)")
		case 45047:
			return channels.Permanent("WeChat refused: the limit of customer-service messages since the customer's last message is reached (45047); the customer must write again")
		case 45009:
			// Unconfirmed: 45009 is the daily API quota; a minute's wait
			// is what the brief asks, the outbox keeps backing off.
			return channels.RetryLater(time.Minute, "WeChat's API rate limit is reached (45009)")
		case 40003:
			return channels.Permanent("WeChat refused: the recipient's openid is not valid for this account (40003)")
		case 43004:
			return channels.Permanent("WeChat refused: the customer no longer follows the account (43004)")
		case 40125, 40013, 40164, 61004, 89503:
			// The AppID, AppSecret or IP whitelist: the channel shows
			// FAILED until an admin fixes them.
			return channels.CredentialsRefused("%v", explain(err))
		case 48001:
			return channels.Permanent("WeChat refused: the account has no permission for customer-service messages (48001)")
		case 40007:
			return channels.Permanent("WeChat no longer keeps this media (40007): media ids expire after 3 days")
		}
		if tokenRefused(err) {
			return channels.Transient(err, "WeChat refused a fresh access token")
		}
		return channels.Permanent("WeChat refused the message (%d: %s)", ae.Code, ae.Msg)
	}
	var se *statusError
	if errors.As(err, &se) {
		switch {
		case se.Status == http.StatusTooManyRequests:
			return channels.RetryLater(max(se.RetryAfter, time.Minute), "WeChat answered HTTP 429")
		case se.Status >= 500 || se.Status == http.StatusRequestTimeout:
			return channels.Transient(err, "WeChat failed")
		}
		return channels.Permanent("WeChat refused the request (HTTP %d)", se.Status)
	}
	return channels.Transient(err, "WeChat's API cannot be reached")
}
