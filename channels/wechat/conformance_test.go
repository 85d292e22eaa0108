package wechat_test

import (
	"testing"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/wechat"
	"github.com/switchboard/switchboard/channels/wechat/wechattest"
)

func TestConformance(t *testing.T) {
	for _, mode := range []string{wechat.ModePlain, wechat.ModeCompatible, wechat.ModeSafe} {
		t.Run(mode, func(t *testing.T) {
			channelstest.Run(t, wechat.New(), wechattest.NewFake(t, mode))
		})
	}
}
