package web_test

import (
	"net/http"
	"testing"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/web"
)

// visitors is the web channel's "provider": the visitor API, inside
// Switchboard. There is no webhook and no provider to send to, so the
// suite checks what applies: garbage posted to its webhook URL is refused,
// and a reply is delivered (by being stored) with its id.
type visitors struct{}

func (visitors) Features() channelstest.Features { return channelstest.Features{} }

func (visitors) Config() *channels.Config {
	return &channels.Config{ChannelID: "chn_web", Key: "key",
		Settings: map[string]any{"allowedOrigins": []any{"https://shop.example"}},
		Secrets:  map[string]string{web.IdentitySecret: "0123456789abcdef0123"}, State: &channels.MemoryState{}}
}

func (visitors) Inbound(channelstest.Message) *http.Request            { return nil }
func (visitors) Forged(channelstest.Message) []channelstest.Case       { return nil }
func (visitors) Malformed() []channelstest.Case                        { return nil }
func (visitors) Receipt(string, channels.DeliveryStatus) *http.Request { return nil }
func (visitors) Answer(channelstest.Answer)                            {}
func (visitors) Sent() []channelstest.Sent                             { return nil }
func (visitors) Unauthenticated() int                                  { return 0 }

// TestConformance: the web channel passes the parts of the suite it has.
func TestConformance(t *testing.T) {
	channelstest.Run(t, web.New(), visitors{})
}
