package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/email/imap"
)

// stateKey is where the receiver keeps its checkpoint in the channel's
// State.
const stateKey = "imap"

// checkpoint is the receiver's progress in the mailbox: mail with a UID
// up to LastUID under UIDValidity is stored.
type checkpoint struct {
	UIDValidity uint32 `json:"uidValidity"`
	LastUID     uint32 `json:"lastUID"`
}

// RunReceiver implements channels.Receiver: it reads new mail until ctx
// ends, with IDLE when the server has it and polling otherwise. It
// returns on any connection error; the runner starts it again with
// backoff, and it goes on from its checkpoint.
func (a *Adapter) RunReceiver(ctx context.Context, c *channels.Config, sink channels.Sink) error {
	if c.State == nil {
		return errorf("the channel has no state to keep its place in the mailbox")
	}
	s, err := imap.Open(ctx, a.imapConfig(c))
	if err != nil {
		return err
	}
	defer s.Close()
	sink.Healthy()
	poll := time.Duration(number(c, SettingPollInterval, DefaultPollInterval.Seconds())) * time.Second
	replyDomain := c.Setting(SettingReplyDomain)
	for {
		if err := a.fetchNew(ctx, c, s, sink, replyDomain); err != nil {
			return err
		}
		sink.Healthy()
		if _, err := s.Wait(ctx, poll); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
}

// fetchNew delivers the mail after the checkpoint in batches, advancing
// the checkpoint after each batch is committed.
func (a *Adapter) fetchNew(ctx context.Context, c *channels.Config, s *imap.Session, sink channels.Sink, replyDomain string) error {
	cp, version, err := loadCheckpoint(ctx, c.State)
	if err != nil {
		return err
	}
	if cp.UIDValidity != s.UIDValidity() {
		// A new mailbox, or the server renumbered it: from the start (what
		// was stored before is recognised by its Message-ID), or, for a
		// channel's first run, from now unless told to import.
		start := uint32(0)
		if cp.UIDValidity == 0 && !importExisting(c) && s.UIDNext() > 0 {
			start = s.UIDNext() - 1
		}
		cp = checkpoint{UIDValidity: s.UIDValidity(), LastUID: start}
		if version, err = c.State.CompareAndSet(ctx, stateKey, cp.encode(), version); err != nil {
			return err
		}
	}
	var batch channels.Delivery
	var batchLast uint32
	flush := func() error {
		if len(batch.Messages)+len(batch.Receipts) > 0 {
			if _, err := sink.Deliver(ctx, &batch); err != nil {
				return err
			}
		}
		if batchLast > cp.LastUID {
			next := checkpoint{UIDValidity: cp.UIDValidity, LastUID: batchLast}
			v, err := c.State.CompareAndSet(ctx, stateKey, next.encode(), version)
			if err != nil {
				return err // another receiver moved it: this one stops
			}
			cp, version = next, v
		}
		batch, batchLast = channels.Delivery{}, 0
		return nil
	}
	err = s.FetchSince(ctx, cp.LastUID, a.batch(), a.maxBytes(), func(m imap.Message) error {
		if m.Raw == nil {
			in := tooLarge(m)
			batch.Messages = append(batch.Messages, in)
		} else if in, receipt := inbound(m.Raw, m.InternalDate, replyDomain); in != nil {
			batch.Messages = append(batch.Messages, *in)
		} else if receipt != nil {
			batch.Receipts = append(batch.Receipts, *receipt)
		}
		batchLast = m.UID
		if len(batch.Messages)+len(batch.Receipts) >= a.batch() {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// tooLarge stands for a mail over the size limit: a note in its place,
// so that agents know it came.
func tooLarge(m imap.Message) channels.Inbound {
	return channels.Inbound{
		ProviderMessageID: fmt.Sprintf("imap-oversized:%d:%d", m.UID, m.InternalDate.Unix()),
		Sender:            channels.Sender{ExternalID: "mailer-daemon", Name: "Mailbox"},
		Text:              fmt.Sprintf("A mail of %d MiB arrived; it is larger than Switchboard stores and stays in the mailbox.", m.Size>>20),
		AutoSubmitted:     true, Time: m.InternalDate,
	}
}

func importExisting(c *channels.Config) bool {
	v, _ := c.Settings[SettingImportExisting].(bool)
	return v
}

func loadCheckpoint(ctx context.Context, st channels.State) (checkpoint, int64, error) {
	raw, version, err := st.Get(ctx, stateKey)
	if err != nil || raw == nil {
		return checkpoint{}, version, err
	}
	var cp checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return checkpoint{}, version, errors.Join(errorf("reading the checkpoint"), err)
	}
	return cp, version, nil
}

func (cp checkpoint) encode() []byte {
	b, _ := json.Marshal(cp)
	return b
}
