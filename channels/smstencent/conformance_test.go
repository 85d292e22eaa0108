package smstencent_test

import (
	"testing"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/smstencent"
	"github.com/switchboard/switchboard/channels/smstencent/smstencenttest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, smstencent.New(), smstencenttest.New(t))
}
