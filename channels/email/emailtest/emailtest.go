// Package emailtest runs a fake mail provider in-process for tests: an
// IMAP server (go-imap's imapmemserver, implicit TLS) holding one
// mailbox, and an SMTP submission server (go-smtp, STARTTLS and AUTH
// PLAIN) that records what it is sent. Both use a certificate made for
// the test, which TLSConfig trusts.
package emailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The mailbox's credentials.
const (
	User     = "support@acme.test"
	Password = "mailbox-password-1"
)

// Provider is a running fake mail provider.
type Provider struct {
	IMAPPort, SMTPPort int
	// TLSConfig trusts the servers' certificate.
	TLSConfig *tls.Config

	imapPlain string // a plain listener for the test's own client
	mu        sync.Mutex
	sent      []Sent
}

// Sent is a mail the SMTP server accepted.
type Sent struct {
	From string
	To   []string
	Data []byte
}

// Start runs a provider until the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	cert, roots := Certificate(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	p := &Provider{TLSConfig: &tls.Config{RootCAs: roots}}

	mem := imapmemserver.New()
	user := imapmemserver.NewUser(User, Password)
	for _, name := range []string{"INBOX", "Sent"} {
		if err := user.Create(name, nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	imapSrv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         goimap.CapSet{goimap.CapIMAP4rev1: {}},
		TLSConfig:    serverTLS,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	tlsLn := listen(t)
	plainLn := listen(t)
	go imapSrv.Serve(tls.NewListener(tlsLn, serverTLS))
	go imapSrv.Serve(plainLn)
	t.Cleanup(func() { imapSrv.Close() })
	p.IMAPPort = tlsLn.Addr().(*net.TCPAddr).Port
	p.imapPlain = plainLn.Addr().String()

	smtpSrv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{p: p}, nil }))
	smtpSrv.Domain = "localhost"
	smtpSrv.ReadTimeout, smtpSrv.WriteTimeout = 10*time.Second, 10*time.Second
	smtpSrv.ErrorLog = log.New(io.Discard, "", 0)
	smtpSrv.TLSConfig = serverTLS
	smtpLn := listen(t)
	go smtpSrv.Serve(smtpLn)
	t.Cleanup(func() { smtpSrv.Close() })
	p.SMTPPort = smtpLn.Addr().(*net.TCPAddr).Port
	return p
}

// Settings are an email channel's settings reaching the provider (IMAP
// implicit TLS, SMTP STARTTLS).
func (p *Provider) Settings() map[string]any {
	return map[string]any{
		"imapHost": "127.0.0.1", "imapPort": float64(p.IMAPPort), "imapTLS": "tls", "imapUsername": User,
		"smtpHost": "127.0.0.1", "smtpPort": float64(p.SMTPPort), "smtpTLS": "starttls",
		"fromAddress": User, "fromName": "Acme Support", "importExisting": true,
	}
}

// Secrets are the channel's secrets for the provider.
func (p *Provider) Secrets() map[string]string { return map[string]string{"imapPassword": Password} }

// Deliver puts a mail in the INBOX, as if it had just arrived, and
// returns its UID.
func (p *Provider) Deliver(t testing.TB, raw []byte) uint32 {
	return p.append(t, "INBOX", raw)
}

// Mailbox lists the raw mails of a mailbox.
func (p *Provider) Mailbox(t testing.TB, name string) [][]byte {
	t.Helper()
	c := p.client(t)
	defer c.Close()
	if _, err := c.Select(name, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(goimap.SeqSetNum(1, 1<<31), &goimap.FetchOptions{BodySection: []*goimap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		return nil // empty mailbox
	}
	var out [][]byte
	for _, m := range msgs {
		for _, b := range m.BodySection {
			out = append(out, b.Bytes)
		}
	}
	return out
}

func (p *Provider) append(t testing.TB, mailbox string, raw []byte) uint32 {
	t.Helper()
	c := p.client(t)
	defer c.Close()
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return uint32(data.UID)
}

func (p *Provider) client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(p.imapPlain, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(User, Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// Sent is what the SMTP server accepted so far.
func (p *Provider) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

type session struct {
	p      *Provider
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != User || password != Password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.from == "" || len(s.to) == 0 {
		return errors.New("DATA without a transaction")
	}
	s.p.mu.Lock()
	s.p.sent = append(s.p.sent, Sent{From: s.from, To: s.to, Data: b})
	s.p.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Certificate is a new self-signed certificate for 127.0.0.1 and
// localhost, and a pool trusting it.
func Certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
