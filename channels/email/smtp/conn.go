package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The steps a connection goes through, as CheckError names them.
const (
	StepConfig  = "smtp: configuration"
	StepResolve = "smtp: resolving host"
	StepConnect = "smtp: connecting"
	StepGreet   = "smtp: greeting" // the server refused the greeting or EHLO
	StepTLS     = "smtp: TLS"
	StepAuth    = "smtp: authentication failed"
)

// CheckError is a failure to reach, secure or log in to the SMTP server:
// Step names where it failed (one of the Step constants), so the caller
// can point at the setting to fix (host and port, TLS mode, password).
type CheckError struct {
	Step string
	Err  error
}

func (e *CheckError) Error() string { return e.Step + ": " + e.Err.Error() }

func (e *CheckError) Unwrap() error { return e.Err }

// Check connects, says EHLO, negotiates TLS per c.TLS, authenticates (AUTH
// PLAIN, or LOGIN when the server offers only that) and quits. Its errors
// are *CheckError.
func Check(ctx context.Context, c Config) error {
	c, err := c.normalized()
	if err != nil {
		return &CheckError{Step: StepConfig, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	s, err := open(ctx, c)
	if err != nil {
		return err
	}
	defer s.close()
	s.client.Quit() // logged in: a failing QUIT says nothing about the account
	return nil
}

// session is a connection that is greeted, secured and authenticated. The
// connection is closed when ctx is done, which ends any exchange under way.
type session struct {
	client *smtp.Client
	stop   func() bool
}

func (s *session) close() {
	s.stop()
	s.client.Close()
}

// open connects to c's server; c is normalized. Its errors are *CheckError.
func open(ctx context.Context, c Config) (*session, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
	if err != nil {
		if dnsErr := (*net.DNSError)(nil); errors.As(err, &dnsErr) {
			return nil, &CheckError{Step: StepResolve, Err: err}
		}
		return nil, &CheckError{Step: StepConnect, Err: err}
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	client, err := hello(ctx, c, raw)
	if err == nil {
		err = authenticate(ctx, c, client)
	}
	if err != nil {
		stop()
		raw.Close()
		return nil, err
	}
	return &session{client: client, stop: stop}, nil
}

// hello greets the server and secures the connection per c.TLS.
func hello(ctx context.Context, c Config, raw net.Conn) (*smtp.Client, error) {
	var client *smtp.Client
	switch c.TLS {
	case ImplicitTLS:
		conn := tls.Client(raw, c.tlsConfig())
		if err := conn.HandshakeContext(ctx); err != nil {
			return nil, &CheckError{Step: StepTLS, Err: cause(ctx, err)}
		}
		client = smtp.NewClient(conn)
	case StartTLS:
		// go-smtp says its first EHLO (the one STARTTLS follows) as
		// "localhost"; HelloName is said once the connection is secure.
		pc := &phaseConn{Conn: raw}
		var err error
		client, err = smtp.NewClientStartTLS(pc, c.tlsConfig())
		if err != nil {
			return nil, pc.stepError(ctx, err)
		}
	default:
		client = smtp.NewClient(raw)
	}
	client.CommandTimeout = c.Timeout
	client.SubmissionTimeout = c.Timeout
	if err := client.Hello(c.HelloName); err != nil {
		client.Close()
		step := StepConnect
		switch {
		case isReply(err):
			step = StepGreet
		case c.TLS == StartTLS:
			step = StepTLS // the TLS handshake runs with this first EHLO
		}
		return nil, &CheckError{Step: step, Err: cause(ctx, err)}
	}
	return client, nil
}

// authenticate logs in with AUTH PLAIN, or LOGIN when the server offers
// only that; without a Username it does nothing (a local relay).
func authenticate(ctx context.Context, c Config, client *smtp.Client) error {
	if c.Username == "" {
		return nil
	}
	var mech sasl.Client
	switch {
	case client.SupportsAuth(sasl.Plain):
		mech = sasl.NewPlainClient("", c.Username, c.Password)
	case client.SupportsAuth(sasl.Login):
		mech = sasl.NewLoginClient(c.Username, c.Password)
	default:
		_, offered := client.Extension("AUTH")
		return &CheckError{Step: StepAuth, Err: fmt.Errorf("the server offers neither AUTH PLAIN nor LOGIN (AUTH %q)", offered)}
	}
	if err := client.Auth(mech); err != nil {
		if !isReply(err) {
			return &CheckError{Step: StepConnect, Err: cause(ctx, err)}
		}
		return &CheckError{Step: StepAuth, Err: err}
	}
	return nil
}

// phaseConn tells the steps of go-smtp's STARTTLS exchange apart: whether
// STARTTLS was sent and whether the connection failed.
type phaseConn struct {
	net.Conn
	mu       sync.Mutex
	starttls bool
	failed   bool
}

func (c *phaseConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.note(nil, err)
	return n, err
}

func (c *phaseConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.note(b, err)
	return n, err
}

func (c *phaseConn) note(written []byte, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.HasPrefix(written, []byte("STARTTLS")) {
		c.starttls = true
	}
	if err != nil {
		c.failed = true
	}
}

// stepError classifies an error of NewClientStartTLS: refusals before
// STARTTLS are the greeting's, a failed connection before it the
// connection's; anything else (no STARTTLS offered, STARTTLS refused) is
// TLS's.
func (c *phaseConn) stepError(ctx context.Context, err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.starttls:
		return &CheckError{Step: StepTLS, Err: cause(ctx, err)}
	case isReply(err):
		return &CheckError{Step: StepGreet, Err: err}
	case c.failed || ctx.Err() != nil:
		return &CheckError{Step: StepConnect, Err: cause(ctx, err)}
	}
	// The exchange went well and STARTTLS was not sent: not offered.
	return &CheckError{Step: StepTLS, Err: errors.New("the server does not offer STARTTLS")}
}

// isReply reports whether err is the server's reply (not a failed
// connection).
func isReply(err error) bool {
	var reply *smtp.SMTPError
	return errors.As(err, &reply)
}

// cause is err, or ctx's error when ctx ended the exchange by closing the
// connection.
func cause(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w (%v)", ctxErr, err)
	}
	return err
}
