// Package events is Switchboard's event log and its fan-out. Every change a
// client can see appends an event in the transaction of the change; the
// event's cursor position is taken from a per-workspace counter row locked
// by that transaction, so positions are handed out in commit order and a
// reader that resumes "after N" can never miss an event that commits later
// with a smaller position. After commit, the events go to this instance's
// broker, which fans them out to subscriptions without ever blocking.
package events

import (
	"time"

	"github.com/switchboard/switchboard/internal/gid"
)

// Type names an event. All event names are listed here.
type Type string

// The events.
const (
	MessageCreated       Type = "message.created"
	MessageUpdated       Type = "message.updated"
	ConversationCreated  Type = "conversation.created"
	ConversationUpdated  Type = "conversation.updated"
	ConversationAssigned Type = "conversation.assigned"
	CustomerUpdated      Type = "customer.updated"
)

// Types lists every event type.
var Types = []Type{MessageCreated, MessageUpdated, ConversationCreated, ConversationUpdated, ConversationAssigned, CustomerUpdated}

// Change details a conversation.updated event.
type Change string

// Changes of a conversation.
const (
	ChangeStatus   Change = "status"
	ChangePriority Change = "priority"
	ChangeTags     Change = "tags"
	ChangeOther    Change = "other"
)

// Event is one entry of the log.
type Event struct {
	Seq         int64 // position in the workspace's log; the cursor
	WorkspaceID gid.ID
	Type        Type
	Change      Change
	// The objects the event is about; empty when not applicable.
	ConversationID  gid.ID
	MessageID       gid.ID
	CustomerID      gid.ID
	AgentID         gid.ID // conversation.assigned: the new assignee ("" when unassigned)
	PreviousAgentID gid.ID // conversation.assigned: the previous assignee
	CreatedAt       time.Time
}
