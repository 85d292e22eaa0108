package telegram_test

import (
	"testing"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/telegram"
	"github.com/switchboard/switchboard/channels/telegram/tgtest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, telegram.New(), tgtest.New(t))
}
