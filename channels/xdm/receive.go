package xdm

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// activity is an Account Activity API event body. Only the parts the
// channel uses are decoded; other event kinds (tweet_create_events,
// follow_events, ...) are acknowledged and ignored.
type activity struct {
	ForUserID           *string             `json:"for_user_id"`
	DirectMessageEvents []dmEvent           `json:"direct_message_events"`
	MarkReadEvents      []markReadEvent     `json:"direct_message_mark_read_events"`
	Users               map[string]userInfo `json:"users"`
}

type dmEvent struct {
	Type             string `json:"type"`
	ID               string `json:"id"`
	CreatedTimestamp string `json:"created_timestamp"`
	MessageCreate    *struct {
		Target struct {
			RecipientID string `json:"recipient_id"`
		} `json:"target"`
		SenderID    string `json:"sender_id"`
		MessageData struct {
			Text     string `json:"text"`
			Entities struct {
				URLs []urlEntity `json:"urls"`
			} `json:"entities"`
			Attachment *struct {
				Type  string `json:"type"`
				Media *media `json:"media"`
			} `json:"attachment"`
		} `json:"message_data"`
	} `json:"message_create"`
}

type urlEntity struct {
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
}

type media struct {
	IDStr         string `json:"id_str"`
	MediaURLHTTPS string `json:"media_url_https"`
	URL           string `json:"url"` // the t.co link the text carries
	Type          string `json:"type"`
	VideoInfo     *struct {
		Variants []struct {
			Bitrate     int    `json:"bitrate"`
			ContentType string `json:"content_type"`
			URL         string `json:"url"`
		} `json:"variants"`
	} `json:"video_info"`
}

// markReadEvent: the customer read the conversation up to an event.
// Unconfirmed: the shape follows X's Account Activity documentation
// (created_timestamp, sender_id = the reader, target.recipient_id,
// last_read_event_id).
type markReadEvent struct {
	CreatedTimestamp string `json:"created_timestamp"`
	SenderID         string `json:"sender_id"`
	Target           struct {
		RecipientID string `json:"recipient_id"`
	} `json:"target"`
	LastReadEventID string `json:"last_read_event_id"`
}

type userInfo struct {
	Name       string `json:"name"`
	ScreenName string `json:"screen_name"`
}

// Receive implements channels.Adapter. The signature is checked on the
// raw body before anything is parsed. X's signature covers no timestamp,
// so a replayed POST cannot be told from X's own retry: both are
// deduplicated by the event id. Messages the account itself sent
// (sender_id = for_user_id: replies sent through Switchboard or from X's
// apps) are skipped, as are bodies for another account of the app.
func (*Adapter) Receive(_ context.Context, c *channels.Config, r *http.Request, body []byte) (*channels.Delivery, error) {
	if err := authentic(c, r, body); err != nil {
		return nil, err
	}
	var in activity
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		return nil, channels.Rejected(http.StatusBadRequest, "the body is not an Account Activity event: %v", err)
	}
	if dec.More() {
		return nil, channels.Rejected(http.StatusBadRequest, "trailing data after the event")
	}
	if in.ForUserID == nil || !userID.MatchString(*in.ForUserID) {
		return nil, channels.Rejected(http.StatusBadRequest, "the event has no for_user_id")
	}
	d := &channels.Delivery{}
	account := c.Setting(SettingAccountID)
	if *in.ForUserID != account {
		// Unconfirmed: one app's webhook receives the events of every
		// account subscribed to it; those of other accounts are not this
		// channel's, and refusing them would make X retry.
		return d, nil
	}
	now := c.Time()
	for i, e := range in.DirectMessageEvents {
		if e.Type != "message_create" {
			continue
		}
		mc := e.MessageCreate
		if mc == nil || !userID.MatchString(e.ID) || !userID.MatchString(mc.SenderID) {
			return nil, channels.Rejected(http.StatusBadRequest, "direct_message_events[%d] has no id, message_create or sender_id", i)
		}
		if mc.SenderID == account {
			continue // our own send
		}
		if rid := mc.Target.RecipientID; rid != "" && rid != account {
			continue // not to this account
		}
		m := channels.Inbound{
			ProviderMessageID: e.ID,
			Sender:            channels.Sender{ExternalID: mc.SenderID},
			Time:              millis(e.CreatedTimestamp, now),
		}
		if u, ok := in.Users[mc.SenderID]; ok {
			m.Sender.Name = u.Name
			if u.ScreenName != "" {
				if m.Sender.Name == "" {
					m.Sender.Name = "@" + u.ScreenName
				}
				m.Metadata = map[string]any{"screenName": u.ScreenName}
			}
		}
		text := mc.MessageData.Text
		if at := mc.MessageData.Attachment; at != nil && at.Media != nil {
			if md, ok := mediaOf(at.Media); ok {
				m.Media = append(m.Media, md)
				if at.Media.URL != "" {
					// The text ends with the attachment's t.co link.
					text = strings.ReplaceAll(text, at.Media.URL, "")
				}
			}
		}
		for _, u := range mc.MessageData.Entities.URLs {
			if strings.HasPrefix(u.URL, "https://t.co/") && channels.IsHTTPURL(u.ExpandedURL) {
				text = strings.ReplaceAll(text, u.URL, u.ExpandedURL)
			}
		}
		m.Text = strings.TrimSpace(text)
		if m.Text == "" && len(m.Media) == 0 {
			continue // nothing a person can read (Unconfirmed: quick-reply metadata only)
		}
		d.Messages = append(d.Messages, m)
	}
	for _, e := range in.MarkReadEvents {
		if !userID.MatchString(e.SenderID) || e.SenderID == account {
			continue
		}
		t := millis(e.CreatedTimestamp, time.Time{})
		if t.IsZero() {
			continue
		}
		d.Receipts = append(d.Receipts, channels.Receipt{Status: channels.StatusRead, Recipient: e.SenderID, Watermark: t, Time: t})
	}
	return d, nil
}

// millis parses a timestamp in milliseconds since the epoch as a string;
// def when it is not one.
func millis(s string, def time.Time) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 || ms > 1<<50 {
		return def
	}
	return time.UnixMilli(ms).UTC()
}

// mediaOf is an attachment as Media: a photo by its media_url_https, a
// video or GIF by its best MP4 variant. Only https URLs are kept (the
// access token is sent to them).
func mediaOf(m *media) (channels.Media, bool) {
	out := channels.Media{ID: m.IDStr, URL: m.MediaURLHTTPS}
	switch m.Type {
	case "video", "animated_gif":
		best := -1
		if m.VideoInfo != nil {
			for _, v := range m.VideoInfo.Variants {
				if v.ContentType == "video/mp4" && v.Bitrate > best && strings.HasPrefix(v.URL, "https://") {
					best, out.URL, out.ContentType = v.Bitrate, v.URL, v.ContentType
				}
			}
		}
	default:
		switch strings.ToLower(path.Ext(strings.SplitN(out.URL, "?", 2)[0])) {
		case ".jpg", ".jpeg":
			out.ContentType = "image/jpeg"
		case ".png":
			out.ContentType = "image/png"
		case ".gif":
			out.ContentType = "image/gif"
		case ".webp":
			out.ContentType = "image/webp"
		}
	}
	if !strings.HasPrefix(out.URL, "https://") || !channels.IsHTTPURL(out.URL) {
		return channels.Media{}, false
	}
	out.Name = path.Base(strings.SplitN(out.URL, "?", 2)[0])
	return out, true
}
