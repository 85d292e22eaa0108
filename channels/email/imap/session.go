package imap

import (
	"context"
	"errors"
	"fmt"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Check connects, upgrades to TLS as configured, sends ID when the server
// offers it, logs in, selects the mailbox and logs out. Errors are
// *CheckError: a bad password is Step "authentication", a missing mailbox
// Step "mailbox" with the server's text.
func Check(ctx context.Context, c Config) error {
	s, err := Open(ctx, c)
	if err != nil {
		return err
	}
	s.Close() // the mailbox was selected: whether LOGOUT is answered does not matter
	return nil
}

// Session is one logged-in connection with the mailbox selected. It is not
// safe for concurrent use. When a command fails, or ctx ends during one, the
// connection may be gone: Close the session and Open a new one.
type Session struct {
	conn        *conn
	uidValidity uint32
	uidNext     uint32
	caps        goimap.CapSet
	newMail     chan struct{} // EXISTS seen since the last Wait
	idleRestart time.Duration
}

// Open connects, logs in and selects the mailbox. Errors are as Check's.
func Open(ctx context.Context, c Config) (*Session, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Session{newMail: make(chan struct{}, 1), idleRestart: idleRestart}
	handler := &imapclient.UnilateralDataHandler{
		// Runs in the client's reader: it must not block.
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				select {
				case s.newMail <- struct{}{}:
				default:
				}
			}
		},
	}
	cn, err := dial(ctx, c, handler)
	if err != nil {
		return nil, err
	}
	w := cn.watch(ctx)
	data, err := cn.client.Select(c.Mailbox, nil).Wait()
	if err == nil {
		s.caps = cn.client.Caps()
	}
	if err = w.done(err); err != nil {
		cn.client.Close()
		return nil, &CheckError{Step: StepMailbox, Err: fmt.Errorf("select %q: %w", c.Mailbox, err)}
	}
	s.conn = cn
	s.uidValidity = data.UIDValidity
	s.uidNext = uint32(data.UIDNext)
	return s, nil
}

// Close logs out and closes the connection. An error only says the server
// did not confirm the logout (the connection may already have broken); the
// connection is closed either way.
func (s *Session) Close() error { return s.conn.logout() }

// UIDValidity is the selected mailbox's UIDVALIDITY: when it changes, UIDs
// seen before mean nothing.
func (s *Session) UIDValidity() uint32 { return s.uidValidity }

// UIDNext is the UIDNEXT the server reported on SELECT (0 if it did not).
func (s *Session) UIDNext() uint32 { return s.uidNext }

// HasIdle reports whether the server offers IDLE (RFC 2177, or IMAP4rev2).
func (s *Session) HasIdle() bool {
	return s.caps.Has(goimap.CapIdle) || s.caps.Has(goimap.CapIMAP4rev2)
}

// idleRestart is under the 29 minutes after which servers may drop an idle
// client (RFC 2177).
const idleRestart = 25 * time.Minute

// defaultPoll is Wait's poll interval when it is given none.
const defaultPoll = time.Minute

// Wait blocks until the mailbox may have new mail. With IDLE it returns when
// the server reports EXISTS (restarting IDLE every 25 minutes), and at the
// latest after poll, in case a server lost a notification; without IDLE,
// when poll has elapsed (poll <= 0 means a minute). It also returns at once
// when the server reported EXISTS since the last Wait, or reports it to the
// NOOP sent before IDLE (mail that arrived since the last command: some
// servers, go-imap's own among them, report only changes made after IDLE
// starts), and with ctx's error when ctx ends. idled reports whether IDLE
// was used.
func (s *Session) Wait(ctx context.Context, poll time.Duration) (idled bool, err error) {
	select {
	case <-s.newMail:
		return false, nil
	default:
	}
	if poll <= 0 {
		poll = defaultPoll
	}
	if !s.HasIdle() {
		t := time.NewTimer(poll)
		defer t.Stop()
		select {
		case <-t.C:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		case <-s.conn.client.Closed():
			return false, errors.New("imap: wait: connection closed")
		}
	}
	w := s.conn.watch(ctx)
	if err := w.done(s.conn.client.Noop().Wait()); err != nil {
		return false, fmt.Errorf("imap: noop: %w", err)
	}
	select {
	case <-s.newMail:
		return false, nil
	default:
	}
	deadline := time.Now().Add(poll)
	for {
		again, err := s.idle(ctx, time.Until(deadline))
		if err != nil || !again || !time.Now().Before(deadline) {
			return true, err
		}
	}
}

// idle runs one IDLE command for at most max; again means it was stopped
// only to restart it (or because max passed).
func (s *Session) idle(ctx context.Context, max time.Duration) (again bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	// Starting IDLE is not abandoned for ctx (that would close the
	// connection): once it runs, ctx ends it cleanly below.
	w := s.conn.watch(context.Background())
	cmd, err := s.conn.client.Idle()
	if err = w.done(err); err != nil {
		return false, fmt.Errorf("imap: idle: %w", err)
	}
	restart := time.NewTimer(min(s.idleRestart, max))
	defer restart.Stop()
	var waitErr error
	select {
	case <-s.newMail:
	case <-restart.C:
		again = true
	case <-ctx.Done():
		waitErr = ctx.Err()
	case <-s.conn.client.Closed():
		return false, errors.New("imap: idle: connection closed")
	}
	// Stop IDLE cleanly even when ctx has ended, so the session stays usable.
	w = s.conn.watch(context.Background())
	err = cmd.Close()
	if err == nil {
		err = cmd.Wait()
	}
	if err = w.done(err); err != nil {
		return false, fmt.Errorf("imap: idle: done: %w", err)
	}
	return again, waitErr
}
