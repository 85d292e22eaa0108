package model

import (
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
)

// TimelineEntry is one entry of a customer's timeline.
type TimelineEntry interface{ IsTimelineEntry() }

// MessageEntry is a message on a customer's timeline.
type MessageEntry struct {
	ID         gid.ID
	OccurredAt time.Time
	Message    *ent.Message
}

// ConversationActivity is a step of a conversation on a timeline.
type ConversationActivity struct{ *ent.ConversationActivity }

// ActivityKind is ConversationActivity.activityKind (kind, deprecated, is
// the same value).
func (a *ConversationActivity) ActivityKind() conversationactivity.Kind { return a.Kind }

// MergeEntry is a merge or unmerge on a timeline.
type MergeEntry struct {
	ID         gid.ID
	OccurredAt time.Time
	Kind       MergeEntryKind
	Merge      *ent.CustomerMerge
}

// MergeKind is MergeEntry.mergeKind (kind, deprecated, is the same value).
func (m *MergeEntry) MergeKind() MergeEntryKind { return m.Kind }

// CallEntry is a call on a customer's timeline.
type CallEntry struct {
	ID         gid.ID
	OccurredAt time.Time
	Call       *ent.Call
}

func (CallEntry) IsTimelineEntry()            {}
func (MessageEntry) IsTimelineEntry()         {}
func (ConversationActivity) IsTimelineEntry() {}
func (MergeEntry) IsTimelineEntry()           {}

// CustomerEvent is a change of a customer.
type CustomerEvent struct {
	Event    *events.Event
	Type     CustomerEventType
	Customer *ent.Customer
	Merge    *ent.CustomerMerge
}
