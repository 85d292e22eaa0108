package presence

import (
	"context"
	"encoding/json"
	"time"

	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
)

// Typist is who types: an agent or a customer (one of the two is set).
type Typist struct {
	AgentID    gid.ID `json:"agentID,omitempty"`
	CustomerID gid.ID `json:"customerID,omitempty"`
}

// TypingSignal is the data of an events.SignalTyping signal.
type TypingSignal struct {
	ConversationID gid.ID `json:"conversationID"`
	Typist
	Typing bool `json:"typing"`
}

// DecodeTyping reads a typing signal.
func DecodeTyping(sig *events.Signal) (TypingSignal, bool) {
	var v TypingSignal
	if sig.Kind != events.SignalTyping || json.Unmarshal(sig.Data, &v) != nil || v.ConversationID == "" {
		return v, false
	}
	return v, true
}

type typingKey struct {
	workspace, conversation gid.ID
	who                     Typist
}

// typingState is a typing=true that lapses unless renewed; gen tells a
// lapse that fires late from the current one.
type typingState struct {
	timer *time.Timer
	gen   uint64
}

// SetTyping signals that who started (or renewed) or stopped typing in a
// conversation, once the transaction of ctx has committed. typing=true
// lapses after the typing timeout unless renewed: this instance then
// signals typing=false. typing=false ends it at once.
//
// With several instances, a renewal that reaches another instance than
// the first call does not cancel the first instance's lapse: the client
// then sees a brief typing=false before the next renewal.
func (s *Service) SetTyping(ctx context.Context, workspace, conversation gid.ID, who Typist, typing bool) {
	s.events.AfterCommit(ctx, func() {
		k := typingKey{workspace, conversation, who}
		s.tmu.Lock()
		if s.closed {
			s.tmu.Unlock()
			return
		}
		st := s.typing[k]
		switch {
		case typing:
			if st == nil {
				st = &typingState{}
				s.typing[k] = st
			} else {
				st.timer.Stop()
			}
			st.gen++
			gen := st.gen
			st.timer = time.AfterFunc(s.typingTTL, func() { s.lapse(k, gen) })
		case st != nil:
			st.timer.Stop()
			delete(s.typing, k)
		}
		s.tmu.Unlock()
		s.signalTyping(context.WithoutCancel(ctx), k, typing)
	})
}

func (s *Service) lapse(k typingKey, gen uint64) {
	s.tmu.Lock()
	st := s.typing[k]
	if s.closed || st == nil || st.gen != gen {
		s.tmu.Unlock()
		return
	}
	delete(s.typing, k)
	s.tmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.signalTyping(ctx, k, false)
}

func (s *Service) signalTyping(ctx context.Context, k typingKey, typing bool) {
	s.signal(ctx, k.workspace, events.SignalTyping, TypingSignal{ConversationID: k.conversation, Typist: k.who, Typing: typing})
}

// Typing returns how many typing=true are pending a lapse here.
func (s *Service) Typing() int {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	return len(s.typing)
}

// stopTyping drops the pending lapses when the instance stops.
func (s *Service) stopTyping() {
	s.tmu.Lock()
	defer s.tmu.Unlock()
	s.closed = true
	for k, st := range s.typing {
		st.timer.Stop()
		delete(s.typing, k)
	}
}
