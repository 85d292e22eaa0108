package weibo_test

import (
	"testing"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/weibo"
	"github.com/switchboard/switchboard/channels/weibo/weibotest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, weibo.New(), weibotest.NewFake(t))
}
