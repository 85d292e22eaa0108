package whatsapp_test

import (
	"testing"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/meta/whatsapp"
	"github.com/switchboard/switchboard/channels/meta/whatsapp/watest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, whatsapp.New(), watest.New(t))
}
