package model

import (
	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
)

// MessageEvent is one delivery of messageAdded or messageUpdated.
type MessageEvent struct {
	Event   *events.Event
	Message *ent.Message
}

// ConversationEvent is one delivery of conversationChanged or assignedToMe.
type ConversationEvent struct {
	Event        *events.Event
	Type         ConversationEventType
	Conversation *ent.Conversation
}
