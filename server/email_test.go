package server_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/email"
	"github.com/switchboard/switchboard/channels/email/emailtest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/receivers"
	"github.com/switchboard/switchboard/internal/testenv"
)

// gbkMail is a multipart mail as a Chinese mail client writes it: a GBK
// encoded-word subject and sender name, a GBK base64 text part and a PDF
// attachment with an RFC 2231 file name.
func gbkMail(id, from, subject, text string, headers ...string) []byte {
	enc := simplifiedchinese.GBK.NewEncoder()
	subj, _ := enc.String(subject)
	body, _ := enc.String(text)
	var b strings.Builder
	fmt.Fprintf(&b, "From: =?GBK?B?%s?= <%s>\r\n", base64.StdEncoding.EncodeToString([]byte(mustGBK("张三"))), from)
	fmt.Fprintf(&b, "To: %s\r\nSubject: =?GBK?B?%s?=\r\nMessage-ID: <%s>\r\nDate: %s\r\n", emailtest.User,
		base64.StdEncoding.EncodeToString([]byte(subj)), id, time.Now().UTC().Format(time.RFC1123Z))
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n")
	b.WriteString("--b1\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b.WriteString(base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n")
	b.WriteString("--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	b.WriteString(base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\ninvoice")) + "\r\n--b1--\r\n")
	return []byte(b.String())
}

func mustGBK(s string) string {
	out, _ := simplifiedchinese.GBK.NewEncoder().String(s)
	return out
}

