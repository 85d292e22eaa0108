package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// APIError is the Bot API's refusal: {"ok":false,"error_code":..,
// "description":..,"parameters":{"retry_after":..}}.
type APIError struct {
	Method      string
	Code        int
	Description string
	RetryAfter  time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
}

// answer is every Bot API answer.
type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// maxAnswer is the most of an answer read.
const maxAnswer = 1 << 20

func httpClient(c *channels.Config) *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// methodURL is {base}/bot<token>/<method>.
func methodURL(c *channels.Config, method string) string {
	return baseURL(c) + "/bot" + c.Secrets[SecretBotToken] + "/" + method
}

// call posts req as JSON to a Bot API method and decodes its result into
// out (when not nil).
func call(ctx context.Context, c *channels.Config, method string, req any, out any) error {
	var body io.Reader
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("telegram %s: %w", method, err)
		}
		body = bytes.NewReader(b)
	}
	verb := http.MethodPost
	if req == nil {
		verb = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, verb, methodURL(c, method), body)
	if err != nil {
		return fmt.Errorf("telegram %s: the Bot API base URL is not usable", method)
	}
	if req != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return do(c, method, r, out)
}

// callMultipart posts a multipart/form-data request: fields, and one file
// read from open under the field name file.
func callMultipart(ctx context.Context, c *channels.Config, method string, fields map[string]string,
	file string, a channels.Attachment, out any) error {
	rc, err := a.Open(ctx)
	if err != nil {
		return fmt.Errorf("telegram %s: reading the attachment: %w", method, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	name := a.Name
	if name == "" {
		name = "file"
	}
	part, err := w.CreateFormFile(file, name)
	if err == nil {
		_, err = io.Copy(part, rc)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return fmt.Errorf("telegram %s: reading the attachment: %w", method, err)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, methodURL(c, method), &buf)
	if err != nil {
		return fmt.Errorf("telegram %s: the Bot API base URL is not usable", method)
	}
	r.Header.Set("Content-Type", w.FormDataContentType())
	return do(c, method, r, out)
}

// do sends r and reads the answer. Errors never carry the URL, which
// holds the bot token.
func do(c *channels.Config, method string, r *http.Request, out any) error {
	res, err := httpClient(c).Do(r)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("telegram %s: reading the answer: %w", method, err)
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		if res.StatusCode/100 != 2 {
			return &APIError{Method: method, Code: res.StatusCode, Description: http.StatusText(res.StatusCode)}
		}
		return fmt.Errorf("telegram %s: the answer is not JSON", method)
	}
	if !a.OK {
		e := &APIError{Method: method, Code: a.ErrorCode, Description: a.Description}
		if e.Code == 0 {
			e.Code = res.StatusCode
		}
		if a.Parameters != nil && a.Parameters.RetryAfter > 0 {
			e.RetryAfter = time.Duration(a.Parameters.RetryAfter) * time.Second
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(a.Result, out); err != nil {
		return fmt.Errorf("telegram %s: unexpected result: %w", method, err)
	}
	return nil
}

// sendError maps a Bot API failure to the contract: 429 waits retry_after,
// 401 (and 404, Unconfirmed: the answer to a malformed token) refuses the
// credentials,
// 403 (the user blocked the bot, or deleted their account) and other 4xx
// are permanent, the rest (5xx, the network) worth retrying.
func sendError(err error) error {
	var e *APIError
	if !errors.As(err, &e) {
		return channels.Transient(err, "the Bot API could not be reached")
	}
	switch {
	case e.Code == http.StatusTooManyRequests:
		d := e.RetryAfter
		if d <= 0 {
			d = time.Second // Unconfirmed: a 429 always carries retry_after
		}
		return channels.RetryLater(d, "Telegram asks to wait %v: %s", d, e.Description)
	case e.Code == http.StatusUnauthorized || e.Code == http.StatusNotFound:
		return channels.CredentialsRefused("Telegram refused the bot token (%d %s)", e.Code, e.Description)
	case e.Code == http.StatusForbidden:
		return channels.Permanent("the user blocked the bot or cannot be written to (403 %s)", e.Description)
	case e.Code >= 400 && e.Code < 500 && e.Code != http.StatusRequestTimeout:
		return channels.Permanent("Telegram refused the message (%d %s)", e.Code, e.Description)
	}
	return channels.Transient(e, "Telegram failed for now")
}
