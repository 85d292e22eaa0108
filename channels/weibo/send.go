package weibo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// defaultRateWait is how long to wait after a rate-limit answer that does
// not say how long. Weibo's limits count requests per hour.
// Unconfirmed: Weibo sends no Retry-After; 10 minutes spreads the outbox's
// retries over more than an hour.
const defaultRateWait = 10 * time.Minute

// maxRateWait bounds a Retry-After.
const maxRateWait = 2 * time.Hour

// Send implements channels.Adapter: one POST to reply.json, never
// retried here (the outbox retries).
func (*Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	token := c.Secrets["accessToken"]
	if token == "" {
		return "", channels.Permanent("the Weibo channel has no access token: enter the fan-service access token in the channel's secrets")
	}
	if !digits(m.Recipient.ExternalID, 20) {
		return "", channels.Permanent("the recipient %q is not a Weibo uid", m.Recipient.ExternalID)
	}
	if m.Template != nil {
		return "", channels.Permanent("Weibo has no message templates")
	}
	if len(m.Attachments) > 0 {
		return "", channels.Permanent("the Weibo channel sends text only")
	}
	if strings.TrimSpace(m.Text) == "" {
		return "", channels.Permanent("an empty reply cannot be sent on Weibo")
	}
	data, err := json.Marshal(map[string]string{"text": m.Text})
	if err != nil {
		return "", channels.Permanent("encoding the reply: %v", err)
	}
	// Unconfirmed: data travels form-encoded once (the form's own
	// URL-encoding is the "url-encoded JSON" of the documentation).
	form := url.Values{"access_token": {token}, "type": {"text"}, "data": {string(data)}, "receiver_id": {m.Recipient.ExternalID}}
	res, err := call(ctx, c, http.MethodPost, base(c, "baseURL", DefaultBaseURL)+"/2/messages/reply.json", []byte(form.Encode()))
	if err != nil {
		return "", channels.Transient(err, "Weibo is unreachable")
	}
	if apiErr := res.apiError(); apiErr != nil {
		return "", sendError(res, apiErr)
	}
	// Unconfirmed: the answer's id field ("idstr" or "id"); without one,
	// the delivery id names the message.
	var ok struct {
		IDStr string          `json:"idstr"`
		ID    json.RawMessage `json:"id"`
	}
	if res.decode(&ok) == nil {
		if ok.IDStr != "" && len(ok.IDStr) <= 64 {
			return ok.IDStr, nil
		}
		var id flexID
		if len(ok.ID) > 0 && id.UnmarshalJSON(ok.ID) == nil && id != "" {
			return string(id), nil
		}
	}
	return m.DeliveryID, nil
}

// sendError maps Weibo's error answer to a send error: a refused access
// token is permanent and tells the admin to renew it, rate limits wait,
// Weibo's own failures are retried, anything else is permanent.
func sendError(res *answer, e *apiError) error {
	switch {
	case e.tokenRefused():
		return channels.CredentialsRefused("Weibo refused the access token (%s): an admin must renew the fan-service access token and enter it in the channel's secrets", e)
	case e.rateLimited():
		d := defaultRateWait
		if s, err := strconv.Atoi(strings.TrimSpace(res.header.Get("Retry-After"))); err == nil && s > 0 {
			d = min(time.Duration(s)*time.Second, maxRateWait)
		}
		return channels.RetryLater(d, "Weibo's rate limit (%s): retrying in %v", e, d)
	case e.transient():
		return channels.Transient(nil, "Weibo failed for now (%s)", e)
	}
	return channels.Permanent("Weibo refused the reply (%s)", e)
}

// FetchMedia implements channels.MediaFetcher: GET
// {uploadBaseURL}/2/mss/msget?access_token=T&fid=VFID.
// Unconfirmed: the download endpoint and its parameters, taken from
// Weibo's fan-service documentation (消息附件下载).
func (*Adapter) FetchMedia(ctx context.Context, c *channels.Config, m channels.Media) (io.ReadCloser, string, error) {
	token := c.Secrets["accessToken"]
	if token == "" {
		return nil, "", channels.Permanent("the Weibo channel has no access token")
	}
	if !digits(m.ID, 20) {
		return nil, "", channels.Permanent("not a Weibo file id: %q", m.ID)
	}
	q := url.Values{"access_token": {token}, "fid": {m.ID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base(c, "uploadBaseURL", DefaultUploadBaseURL)+"/2/mss/msget?"+q.Encode(), nil)
	if err != nil {
		return nil, "", channels.Permanent("building the download: %v", err)
	}
	res, err := client(c).Do(req)
	if err != nil {
		return nil, "", channels.Transient(scrub(err), "Weibo is unreachable")
	}
	ct := res.Header.Get("Content-Type")
	if res.StatusCode/100 == 2 && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/") {
		return res.Body, ct, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	e := (&answer{status: res.StatusCode, header: res.Header, body: b}).apiError()
	if e == nil {
		e = &apiError{Status: res.StatusCode, Message: "an answer that is not a file"}
	}
	if e.transient() || e.rateLimited() {
		return nil, "", channels.Transient(nil, "Weibo failed to hand over file %s (%s)", m.ID, e)
	}
	return nil, "", channels.Permanent("Weibo refused file %s (%s)", m.ID, e)
}