// TestEmailChannel: a connected mailbox becomes conversations. A GBK mail
// with an attachment lands decoded with its file and source; the agent's
// reply leaves by SMTP as a real reply (Re: subject, In-Reply-To,
// References) and is filed in Sent; the customer's answer to it joins the
// same conversation by In-Reply-To; a mail fetched twice is stored once.
func TestEmailChannel(t *testing.T) {
	p := emailtest.Start(t)
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Adapters = []channels.Adapter{&email.Adapter{TLSConfig: p.TLSConfig}}
		o.Receivers = receivers.Options{Lease: 2 * time.Second, Scan: 50 * time.Millisecond, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	}})
	tok := s.AdminToken(t)
	first := gbkMail("order-1@customer.test", "zhang@customer.test", "订单问题", "我的订单还没到，请帮忙查一下。")
	p.Deliver(t, first)

	var ch struct{ CreateChannel struct{ ID string } }
	settings := p.Settings()
	settings["pollInterval"] = 10 // IDLE brings mail at once; this bounds a notification the server never sent
	s.MustDo(t, tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "email", name: "Support mail", settings: $s, secrets: $x}) { id } }`,
		map[string]any{"s": settings, "x": p.Secrets()}, &ch)
	var verified struct {
		VerifyChannel struct{ VerificationState, VerificationError string }
	}
	s.MustDo(t, tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState verificationError } }`, map[string]any{"id": ch.CreateChannel.ID}, &verified)
	if verified.VerifyChannel.VerificationState != "VERIFIED" {
		t.Fatalf("verify: %+v", verified.VerifyChannel)
	}
	s.MustDo(t, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": ch.CreateChannel.ID}, nil)

	type msg struct {
		ID, Body    string
		Attachments []attachment
		Source      *attachment
	}
	var conv struct {
		ID, Subject string
		Customer    struct{ Name string }
		Messages    struct{ Edges []struct{ Node msg } }
	}
	wait := func(n int) {
		t.Helper()
		testenv.EventuallyErr(t, func() error {
			var res struct {
				Conversations struct {
					Edges []struct {
						Node struct {
							ID, Subject string
							Customer    struct{ Name string }
							Messages    struct{ Edges []struct{ Node msg } }
						}
					}
				}
			}
			s.MustDo(t, tok, `{ conversations { edges { node { id subject customer { name } messages { edges { node { id body
				attachments { `+attachmentFields+` } source { `+attachmentFields+` } } } } } } } }`, nil, &res)
			if len(res.Conversations.Edges) != 1 || len(res.Conversations.Edges[0].Node.Messages.Edges) != n {
				return fmt.Errorf("conversations: %+v", res.Conversations.Edges)
			}
			conv = res.Conversations.Edges[0].Node
			return nil
		})
	}
	wait(1)
	in := conv.Messages.Edges[0].Node
	if conv.Subject != "订单问题" || conv.Customer.Name != "张三" || !strings.Contains(in.Body, "我的订单还没到") ||
		len(in.Attachments) != 1 || in.Attachments[0].Name != "发票.pdf" || in.Attachments[0].ContentType != "application/pdf" ||
		in.Source == nil || in.Source.ContentType != "message/rfc822" {
		t.Fatalf("stored mail: %+v %+v", conv, in)
	}
	res, body := fetchLink(t, s, *in.Source.URL)
	if res.StatusCode != 200 || !bytes.Equal(body, first) {
		t.Fatalf("source: %d", res.StatusCode)
	}

	// The agent's reply.
	reply := s.Send(t, tok, conv.ID, "已经帮您查询，明天送达。")
	waitStatus(t, s, tok, reply, "SENT")
	sent := p.Sent()
	if len(sent) != 1 || sent[0].To[0] != "zhang@customer.test" {
		t.Fatalf("sent: %+v", sent)
	}
	m, err := mail.ReadMessage(bytes.NewReader(sent[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	ourID := strings.Trim(m.Header.Get("Message-ID"), "<>")
	if subject != "Re: 订单问题" || m.Header.Get("In-Reply-To") != "<order-1@customer.test>" ||
		!strings.Contains(m.Header.Get("References"), "<order-1@customer.test>") || !strings.HasSuffix(ourID, "@acme.test") {
		t.Fatalf("reply headers: %v", m.Header)
	}
	testenv.EventuallyErr(t, func() error {
		if n := len(p.Mailbox(t, "Sent")); n != 1 {
			return fmt.Errorf("%d mails in Sent", n)
		}
		return nil
	})

	// The customer answers our reply; and the first mail arrives again.
	p.Deliver(t, gbkMail("order-2@customer.test", "zhang@customer.test", "Re: 订单问题", "谢谢！", "In-Reply-To: <"+ourID+">"))
	p.Deliver(t, first)
	wait(3)
	time.Sleep(300 * time.Millisecond) // the duplicate has been fetched by now; it must not appear
	wait(3)
	if b := conv.Messages.Edges[2].Node.Body; !strings.Contains(b, "谢谢") {
		t.Fatalf("the answer: %q", b)
	}

	// The reply bounces at the customer's server: the message is FAILED
	// with the reason, and the bounce is no message.
	p.Deliver(t, []byte("From: MAILER-DAEMON@mx.customer.test\r\nTo: "+emailtest.User+"\r\nSubject: Undelivered Mail Returned to Sender\r\n"+
		"Message-ID: <bounce-1@mx.customer.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"+
		"--r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"+
		"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.test\r\n\r\n"+
		"Final-Recipient: rfc822; zhang@customer.test\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\r\n\r\n"+
		"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <"+ourID+">\r\nSubject: Re: x\r\n\r\n--r--\r\n"))
	if _, reason := waitStatus(t, s, tok, reply, "FAILED"); !strings.Contains(reason, "550") {
		t.Fatalf("bounce reason %q", reason)
	}
	// An auto-reply is stored as one: no person wrote it.
	p.Deliver(t, gbkMail("auto-1@customer.test", "zhang@customer.test", "自动回复", "我正在休假。", "Auto-Submitted: auto-replied"))
	wait(4)
	var auto struct {
		Node struct{ AutoSubmitted bool }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { autoSubmitted } } }`, map[string]any{"id": conv.Messages.Edges[3].Node.ID}, &auto)
	if !auto.Node.AutoSubmitted {
		t.Fatal("the auto-reply is not marked autoSubmitted")
	}
	// A newsletter from someone new is kept, but opens nothing.
	p.Deliver(t, []byte("From: News <news@shop.test>\r\nTo: "+emailtest.User+"\r\nSubject: Sale\r\nMessage-ID: <news-1@shop.test>\r\n"+
		"Precedence: bulk\r\nList-Unsubscribe: <https://shop.test/u>\r\n\r\n50% off\r\n"))
	testenv.EventuallyErr(t, func() error {
		var out struct {
			Conversations struct {
				Edges []struct {
					Node struct{ Status, Subject string }
				}
			}
		}
		s.MustDo(t, tok, `{ conversations(orderBy: {field: CREATED_AT, direction: DESC}) { edges { node { status subject } } } }`, nil, &out)
		if e := out.Conversations.Edges; len(e) != 2 || e[0].Node.Subject != "Sale" || e[0].Node.Status != "RESOLVED" {
			return fmt.Errorf("conversations %+v", e)
		}
		return nil
	})
}

// TestEmailVerify: verifyChannel names what is wrong with a mailbox's
// settings: the password, the TLS mode, a missing mailbox.
func TestEmailVerify(t *testing.T) {
	p := emailtest.Start(t)
	s := testenv.NewTuned(t, testenv.OpenDB(t), []testenv.Tuning{func(o *app.Options) {
		o.Adapters = []channels.Adapter{&email.Adapter{TLSConfig: p.TLSConfig}}
	}})
	tok := s.AdminToken(t)
	var kinds struct {
		ChannelKinds []struct {
			Kind, DisplayName string
			SettingsFields    []struct{ Name, Type string }
			SecretFields      []struct{ Name string }
			Capabilities      struct{ Attachments bool }
		}
	}
	s.MustDo(t, tok, `{ channelKinds { kind displayName settingsFields { name type } secretFields { name } capabilities { attachments } } }`, nil, &kinds)
	found := false
	for _, k := range kinds.ChannelKinds {
		if k.Kind == "email" {
			found = k.DisplayName == "Email" && len(k.SettingsFields) == 15 && k.SettingsFields[0].Name == "imapHost" &&
				k.SettingsFields[2].Type == "SELECT" && len(k.SecretFields) == 2 && k.Capabilities.Attachments
		}
	}
	if !found {
		t.Fatalf("channelKinds has no proper email kind: %+v", kinds)
	}
	for _, c := range []struct {
		name    string
		change  func(settings map[string]any, secrets map[string]string)
		message string
	}{
		{"wrong password", func(_ map[string]any, x map[string]string) { x["imapPassword"] = "wrong-password" }, "IMAP authentication"},
		{"wrong TLS mode", func(st map[string]any, _ map[string]string) { st["imapTLS"] = "starttls" }, "IMAP TLS"},
		{"missing mailbox", func(st map[string]any, _ map[string]string) { st["mailbox"] = "Nowhere" }, "IMAP mailbox"},
		{"wrong SMTP password", func(_ map[string]any, x map[string]string) { x["smtpPassword"] = "wrong-password" }, "SMTP authentication"},
	} {
		settings, secrets := p.Settings(), p.Secrets()
		c.change(settings, secrets)
		var ch struct{ CreateChannel struct{ ID string } }
		s.MustDo(t, tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "email", name: "Mail", settings: $s, secrets: $x}) { id } }`,
			map[string]any{"s": settings, "x": secrets}, &ch)
		var v struct {
			VerifyChannel struct{ VerificationState, VerificationError string }
		}
		s.MustDo(t, tok, `mutation($id: ID!) { verifyChannel(id: $id) { verificationState verificationError } }`, map[string]any{"id": ch.CreateChannel.ID}, &v)
		if v.VerifyChannel.VerificationState != "FAILED" || !strings.Contains(v.VerifyChannel.VerificationError, c.message) {
			t.Errorf("%s: %+v, want FAILED naming %q", c.name, v.VerifyChannel, c.message)
		}
	}
}
