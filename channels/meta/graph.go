package meta

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

// maxAnswer bounds how much of a Graph API answer is read.
const maxAnswer = 1 << 20

var defaultClient = &http.Client{Timeout: 20 * time.Second}

// Graph calls the Graph API of one channel.
type Graph struct {
	Base    string // like https://graph.facebook.com, no trailing slash
	Version string // like v21.0
	Token   string
	// TokenInQuery sends the token as access_token in the query (the
	// Messenger Send API's documented form) instead of an Authorization
	// bearer header.
	TokenInQuery bool
	HTTP         *http.Client
}

// GraphOf is the Graph API of channel c, with its access token.
func GraphOf(c *channels.Config) Graph {
	g := Graph{Base: strings.TrimRight(c.Setting(SettingBaseURL), "/"), Version: c.Setting(SettingGraphVersion),
		Token: c.Secrets[SecretAccessToken], HTTP: c.HTTP}
	if g.Base == "" {
		g.Base = DefaultBaseURL
	}
	if g.Version == "" {
		g.Version = DefaultVersion
	}
	if g.HTTP == nil {
		g.HTTP = defaultClient
	}
	return g
}

// APIError is a Graph API error answer:
// {"error":{"message","type","code","error_subcode","fbtrace_id"}}.
type APIError struct {
	HTTPStatus int
	Code       int    `json:"code"`
	Subcode    int    `json:"error_subcode"`
	Type       string `json:"type"`
	Message    string `json:"message"`
	Trace      string `json:"fbtrace_id"`
	// Details is WhatsApp's error_data.details, when given.
	Details string
	// RetryAfter is the answer's Retry-After, when it has one.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("Graph API error %d", e.Code)
	if e.Subcode != 0 {
		s += fmt.Sprintf(" (subcode %d)", e.Subcode)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Details != "" {
		s += " — " + e.Details
	}
	return s
}

// Do calls method path (after the version, like "/me/messages") with
// query and in as its JSON body (nil: none), and decodes the answer into
// out (nil: ignored). A Graph error answer is an *APIError; anything else
// that went wrong (the network, an answer that is not JSON) a plain error.
func (g Graph) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	u := g.Base + "/" + g.Version + path
	if g.TokenInQuery {
		if query == nil {
			query = url.Values{}
		}
		query.Set("access_token", g.Token)
	}
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !g.TokenInQuery {
		req.Header.Set("Authorization", "Bearer "+g.Token)
	}
	res, err := g.HTTP.Do(req)
	if err != nil {
		return redact(err, g.Token)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return answerError(res, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("the Graph API answered %d with something that is not the expected JSON", res.StatusCode)
	}
	return nil
}

// Open GETs an absolute URL the Graph API gave (a media download link)
// with the token as a bearer header, returning the body and its type.
func (g Graph) Open(ctx context.Context, rawURL string) (io.ReadCloser, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+g.Token)
	res, err := g.HTTP.Do(req)
	if err != nil {
		return nil, "", redact(err, g.Token)
	}
	if res.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
		res.Body.Close()
		return nil, "", answerError(res, raw)
	}
	return res.Body, res.Header.Get("Content-Type"), nil
}

// answerError reads a failed answer: the Graph error when it is one.
func answerError(res *http.Response, raw []byte) error {
	var env struct {
		Error *struct {
			APIError
			Data struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"error"`
	}
	e := &APIError{HTTPStatus: res.StatusCode, Message: http.StatusText(res.StatusCode)}
	if json.Unmarshal(raw, &env) == nil && env.Error != nil {
		*e = env.Error.APIError
		e.HTTPStatus = res.StatusCode
		e.Details = env.Error.Data.Details
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

// redact keeps the access token out of an error that names the URL.
func redact(err error, token string) error {
	if token == "" {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), url.QueryEscape(token), "REDACTED"))
}

// rateLimitWait is how long to wait after a rate limit that gave no
// Retry-After: Meta's limits are per hour or per minute windows.
const rateLimitWait = time.Minute

// SendError maps a failed Graph API send to the contract's errors:
//   - 190 (the access token is invalid or expired) refuses the channel's
//     credentials: the message fails and the channel shows FAILED;
//   - 4, 17, 32, 613 (call rate limits), 80006/80007 (Messenger and
//     Instagram rate limits), 130429, 131048 and 131056 (WhatsApp
//     throughput, spam and pair rate limits) are retried after the
//     answer's Retry-After or a minute;
//   - 10/2018278 (Messenger: outside the allowed window), 131047
//     (WhatsApp: re-engagement needed) fail for good naming the window;
//   - 551 (the person is unavailable), 131026 (undeliverable) and other
//     4xx answers fail for good with Meta's message;
//   - 5xx answers, 1 and 2 (unknown error, service unavailable), 131000
//     and 131016 (WhatsApp: something went wrong, service unavailable),
//     and the network are transient.
func SendError(err error) error {
	var e *APIError
	if !errors.As(err, &e) {
		return channels.Transient(err, "the Graph API is unreachable")
	}
	switch {
	case e.Code == 190:
		return channels.CredentialsRefused("Meta refused the access token (%s); paste a new one in the channel's settings", e)
	case e.Code == 4 || e.Code == 17 || e.Code == 32 || e.Code == 613 || e.Code == 80006 || e.Code == 80007 ||
		e.Code == 130429 || e.Code == 131048 || e.Code == 131056 || e.HTTPStatus == http.StatusTooManyRequests:
		wait := e.RetryAfter
		if wait <= 0 {
			wait = rateLimitWait
		}
		return channels.RetryLater(wait, "rate limited by Meta: %s", e)
	case e.Code == 10 && e.Subcode == 2018278, e.Code == 131047:
		return channels.Permanent("WINDOW_CLOSED: the customer's reply window has closed (%s); send an approved template", e)
	case e.HTTPStatus >= 500, e.Code == 1, e.Code == 2, e.Code == 131000, e.Code == 131016:
		return channels.Transient(e, "Meta failed for now")
	}
	return channels.Permanent("%s", e)
}
