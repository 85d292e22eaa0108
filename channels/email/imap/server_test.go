package imap

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/switchboard/switchboard/channels/email/emailtest"
)

const (
	testUser     = "alice@example.com"
	testPassword = "s3cret"
)

// testServer is an in-memory IMAP server with a user who has INBOX and Sent,
// on a plain listener (which also offers STARTTLS) and an implicit-TLS one.
type testServer struct {
	plain     *cutListener
	tlsAddr   *net.TCPAddr
	roots     *x509.CertPool
	mem       *imapmemserver.Server
	plainPort int
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	cert, roots := testCertificate(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}

	mem := imapmemserver.New()
	user := imapmemserver.NewUser(testUser, testPassword)
	for _, name := range []string{"INBOX", "Sent"} {
		if err := user.Create(name, nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         goimap.CapSet{goimap.CapIMAP4rev1: {}},
		TLSConfig:    serverTLS, // STARTTLS on the plain listener
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	t.Cleanup(func() { srv.Close() })

	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain := &cutListener{Listener: plainLn}
	tlsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(plain)
	go srv.Serve(tls.NewListener(tlsLn, serverTLS))
	return &testServer{
		plain:     plain,
		tlsAddr:   tlsLn.Addr().(*net.TCPAddr),
		roots:     roots,
		mem:       mem,
		plainPort: plainLn.Addr().(*net.TCPAddr).Port,
	}
}

// config logs in as the test user; ImplicitTLS goes to the TLS listener.
func (ts *testServer) config(mode TLSMode) Config {
	port := ts.plainPort
	if mode == ImplicitTLS {
		port = ts.tlsAddr.Port
	}
	return Config{
		Host: "127.0.0.1", Port: port, TLS: mode,
		Username: testUser, Password: testPassword,
		TLSConfig: &tls.Config{RootCAs: ts.roots},
		Timeout:   5 * time.Second,
	}
}

// client is the library's own client, logged in, for arranging and checking.
func (ts *testServer) client(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure("127.0.0.1:"+strconv.Itoa(ts.plainPort), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// appendTo stores raw in mailbox and returns its UID.
func appendTo(t *testing.T, c *imapclient.Client, mailbox string, raw []byte) uint32 {
	t.Helper()
	uid, err := tryAppend(c, mailbox, raw)
	if err != nil {
		t.Fatal(err)
	}
	return uid
}

// appendLater appends raw to INBOX after delay, from another goroutine.
func appendLater(t *testing.T, c *imapclient.Client, delay time.Duration, raw []byte) <-chan uint32 {
	uids := make(chan uint32, 1)
	go func() {
		time.Sleep(delay)
		uid, err := tryAppend(c, "INBOX", raw)
		if err != nil {
			t.Error(err)
		}
		uids <- uid
	}()
	return uids
}

func tryAppend(c *imapclient.Client, mailbox string, raw []byte) (uint32, error) {
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return 0, err
	}
	if err := cmd.Close(); err != nil {
		return 0, err
	}
	data, err := cmd.Wait()
	if err != nil {
		return 0, err
	}
	return uint32(data.UID), nil
}

// cutListener closes a connection once the server has written the armed
// number of bytes on it, as a network failure mid-response would.
type cutListener struct {
	net.Listener
	remaining atomic.Int64 // 0: not armed
}

func (l *cutListener) arm(bytes int64) { l.remaining.Store(bytes) }

func (l *cutListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &cutConn{Conn: c, l: l}, nil
}

type cutConn struct {
	net.Conn
	l *cutListener
}

var errCut = errors.New("test: connection cut")

func (c *cutConn) Write(p []byte) (int, error) {
	rem := c.l.remaining.Load()
	if rem <= 0 {
		return c.Conn.Write(p)
	}
	if int64(len(p)) < rem {
		c.l.remaining.Add(-int64(len(p)))
		return c.Conn.Write(p)
	}
	c.l.remaining.Store(0)
	n, _ := c.Conn.Write(p[:rem])
	c.Conn.Close()
	return n, errCut
}

// testCertificate makes a self-signed certificate for 127.0.0.1.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) { return emailtest.Certificate(t) }
