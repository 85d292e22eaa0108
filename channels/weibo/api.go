package weibo

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

	"github.com/switchboard/switchboard/channels"
)

// answer is an API answer: its status, headers and up to 64 KiB of body.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call makes one request to a Weibo API. A form body is sent
// application/x-www-form-urlencoded.
func call(ctx context.Context, c *channels.Config, method, u string, form []byte) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = bytes.NewReader(form)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	res, err := client(c).Do(req)
	if err != nil {
		return nil, scrub(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)) // let the connection be reused
	return &answer{status: res.StatusCode, header: res.Header, body: b}, nil
}

// scrub drops the URL from a transport error: it carries the access
// token in its query.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// apiError is Weibo's error answer: {"error", "error_code", "request"}.
type apiError struct {
	Status  int    // HTTP status
	Code    int    `json:"error_code"`
	Message string `json:"error"`
	Request string `json:"request"`
}

func (e *apiError) String() string {
	if e.Code == 0 {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("error %d %s", e.Code, strings.TrimSpace(e.Message))
}

// apiError reads an error answer; nil for a 2xx without error_code.
func (a *answer) apiError() *apiError {
	e := &apiError{Status: a.status}
	var raw struct {
		Code    json.RawMessage `json:"error_code"`
		Message string          `json:"error"`
		Request string          `json:"request"`
	}
	if json.Unmarshal(a.body, &raw) == nil {
		e.Message, e.Request = raw.Message, raw.Request
		// error_code is a number; accept it quoted too.
		code := strings.Trim(string(raw.Code), `"`)
		e.Code, _ = strconv.Atoi(code)
	}
	if len(e.Message) > 200 {
		e.Message = e.Message[:200]
	}
	if a.status/100 == 2 && e.Code == 0 {
		return nil
	}
	return e
}

func (a *answer) decode(v any) error { return json.Unmarshal(a.body, v) }

// Weibo's error codes that say the access token is no good: expired,
// invalid, revoked or refused. The admin must enter a new one.
// Unconfirmed: the list beyond 21327 (expired_token) and 21332
// (invalid_access_token) is taken from Weibo's published error-code table.
var tokenCodes = map[int]bool{
	21301: true, // auth faild
	21314: true, // token used
	21315: true, // token expired
	21316: true, // token revoked
	21317: true, // token rejected
	21319: true, // accessor was revoked
	21327: true, // expired_token
	21332: true, // invalid_access_token
	21501: true, // invalid_access_token (older table)
}

func (e *apiError) tokenRefused() bool {
	return tokenCodes[e.Code] || (e.Code == 0 && e.Status == http.StatusUnauthorized)
}

// Rate limits: 10022 IP, 10023 user, 10024 user for one API.
func (e *apiError) rateLimited() bool {
	return e.Code == 10022 || e.Code == 10023 || e.Code == 10024 || e.Status == http.StatusTooManyRequests
}

// transient: Weibo's own failures (system error, service unavailable,
// remote service error, job expired or too heavy) and 5xx answers.
func (e *apiError) transient() bool {
	switch e.Code {
	case 10001, 10002, 10003, 10009, 10010, 10011, 10012:
		return true
	}
	return e.Status/100 == 5 || e.Status == http.StatusRequestTimeout
}

// flexID is a Weibo id, a JSON number or a string of digits.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if !digits(s, 20) {
		return fmt.Errorf("not a Weibo id: %.40s", string(b))
	}
	*f = flexID(s)
	return nil
}

func errNoSecret(name string) error {
	return fmt.Errorf("the Weibo channel has no %s", name)
}

func verifyError(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}
