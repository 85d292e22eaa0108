// Package imap is the IMAP layer of the email channel: it checks credentials,
// fetches new mail by UID, waits for new mail with IDLE (or a poll interval)
// and stores sent replies in the Sent folder. It is network code only; what
// was fetched is the caller's to remember.
package imap

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"
)

// TLSMode says how the connection is encrypted.
type TLSMode string

const (
	ImplicitTLS TLSMode = "tls"      // TLS from the first byte (port 993)
	StartTLS    TLSMode = "starttls" // plain connect, then STARTTLS (port 143)
	NoTLS       TLSMode = "none"     // no encryption: tests and local servers only
)

// Config says where and as whom to log in.
type Config struct {
	Host string
	Port int     // default 993 for ImplicitTLS, else 143
	TLS  TLSMode // default ImplicitTLS

	Username, Password string

	Mailbox   string        // default "INBOX"
	TLSConfig *tls.Config   // optional; tests pass the test server's roots
	Timeout   time.Duration // how long one command may go without an answer; default 30 s
}

const (
	defaultMailbox = "INBOX"
	defaultTimeout = 30 * time.Second
)

// withDefaults fills the zero fields and rejects what cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.TLS == "" {
		c.TLS = ImplicitTLS
	}
	switch c.TLS {
	case ImplicitTLS, StartTLS, NoTLS:
	default:
		return c, &CheckError{Step: StepTLS, Err: fmt.Errorf("unknown TLS mode %q", c.TLS)}
	}
	if c.Host == "" {
		return c, &CheckError{Step: StepResolve, Err: errors.New("no host")}
	}
	if c.Port == 0 {
		c.Port = 143
		if c.TLS == ImplicitTLS {
			c.Port = 993
		}
	}
	if c.Mailbox == "" {
		c.Mailbox = defaultMailbox
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	return c, nil
}

// The steps a CheckError can name, in the order they happen.
const (
	StepResolve = "resolving host"
	StepConnect = "connecting"
	StepTLS     = "TLS"
	StepAuth    = "authentication"
	StepMailbox = "mailbox"
)

// CheckError names the step of connecting that failed: "resolving host",
// "connecting", "TLS", "authentication" or "mailbox". A server's refusal
// keeps the server's text in Err.
type CheckError struct {
	Step string
	Err  error
}

func (e *CheckError) Error() string { return "imap: " + e.Step + ": " + e.Err.Error() }

func (e *CheckError) Unwrap() error { return e.Err }

// Message is one message of the mailbox. Raw is nil when the message was
// larger than the limit FetchSince was given; Size is the server's
// RFC822.SIZE either way.
type Message struct {
	UID          uint32
	Raw          []byte
	InternalDate time.Time
	Size         uint32
}
