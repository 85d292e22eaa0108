package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"strconv"
	"sync"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// clientID is what the ID command (RFC 2971) tells the server; 163.com and
// 126.com refuse SELECT until a client has named itself.
var clientID = goimap.IDData{Name: "Switchboard", Vendor: "Switchboard"}

// conn is one logged-in connection.
type conn struct {
	raw     net.Conn // the TCP connection, closed to abandon a command
	client  *imapclient.Client
	timeout time.Duration
}

func clientOptions(c Config, handler *imapclient.UnilateralDataHandler) *imapclient.Options {
	return &imapclient.Options{
		TLSConfig:             tlsConfig(c),
		UnilateralDataHandler: handler,
		// Without go-message's charsets, GBK and GB2312 names stay encoded.
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
	}
}

func tlsConfig(c Config) *tls.Config {
	cfg := &tls.Config{}
	if c.TLSConfig != nil {
		cfg = c.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.Host
	}
	return cfg
}

// dial connects, upgrades to TLS as configured, logs in and sends ID when the
// server offers it. Every error is a *CheckError.
func dial(ctx context.Context, c Config, handler *imapclient.UnilateralDataHandler) (*conn, error) {
	raw, err := (&net.Dialer{Timeout: c.Timeout}).DialContext(ctx, "tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return nil, &CheckError{Step: StepResolve, Err: err}
		}
		return nil, &CheckError{Step: StepConnect, Err: err}
	}
	cn := &conn{raw: raw, timeout: c.Timeout}
	w := cn.watch(ctx)
	client, step, err := handshake(ctx, raw, c, handler, w)
	if err = w.done(err); err != nil {
		if client != nil {
			client.Close()
		}
		raw.Close()
		return nil, &CheckError{Step: step, Err: err}
	}
	cn.client = client
	return cn, nil
}

// handshake runs the steps after the TCP connect; on failure it names the step.
func handshake(ctx context.Context, raw net.Conn, c Config, handler *imapclient.UnilateralDataHandler, w *watchdog) (*imapclient.Client, string, error) {
	opts := clientOptions(c, handler)
	var client *imapclient.Client
	switch c.TLS {
	case ImplicitTLS:
		tlsConn := tls.Client(raw, opts.TLSConfig)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return nil, StepTLS, err
		}
		client = imapclient.New(tlsConn, opts)
	case StartTLS:
		var err error
		if client, err = imapclient.NewStartTLS(raw, opts); err != nil {
			return nil, StepTLS, err
		}
	default:
		client = imapclient.New(raw, opts)
	}
	if err := client.WaitGreeting(); err != nil {
		return client, StepConnect, err
	}
	w.touch()
	if err := client.Login(c.Username, c.Password).Wait(); err != nil {
		return client, StepAuth, err
	}
	w.touch()
	if client.Caps().Has(goimap.CapID) {
		id := clientID
		if _, err := client.ID(&id).Wait(); err != nil {
			var refused *goimap.Error
			if !errors.As(err, &refused) { // a refusal is fine; SELECT will tell
				return client, StepMailbox, fmt.Errorf("ID: %w", err)
			}
		}
	}
	return client, "", nil
}

// logout says goodbye and closes the connection. Its error only says the
// server did not confirm LOGOUT; the connection is closed either way. The
// client's own Close error is not reported: go-imap beta.8 keeps a stale
// parse error after an ID response that is a list (it first tries NIL) and
// returns it from Close, although every command succeeded.
func (cn *conn) logout() error {
	w := cn.watch(context.Background())
	err := w.done(cn.client.Logout().Wait())
	cn.client.Close()
	if err != nil {
		return fmt.Errorf("imap: logout: %w", err)
	}
	return nil
}

// watchdog abandons a command, by closing the connection, when ctx ends or
// the server stays silent for the configured timeout.
type watchdog struct {
	timeout time.Duration
	timer   *time.Timer
	stopCtx func() bool

	mu    sync.Mutex
	cause error
}

func (cn *conn) watch(ctx context.Context) *watchdog {
	w := &watchdog{timeout: cn.timeout}
	fire := func(cause error) {
		w.mu.Lock()
		if w.cause == nil {
			w.cause = cause
		}
		w.mu.Unlock()
		cn.raw.Close()
	}
	w.timer = time.AfterFunc(cn.timeout, func() {
		fire(fmt.Errorf("no answer within %v: %w", cn.timeout, context.DeadlineExceeded))
	})
	w.stopCtx = context.AfterFunc(ctx, func() { fire(context.Cause(ctx)) })
	return w
}

// touch restarts the silence timer: the server has answered something.
func (w *watchdog) touch() { w.timer.Reset(w.timeout) }

// done stops the watchdog. When it fired, the error says why instead of the
// closed connection's error.
func (w *watchdog) done(err error) error {
	w.timer.Stop()
	w.stopCtx()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil && w.cause != nil {
		return w.cause
	}
	return err
}
