package inbox

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/channelcfg"
	"github.com/switchboard/switchboard/internal/files"
)

// MediaSource opens the files inbound messages carry (see attachInbound)
// from where they are: through the channel's adapter when it fetches
// its provider's media itself (channels.MediaFetcher: a media-id API, a
// URL that needs the provider's credentials), else by their URL with
// client, under o's limits (https to public addresses only, unless
// private fetches are allowed). It is the files worker's Source.
func (s *Service) MediaSource(chans *channelcfg.Service, client *http.Client, o files.FetchOptions, maxBytes int64) files.Source {
	return func(ctx context.Context, f *ent.File) (io.ReadCloser, string, error) {
		src := f.Source
		if f.ChannelID != nil {
			ch, err := s.db(ctx).Channel.Get(ctx, *f.ChannelID)
			if ent.IsNotFound(err) {
				return nil, "", files.Permanent(fmt.Errorf("its channel was deleted"))
			}
			if err != nil {
				return nil, "", err
			}
			a, err := chans.Adapter(ch)
			if err != nil {
				return nil, "", files.Permanent(err)
			}
			if mf, ok := a.(channels.MediaFetcher); ok {
				cfg, err := chans.Config(ch)
				if err != nil {
					return nil, "", err
				}
				body, contentType, err := mf.FetchMedia(ctx, cfg, channels.Media{
					ID: src["mediaID"], URL: src["url"], ContentType: src["contentType"], Name: src["name"], Size: f.Size,
				})
				if channels.IsPermanent(err) {
					err = files.Permanent(err)
				}
				return body, contentType, err
			}
		}
		if src["url"] == "" {
			return nil, "", files.Permanent(fmt.Errorf("the provider gave no way to fetch it"))
		}
		return files.Get(ctx, client, src["url"], o, maxBytes)
	}
}
