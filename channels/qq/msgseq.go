package qq

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/switchboard/switchboard/channels"
)

// msg_seq numbers the replies to one msg_id: QQ refuses a second reply
// with the same msg_id and msg_seq (as a duplicate). Each delivery gets
// the next number the first time it is sent, kept in the channel's State
// (compare-and-set, so two instances never hand out one number twice), and
// a retry of the same delivery reuses it: if QQ took the first attempt and
// only its answer was lost, the retry is refused instead of being shown
// twice.
//
// The numbers live under one key per conversation, for the latest
// keptMsgIDs msg_ids it answered: replies follow the customer's latest
// message, and a message older than that is past QQ's reply window. So the
// state stays small (one key per conversation, a few hundred bytes).

const (
	keptMsgIDs      = 8  // msg_ids remembered per conversation
	keptDeliveries  = 32 // deliveries remembered per msg_id (QQ allows about 5 replies)
	seqCASAttempts  = 20
	seqStatePrefix  = "msgseq:"
	maxSeqStateKey  = channels.MaxStateKey
	hashedKeyPrefix = "msgseq#"
)

type seqState struct {
	Replies []seqReply `json:"r"`
}

type seqReply struct {
	MsgID string         `json:"m"`
	Next  int            `json:"n"` // the last number handed out
	Seqs  map[string]int `json:"d"` // delivery id -> msg_seq
}

// msgSeq is the msg_seq of m's reply to m.ReplyTo.
func msgSeq(ctx context.Context, c *channels.Config, m *channels.Outbound) (int, error) {
	if c.State == nil {
		return 0, errors.New("qq: msg_seq needs the channel's State")
	}
	key := seqStatePrefix + m.ConversationID
	if m.ConversationID == "" || len(key) > maxSeqStateKey {
		sum := sha256.Sum256([]byte(m.ConversationID + "\x00" + m.ReplyTo))
		key = hashedKeyPrefix + hex.EncodeToString(sum[:16])
	}
	for range seqCASAttempts {
		raw, ver, err := c.State.Get(ctx, key)
		if err != nil {
			return 0, err
		}
		var st seqState
		if raw != nil && json.Unmarshal(raw, &st) != nil {
			st = seqState{} // unreadable: start again
		}
		r := seqReply{MsgID: m.ReplyTo}
		for i, x := range st.Replies {
			if x.MsgID == m.ReplyTo {
				r = x
				st.Replies = append(st.Replies[:i:i], st.Replies[i+1:]...)
				break
			}
		}
		if seq, ok := r.Seqs[m.DeliveryID]; ok {
			return seq, nil
		}
		if r.Seqs == nil {
			r.Seqs = map[string]int{}
		}
		if len(r.Seqs) >= keptDeliveries {
			forgetOldest(r.Seqs)
		}
		r.Next++
		r.Seqs[m.DeliveryID] = r.Next
		st.Replies = append(st.Replies, r)
		if n := len(st.Replies); n > keptMsgIDs {
			st.Replies = st.Replies[n-keptMsgIDs:]
		}
		b, _ := json.Marshal(st)
		_, err = c.State.CompareAndSet(ctx, key, b, ver)
		if errors.Is(err, channels.ErrStale) {
			continue
		}
		if err != nil {
			return 0, err
		}
		return r.Next, nil
	}
	return 0, errors.New("qq: msg_seq: the state kept changing")
}

// forgetOldest drops the delivery with the lowest number.
func forgetOldest(seqs map[string]int) {
	oldest, low := "", 0
	for d, s := range seqs {
		if oldest == "" || s < low {
			oldest, low = d, s
		}
	}
	delete(seqs, oldest)
}
