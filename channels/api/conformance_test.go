package api

import (
	"testing"

	"github.com/switchboard/switchboard/channels/api/apitest"
	"github.com/switchboard/switchboard/channels/channelstest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, New(), apitest.NewFake(t))
}
