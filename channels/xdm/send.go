package xdm

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

// defaultRateWait is how long a 429 without x-rate-limit-reset waits.
// Unconfirmed: X always sends the header; its windows are 15 minutes.
const defaultRateWait = time.Minute

// apiError is an X API answer other than 2xx.
type apiError struct {
	Status int
	Detail string
	// Reset is x-rate-limit-reset (unix seconds), when given.
	Reset int64
}

func (e *apiError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("X answered %d", e.Status)
	}
	return fmt.Sprintf("X answered %d: %s", e.Status, e.Detail)
}

// problem is the X API v2's error body: an RFC 7807 problem, or the
// older {"errors": [{"message", "code"}]}.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	} `json:"errors"`
}

// call makes one authenticated X API request (Bearer: the user access
// token) and decodes a 2xx JSON answer into out.
func call(ctx context.Context, c *channels.Config, method, p string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, baseURL(c)+p, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Secrets[SecretAccessToken])
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client(c).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		var pr problem
		if json.Unmarshal(b, &pr) == nil {
			switch {
			case pr.Detail != "":
				e.Detail = pr.Detail
			case len(pr.Errors) > 0:
				e.Detail = pr.Errors[0].Message
			default:
				e.Detail = pr.Title
			}
		}
		if len(e.Detail) > 300 {
			e.Detail = e.Detail[:300]
		}
		e.Reset, _ = strconv.ParseInt(resp.Header.Get("x-rate-limit-reset"), 10, 64)
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("X answered %d with a body that is not JSON: %w", resp.StatusCode, err)
	}
	return nil
}

// Send implements channels.Adapter: POST
// /2/dm_conversations/with/{participant_id}/messages {"text"}; the
// answer's data.dm_event_id is the message's id. A 429 waits until
// x-rate-limit-reset, a 401 means the token was refused (the channel's
// credentials fail), a 403 that the customer cannot be sent a DM (they
// do not accept DMs from the account, or blocked it): permanent.
//
// Unconfirmed: the v2 send's exact answer ({"data": {"dm_conversation_id",
// "dm_event_id"}}, status 201) and its error bodies; attachments (which
// need a media upload first) are not sent.
func (*Adapter) Send(ctx context.Context, c *channels.Config, m *channels.Outbound) (string, error) {
	to := m.Recipient.ExternalID
	if !userID.MatchString(to) {
		return "", channels.Permanent("the customer has no X user id on this channel")
	}
	if strings.TrimSpace(m.Text) == "" {
		return "", channels.Permanent("nothing to send: X direct messages carry text only")
	}
	var ans struct {
		Data struct {
			DMConversationID string `json:"dm_conversation_id"`
			DMEventID        string `json:"dm_event_id"`
		} `json:"data"`
	}
	err := call(ctx, c, http.MethodPost, "/2/dm_conversations/with/"+url.PathEscape(to)+"/messages",
		map[string]string{"text": m.Text}, &ans)
	if err != nil {
		return "", sendError(c, err)
	}
	if ans.Data.DMEventID == "" {
		// Unconfirmed: X always names the event; without it the message
		// still went, under an id of our own.
		return m.DeliveryID, nil
	}
	return ans.Data.DMEventID, nil
}

// sendError maps an X API failure to the outbox's terms.
func sendError(c *channels.Config, err error) error {
	var e *apiError
	if !errors.As(err, &e) {
		return channels.Transient(err, "X could not be reached")
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		wait := defaultRateWait
		if e.Reset > 0 {
			// Whole seconds: wait one more, so the window has reset.
			wait = max(time.Unix(e.Reset, 0).Sub(c.Time())+time.Second, time.Second)
		}
		return channels.RetryLater(wait, "X rate limit: %s", e)
	case e.Status == http.StatusUnauthorized:
		return channels.CredentialsRefused("X refused the access token (expired or revoked): %s", e)
	case e.Status == http.StatusForbidden:
		return channels.Permanent("X does not allow sending this customer a direct message (they do not accept DMs from the account, or the app's access tier does not allow DMs): %s", e)
	case e.Status == http.StatusRequestTimeout || e.Status >= 500:
		return channels.Transient(e, "X failed for now")
	}
	return channels.Permanent("X refused the message: %s", e)
}

// FetchMedia implements channels.MediaFetcher: the media URL is read
// with the access token. The token only goes over https to X's own media
// hosts (ton.twitter.com, *.twimg.com, *.x.com, *.twitter.com) or the
// channel's API host.
//
// Unconfirmed: X documents DM media on ton.twitter.com as needing an
// OAuth 1.0a user-context signature; whether an OAuth 2.0 user token is
// accepted is not confirmed. When it is refused, the fetch fails for good
// and the message keeps the media's link.
func (*Adapter) FetchMedia(ctx context.Context, c *channels.Config, m channels.Media) (io.ReadCloser, string, error) {
	u, err := url.Parse(m.URL)
	if err != nil || u.Scheme != "https" || !mediaHost(c, u.Hostname()) {
		return nil, "", channels.Permanent("the X media link %.80q is not one of X's media hosts", m.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", channels.Permanent("bad media link: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Secrets[SecretAccessToken])
	resp, err := client(c).Do(req)
	if err != nil {
		return nil, "", channels.Transient(err, "X media could not be fetched")
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		e := &apiError{Status: resp.StatusCode}
		if e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500 {
			return nil, "", channels.Transient(e, "X media could not be fetched")
		}
		return nil, "", channels.Permanent("X refused the media: %s", e)
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" || ct == "application/octet-stream" {
		ct = m.ContentType
	}
	return resp.Body, ct, nil
}

func mediaHost(c *channels.Config, host string) bool {
	host = strings.ToLower(host)
	if b, err := url.Parse(baseURL(c)); err == nil && strings.EqualFold(b.Hostname(), host) {
		return true
	}
	if host == "ton.twitter.com" {
		return true
	}
	for _, d := range []string{".twimg.com", ".x.com", ".twitter.com"} {
		if strings.HasSuffix(host, d) {
			return true
		}
	}
	return false
}
