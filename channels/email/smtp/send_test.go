package smtp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/switchboard/switchboard/channels"
)

func TestSendStartTLS(t *testing.T) {
	srv, c := startServer(t, startTLSServer) // AUTH only after STARTTLS
	m := testMail()
	sent, err := Send(context.Background(), c, m)
	if err != nil {
		t.Fatal(err)
	}
	mails := srv.received()
	if len(mails) != 1 {
		t.Fatalf("the server received %d mails", len(mails))
	}
	rcv := mails[0]
	if rcv.From != c.FromAddress || len(rcv.To) != 1 || rcv.To[0] != m.To.Email {
		t.Errorf("envelope = MAIL FROM %q RCPT TO %q", rcv.From, rcv.To)
	}
	if !bytes.Equal(rcv.Data, sent) {
		t.Error("the server received other bytes than Send returned")
	}
	built, err := Build(context.Background(), c, m)
	if err != nil || !bytes.Equal(built, sent) {
		t.Errorf("Send's bytes differ from Build's (err %v)", err)
	}
	checkWireFormat(t, rcv.Data)

	got := parseMail(t, rcv.Data)
	from, err := got.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Acme 客服" || from[0].Address != "support@acme.test" {
		t.Errorf("From = %v (%v)", from, err)
	}
	to, err := got.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "张三" || to[0].Address != "zhang@example.com" {
		t.Errorf("To = %v (%v)", to, err)
	}
	replyTo, err := got.Header.AddressList("Reply-To")
	if err != nil || len(replyTo) != 1 || replyTo[0].Address != "reply+k3y@acme.test" {
		t.Errorf("Reply-To = %v (%v)", replyTo, err)
	}
	if raw := got.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?b?") {
		t.Errorf("subject not RFC 2047 encoded: %q", raw)
	}
	if s := decodeHeader(t, got.Header.Get("Subject")); s != chineseSubject {
		t.Errorf("subject = %q, want %q", s, chineseSubject)
	}
	for k, want := range map[string]string{
		"Message-Id":  "<out-42@acme.test>",
		"In-Reply-To": "<c2@example.com>",
		"References":  "<c1@example.com> <c2@example.com>",
	} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	if d, err := got.Header.Date(); err != nil || !d.Equal(m.Date) {
		t.Errorf("Date = %v (%v), want %v", d, err, m.Date)
	}
	wantText := "Hello <Zhang>,\r\n\r\nYour refund is on its way.\r\nIt takes 3 days.\r\n\r\n-- \r\nAcme Support\r\nhttps://acme.test\r\n"
	if got.Text != wantText {
		t.Errorf("text = %q, want %q", got.Text, wantText)
	}
	for _, want := range []string{"<p>Hello &lt;Zhang&gt;,</p>", "Your refund is on its way.<br>\r\nIt takes 3 days.", "-- <br>\r\nAcme Support<br>\r\nhttps://acme.test"} {
		if !strings.Contains(got.HTML, want) {
			t.Errorf("HTML = %q, want it to contain %q", got.HTML, want)
		}
	}
	if len(got.Attachments) != 1 {
		t.Fatalf("%d attachments", len(got.Attachments))
	}
	a := got.Attachments[0]
	if a.Name != "退款单 Nº 1024.pdf" || a.ContentType != "application/pdf" || string(a.Data) != "%PDF-1.4\x00\x01\xff refund" {
		t.Errorf("attachment = %q %s %q", a.Name, a.ContentType, a.Data)
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv, c := startServer(t, implicitServer)
	sent, err := Send(context.Background(), c, testMail())
	if err != nil {
		t.Fatal(err)
	}
	if mails := srv.received(); len(mails) != 1 || !bytes.Equal(mails[0].Data, sent) {
		t.Fatalf("the server received %d mails", len(mails))
	}
}

func TestSendWrongPassword(t *testing.T) {
	srv, c := startServer(t, startTLSServer)
	c.Password = "wrong"
	_, err := Send(context.Background(), c, testMail())
	if !channels.IsPermanent(err) || !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("err = %v, want a permanent authentication failure", err)
	}
	if !errors.As(err, new(*channels.Error)) {
		t.Errorf("err = %T, want *channels.Error", err)
	}
	if _, transactions := srv.counts(); len(srv.received()) != 0 || transactions != 0 {
		t.Error("the server saw a mail transaction")
	}
}

func TestSendRefusedRecipient(t *testing.T) {
	tests := []struct {
		name      string
		reply     *smtp.SMTPError
		permanent bool
		want      string
	}{
		{"550", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, true, "550"},
		{"451", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}, false, "451"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := startServer(t, startTLSServer)
			srv.refuseRcpt(tt.reply)
			_, err := Send(context.Background(), c, testMail())
			var ce *channels.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *channels.Error", err)
			}
			if ce.Permanent != tt.permanent || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.reply.Message) {
				t.Errorf("err = %v (permanent %v), want permanent %v mentioning %s", err, ce.Permanent, tt.permanent, tt.want)
			}
			var reply *smtp.SMTPError
			if !errors.As(err, &reply) || reply.Code != tt.reply.Code {
				t.Errorf("the server's reply is not wrapped: %v", err)
			}
			if len(srv.received()) != 0 {
				t.Error("the server received a mail")
			}
		})
	}
}

func TestSendTransientFailures(t *testing.T) {
	silent := silentServer(t)
	closed := closedPort(t)
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"closed port", func(c *Config) { c.Host, c.Port = "127.0.0.1", closed }},
		{"server that never greets", func(c *Config) { c.Host, c.Port, c.Timeout = "127.0.0.1", silent, 300*time.Millisecond }},
		{"untrusted certificate", func(c *Config) { c.TLSConfig = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := startServer(t, startTLSServer)
			tt.edit(&c)
			_, err := Send(context.Background(), c, testMail())
			var ce *channels.Error
			if !errors.As(err, &ce) || ce.Permanent {
				t.Errorf("err = %v, want a transient *channels.Error", err)
			}
		})
	}
}

func TestSendRefusesBadConfig(t *testing.T) {
	_, c := startServer(t, plainServer)
	c.TLS, c.Host = NoTLS, "mail.example.com" // credentials in clear text
	_, err := Send(context.Background(), c, testMail())
	if !channels.IsPermanent(err) || !strings.Contains(err.Error(), "without TLS") {
		t.Errorf("err = %v", err)
	}
}

func TestSendNoTLSToLocalRelay(t *testing.T) {
	srv, c := startServer(t, plainServer)
	c.TLS = NoTLS
	if _, err := Send(context.Background(), c, testMail()); err != nil {
		t.Fatal(err)
	}
	if len(srv.received()) != 1 {
		t.Error("no mail received")
	}
}

// silentServer accepts connections and never says anything.
func silentServer(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// closedPort is a port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
