package smtp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/switchboard/switchboard/channels/email/emailtest"
)

const (
	testUser = "agent@acme.test"
	testPass = "s3cret"
)

// testServer is an in-process SMTP server with a memory backend.
type testServer struct {
	mu      sync.Mutex
	rcptErr error // Rcpt answers this when set
	mails   []received
	froms   []string // every MAIL FROM, even of transactions that failed
	authed  int      // successful AUTHs
}

type received struct {
	From string
	To   []string
	Data []byte
}

func (s *testServer) refuseRcpt(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcptErr = err
}

// counts are the successful logins and the MAIL FROM commands seen.
func (s *testServer) counts() (logins, transactions int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authed, len(s.froms)
}

func (s *testServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.mails...)
}

type serverKind int

const (
	plainServer    serverKind = iota // no TLS at all; AUTH allowed in clear
	startTLSServer                   // offers STARTTLS; AUTH only after it
	implicitServer                   // TLS from the first byte
)

// startServer runs a server of the kind and returns it with a Config that
// reaches it (STARTTLS for the plain and STARTTLS servers, implicit TLS
// for the implicit one), trusting its certificate.
func startServer(t *testing.T, kind serverKind) (*testServer, Config) {
	t.Helper()
	ts := &testServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &testSession{srv: ts}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	cert, pool := testCert(t)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mode := StartTLS
	switch kind {
	case plainServer:
		srv.AllowInsecureAuth = true
	case startTLSServer:
		srv.TLSConfig = tlsCfg
	case implicitServer:
		srv.TLSConfig = tlsCfg
		l = tls.NewListener(l, tlsCfg)
		mode = ImplicitTLS
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return ts, Config{
		Host:        "127.0.0.1",
		Port:        l.Addr().(*net.TCPAddr).Port,
		TLS:         mode,
		Username:    testUser,
		Password:    testPass,
		FromAddress: "support@acme.test",
		FromName:    "Acme 客服",
		Signature:   "Acme Support\nhttps://acme.test",
		HelloName:   "switchboard.test",
		TLSConfig:   &tls.Config{RootCAs: pool},
		Timeout:     10 * time.Second,
	}
}

type testSession struct {
	srv    *testServer
	authed bool
	from   string
	to     []string
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != testUser || password != testPass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		s.srv.mu.Lock()
		s.srv.authed++
		s.srv.mu.Unlock()
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.srv.mu.Lock()
	s.srv.froms = append(s.srv.froms, from)
	s.srv.mu.Unlock()
	s.from = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	err := s.srv.rcptErr
	s.srv.mu.Unlock()
	if err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.from == "" || len(s.to) == 0 {
		return errors.New("DATA without a transaction")
	}
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, received{From: s.from, To: s.to, Data: b})
	s.srv.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.from, s.to = "", nil }
func (s *testSession) Logout() error { return nil }

// testCert is a self-signed certificate for 127.0.0.1 and localhost, and a
// pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) { return emailtest.Certificate(t) }
