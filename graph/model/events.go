package model

import (
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/viewer"
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

// VisitorMessageEvent is a new message of a visitor's conversation.
type VisitorMessageEvent struct {
	Event   *events.Event
	Message *ent.Message
}

// VisitorSession is a visitor's credential, and the visitor it is for.
type VisitorSession struct {
	Token     string
	ExpiresAt time.Time
	Verified  bool
	Actor     *viewer.Actor
}
