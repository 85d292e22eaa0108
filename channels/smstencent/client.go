package smstencent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/channels"
)

const maxAnswer = 1 << 20

// apiError is a request-level error: {"Response":{"Error":{"Code",
// "Message"},"RequestId"}}.
type apiError struct {
	Code, Message, RequestID string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("Tencent Cloud %s: %s (RequestId %s)", e.Code, e.Message, e.RequestID)
}

// explain is the error in words for an admin verifying the channel.
func (e *apiError) explain() string {
	var why string
	switch {
	case e.Code == "AuthFailure.SecretIdNotFound":
		why = "the secretID does not exist or is disabled: copy the SecretId of an enabled API key"
	case e.Code == "AuthFailure.SignatureFailure":
		why = "the secretKey does not match the secretID"
	case e.Code == "AuthFailure.SignatureExpire":
		why = "this server's clock is more than 5 minutes off: fix its time (NTP)"
	case e.Code == "AuthFailure.UnauthorizedOperation" || strings.HasPrefix(e.Code, "UnauthorizedOperation"):
		why = "the API key may not use this SMS application: grant it sms:SendSms and sms:SendStatusStatistics, and check the sdkAppID belongs to the same account"
	case strings.HasPrefix(e.Code, "AuthFailure"):
		why = "Tencent Cloud refused the credentials"
	case strings.Contains(e.Code, "SdkAppId") || strings.Contains(e.Code, "SmsSdkAppId"):
		why = "the sdkAppID is wrong: copy the SdkAppId from the SMS console"
	case strings.HasPrefix(e.Code, "InvalidParameter") && strings.Contains(e.Message, "Region"):
		why = "the region is not one Tencent Cloud SMS serves"
	default:
		why = "Tencent Cloud refused the request"
	}
	return fmt.Sprintf("%s (%s: %s)", why, e.Code, e.Message)
}

// call posts body as action, signed, and decodes the Response object
// into out; a request-level error is an *apiError, a transport error or
// an answer that is not the API's is returned as it is (with the HTTP
// status in httpStatusError).
func call(ctx context.Context, c *channels.Config, action string, body []byte, out any) error {
	base := c.Setting(SettingBaseURL)
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return fmt.Errorf("invalid baseURL %q", base)
	}
	u.Path, u.RawQuery = "/", ""
	region := c.Setting(SettingRegion)
	if region == "" {
		region = DefaultRegion
	}
	ts := c.Time()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", APIVersion)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-TC-Region", region)
	req.Header.Set("Authorization", authorization(c.Secrets[SecretID], c.Secrets[SecretKey], u.Host, ts, body))
	client := c.HTTP
	if client == nil {
		client = defaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return err
	}
	var env struct {
		Response json.RawMessage
	}
	var head struct {
		Error *struct {
			Code, Message string
		}
		RequestID string `json:"RequestId"`
	}
	if json.Unmarshal(raw, &env) != nil || len(env.Response) == 0 || json.Unmarshal(env.Response, &head) != nil {
		return &httpStatusError{status: res.StatusCode, header: res.Header}
	}
	if head.Error != nil {
		return &apiError{Code: head.Error.Code, Message: head.Error.Message, RequestID: head.RequestID}
	}
	if res.StatusCode/100 != 2 {
		return &httpStatusError{status: res.StatusCode, header: res.Header}
	}
	if err := json.Unmarshal(env.Response, out); err != nil {
		return fmt.Errorf("Tencent Cloud answered an unexpected %s response: %w", action, err)
	}
	return nil
}

// httpStatusError is an answer that is not the API's JSON (a gateway's
// error page), or a non-2xx one without an error code.
type httpStatusError struct {
	status int
	header http.Header
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("Tencent Cloud answered HTTP %d without an API response", e.status)
}
