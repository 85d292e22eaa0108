package xdm_test

import (
	"testing"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/xdm"
	"github.com/switchboard/switchboard/channels/xdm/xdmtest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, xdm.New(), xdmtest.New(t))
}
