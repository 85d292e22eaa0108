package smstwilio_test

import (
	"testing"

	"github.com/switchboard/switchboard/channels/channelstest"
	"github.com/switchboard/switchboard/channels/smstwilio"
	"github.com/switchboard/switchboard/channels/smstwilio/twiliotest"
)

func TestConformance(t *testing.T) {
	channelstest.Run(t, smstwilio.New(), twiliotest.New(t))
}
