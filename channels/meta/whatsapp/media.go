package whatsapp

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta"
)

var mediaID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// FetchMedia implements channels.MediaFetcher: GET /{v}/{media-id} with
// the token answers {"url", "mime_type"}; that URL is then read with the
// same token. The token only goes to an https URL or to the Graph API's
// own host (Unconfirmed: Meta's download URLs are https on
// lookaside.fbsbx.com today). A media id WhatsApp no longer knows (media are kept 30 days)
// or refuses fails for good; rate limits, the network and 5xx answers
// are retried.
func (*Adapter) FetchMedia(ctx context.Context, c *channels.Config, m channels.Media) (io.ReadCloser, string, error) {
	if !mediaID.MatchString(m.ID) {
		return nil, "", channels.Permanent("the WhatsApp media id %.40q is not one", m.ID)
	}
	g := meta.GraphOf(c)
	var info struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	}
	if err := g.Do(ctx, http.MethodGet, "/"+m.ID, nil, nil, &info); err != nil {
		return nil, "", mediaError(err)
	}
	u, err := url.Parse(info.URL)
	base, _ := url.Parse(g.Base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && (base == nil || u.Scheme != base.Scheme || u.Host != base.Host)) {
		return nil, "", channels.Permanent("the Graph API gave media %s no usable download URL", m.ID)
	}
	body, contentType, err := g.Open(ctx, info.URL)
	if err != nil {
		return nil, "", mediaError(err)
	}
	if info.MimeType != "" {
		contentType = info.MimeType
	}
	return body, contentType, nil
}

// mediaError: what the Graph API refuses for good (an unknown or expired
// media id, a refused token) is permanent, the rest worth retrying, as
// for sends.
func mediaError(err error) error { return meta.SendError(err) }
