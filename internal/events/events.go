// Package events is Switchboard's event log and its fan-out. Every change a
// client can see appends an event in the transaction of the change. Each
// event has a position, and readers only ever see settled positions (see
// positions.go), so a reader that resumes "after N" can never miss an
// event that commits later with a smaller position, and writers never wait
// for each other's commits. After commit, a tail per workspace with
// streams on this instance reads the new events once and every stream of
// the workspace reads them from the tail's ring (see tail.go); durable
// consumers read the log from their checkpoint (see consumer.go).
package events

import (
	"encoding/json"
	"sync"
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
	CustomerMerged       Type = "customer.merged"   // CustomerID: the primary
	CustomerUnmerged     Type = "customer.unmerged" // CustomerID: the restored secondary
	// MessageMentioned: a private note mentions an agent; one per agent,
	// AgentID the mentioned agent (the note also has its message.created).
	MessageMentioned Type = "message.mentioned"
	// ConversationQueued: routing could not assign a conversation that
	// started waiting (nobody free); once per queuing, not per sweep.
	ConversationQueued Type = "conversation.queued"
)

// Types lists every event type.
var Types = []Type{MessageCreated, MessageUpdated, ConversationCreated, ConversationUpdated, ConversationAssigned, CustomerUpdated, CustomerMerged, CustomerUnmerged, MessageMentioned, ConversationQueued}

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
	ID          gid.ID // the event's row
	Seq         int64  // position in the log; the cursor
	WorkspaceID gid.ID
	Type        Type
	Change      Change
	// The objects the event is about; empty when not applicable.
	ConversationID  gid.ID
	MessageID       gid.ID
	CustomerID      gid.ID
	AgentID         gid.ID // conversation.assigned: the new assignee ("" when unassigned); message.mentioned: the mentioned agent
	PreviousAgentID gid.ID // conversation.assigned: the previous assignee
	MergeID         gid.ID // customer.merged and customer.unmerged
	// Cause: who or what made it happen (see Cause); Record fills it from
	// the context when it is empty.
	Cause     Cause
	CreatedAt time.Time

	memo // what subscribers loaded for this event
}

// memo shares what subscribers load for one published item: a live event
// or signal is handed as one value to every subscriber of its workspace
// here, so the object it names is read from the database once, not once
// per subscriber. Only cache what every such subscriber may see. The zero
// memo caches nothing.
type memo struct{ m *sync.Map }

func newMemo() memo { return memo{m: new(sync.Map)} }

type memoEntry struct {
	once sync.Once
	v    any
	err  error
}

// Memo returns load()'s result, calling it once per item and key however
// many subscribers ask.
func (m memo) Memo(key string, load func() (any, error)) (any, error) {
	if m.m == nil {
		return load()
	}
	v, _ := m.m.LoadOrStore(key, &memoEntry{})
	e := v.(*memoEntry)
	e.once.Do(func() { e.v, e.err = load() })
	return e.v, e.err
}

// Signal is an ephemeral event (presence, typing, credentials): no
// position, no replay, delivered to whoever listens now, on every instance.
type Signal struct {
	WorkspaceID gid.ID          `json:"w"`
	Kind        string          `json:"k"`
	Data        json.RawMessage `json:"d"`

	memo // what subscribers loaded for this signal
}

// Signal kinds.
const (
	SignalAgentStatus = "agent.status"
	SignalTyping      = "typing"
	// SignalCredentials: credentials stopped working or lost rights; each
	// instance re-authenticates the websockets that use them (ids only,
	// see auth.CredentialsChanged).
	SignalCredentials = "credentials"
)
