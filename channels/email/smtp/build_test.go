package smtp

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
)

const chineseSubject = "Re: 关于我的订单 #1024 的退款问题，请尽快处理，谢谢！"

// testMail is a reply with a Chinese subject, threading headers and an
// attachment whose name is not ASCII.
func testMail() Mail {
	return Mail{
		MessageID:  "out-42@acme.test",
		To:         Address{Name: "张三", Email: "zhang@example.com"},
		Subject:    chineseSubject,
		InReplyTo:  "c2@example.com",
		References: []string{"c1@example.com", "c2@example.com"},
		ReplyTo:    "reply+k3y@acme.test",
		Text:       "Hello <Zhang>,\n\nYour refund is on its way.\nIt takes 3 days.\n",
		Attachments: []channels.Attachment{
			bytesAttachment("退款单 Nº 1024.pdf", "application/pdf", []byte("%PDF-1.4\x00\x01\xff refund")),
		},
		Date: time.Date(2026, 11, 28, 10, 30, 0, 0, time.FixedZone("CST", 8*3600)),
	}
}

func bytesAttachment(name, contentType string, data []byte) channels.Attachment {
	return channels.Attachment{
		Name: name, ContentType: contentType, Size: int64(len(data)),
		Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		},
	}
}

// parsed is a mail as the standard library reads it.
type parsed struct {
	Header      mail.Header
	Text, HTML  string
	Attachments []parsedAttachment
}

type parsedAttachment struct {
	Name, ContentType string
	Data              []byte
}

func parseMail(t *testing.T, data []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parsing the mail: %v", err)
	}
	p := parsed{Header: msg.Header}
	if err := p.walk(msg.Header.Get("Content-Type"), "", "", msg.Body); err != nil {
		t.Fatalf("parsing the body: %v", err)
	}
	return p
}

func (p *parsed) walk(contentType, disposition, encoding string, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			part, err := r.NextPart() // decodes quoted-printable
			if errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
			err = p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Disposition"),
				part.Header.Get("Content-Transfer-Encoding"), part)
			if err != nil {
				return err
			}
		}
	}
	if strings.EqualFold(encoding, "base64") {
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch disp, dparams, _ := mime.ParseMediaType(disposition); {
	case disp == "attachment":
		p.Attachments = append(p.Attachments, parsedAttachment{Name: dparams["filename"], ContentType: mediaType, Data: b})
	case mediaType == "text/plain":
		p.Text = string(b)
	case mediaType == "text/html":
		p.HTML = string(b)
	default:
		return fmt.Errorf("unexpected part %s", mediaType)
	}
	return nil
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("decoding %q: %v", v, err)
	}
	return s
}

func checkWireFormat(t *testing.T, data []byte) {
	t.Helper()
	header, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for i, line := range bytes.Split(data, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 998 {
			t.Errorf("line %d is %d characters long", i+1, len(line))
		}
	}
	for _, line := range bytes.Split(header, []byte("\r\n")) {
		if len(line) > 78 {
			t.Errorf("header line not folded (%d characters): %q", len(line), line)
		}
	}
	for _, b := range data {
		if b >= 0x80 {
			t.Fatalf("8-bit byte %#x in the mail", b)
		}
	}
}

func TestBuildDeterministicAndWellFormed(t *testing.T) {
	c := Config{FromAddress: "support@acme.test", FromName: "Acme 客服", Signature: "Acme Support"}
	m := testMail()
	m.Subject = "Re: " + strings.Repeat("很长的主题 ", 40)
	for i := range 30 {
		m.References = append(m.References, fmt.Sprintf("ref-%02d.%s@mail.example.com", i, strings.Repeat("x", 20)))
	}
	m.Attachments = append(m.Attachments,
		bytesAttachment(strings.Repeat("非常长的文件名", 30)+".txt", "", []byte("line one\nline two\n")))
	first, err := Build(context.Background(), c, m)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Build(context.Background(), c, m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("Build is not deterministic")
	}
	checkWireFormat(t, first)

	got := parseMail(t, first)
	if s := decodeHeader(t, got.Header.Get("Subject")); s != strings.TrimSpace(m.Subject) {
		t.Errorf("subject = %q", s)
	}
	refs := strings.Fields(got.Header.Get("References"))
	if len(refs) != maxReferences || refs[0] != "<c1@example.com>" || refs[len(refs)-1] != "<ref-29."+strings.Repeat("x", 20)+"@mail.example.com>" {
		t.Errorf("references = %q: want the first and the %d latest", refs, maxReferences-1)
	}
	if len(got.Attachments) != 2 || got.Attachments[1].Name != strings.Repeat("非常长的文件名", 30)+".txt" ||
		got.Attachments[1].ContentType != "text/plain" || string(got.Attachments[1].Data) != "line one\nline two\n" {
		t.Errorf("second attachment = %+v", got.Attachments[1])
	}
	for _, h := range []string{"Auto-Submitted", "X-Mailer", "User-Agent"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("%s: %s is set", h, v)
		}
	}
	if got.Header.Get("Mime-Version") != "1.0" {
		t.Error("no MIME-Version")
	}
}

func TestBuildBodies(t *testing.T) {
	c := Config{FromAddress: "support@acme.test", Signature: "Acme <Support>\r\nacme.test"}
	tests := []struct {
		name, text, html string
		wantText         string
		wantHTML         []string
	}{{
		name:     "generated HTML",
		text:     "Hi & welcome,\r\n\r\n\r\nline 1\nline 2  \n\n",
		wantText: "Hi & welcome,\r\n\r\n\r\nline 1\r\nline 2\r\n\r\n-- \r\nAcme <Support>\r\nacme.test\r\n",
		wantHTML: []string{
			"<p>Hi &amp; welcome,</p>\r\n<p>line 1<br>\r\nline 2</p>\r\n",
			"<div class=\"signature\">-- <br>\r\nAcme &lt;Support&gt;<br>\r\nacme.test</div>\r\n</body>",
		},
	}, {
		name:     "given HTML",
		text:     "Hi",
		html:     "<html><body><p>Hi</p></body></html>",
		wantText: "Hi\r\n\r\n-- \r\nAcme <Support>\r\nacme.test\r\n",
		wantHTML: []string{"<p>Hi</p><div class=\"signature\">-- <br>\r\nAcme &lt;Support&gt;<br>\r\nacme.test</div>\r\n</body></html>"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Mail{MessageID: "a@acme.test", To: Address{Email: "c@example.com"}, Subject: "Hi", Text: tt.text, HTML: tt.html}
			data, err := Build(context.Background(), c, m)
			if err != nil {
				t.Fatal(err)
			}
			checkWireFormat(t, data)
			got := parseMail(t, data)
			if got.Text != tt.wantText {
				t.Errorf("text = %q, want %q", got.Text, tt.wantText)
			}
			for _, want := range tt.wantHTML {
				if !strings.Contains(got.HTML, want) {
					t.Errorf("HTML = %q, want it to contain %q", got.HTML, want)
				}
			}
		})
	}
}

func TestBuildHeaders(t *testing.T) {
	c := Config{FromAddress: "support@acme.test", FromName: "Acme Support, Inc."}
	m := Mail{
		MessageID: "<id-1@acme.test>", To: Address{Email: "c@example.com"},
		Subject:    "Re: order\r\nBcc: victim@example.com",
		InReplyTo:  "parent@example.com",
		References: []string{"root@example.com", "bad id", "root@example.com"},
		Date:       time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC),
	}
	data, err := Build(context.Background(), c, m)
	if err != nil {
		t.Fatal(err)
	}
	got := parseMail(t, data).Header
	want := map[string]string{
		"From":        `"Acme Support, Inc." <support@acme.test>`,
		"To":          "<c@example.com>",
		"Subject":     "Re: order  Bcc: victim@example.com",
		"Message-Id":  "<id-1@acme.test>",
		"In-Reply-To": "<parent@example.com>",
		"References":  "<root@example.com> <parent@example.com>",
		"Date":        "Sat, 28 Nov 2026 09:00:00 +0000",
		"Bcc":         "",
		"Reply-To":    "",
	}
	for k, v := range want {
		if g := got.Get(k); g != v {
			t.Errorf("%s = %q, want %q", k, g, v)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	c := Config{FromAddress: "support@acme.test"}
	ok := Mail{MessageID: "a@acme.test", To: Address{Email: "c@example.com"}}
	failing := channels.Attachment{Name: "x.pdf", Open: func(context.Context) (io.ReadCloser, error) {
		return nil, errors.New("storage down")
	}}
	tests := []struct {
		name      string
		c         Config
		edit      func(*Mail)
		permanent bool
	}{
		{"no message id", c, func(m *Mail) { m.MessageID = "" }, true},
		{"message id without @", c, func(m *Mail) { m.MessageID = "abc" }, true},
		{"bad recipient", c, func(m *Mail) { m.To.Email = "Zhang <z@example.com>" }, true},
		{"bad reply-to", c, func(m *Mail) { m.ReplyTo = "reply+k@" }, true},
		{"no from address", Config{}, func(*Mail) {}, true},
		{"attachment without Open", c, func(m *Mail) { m.Attachments = []channels.Attachment{{Name: "x"}} }, true},
		{"attachment that cannot be read", c, func(m *Mail) { m.Attachments = []channels.Attachment{failing} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.edit(&m)
			_, err := Build(context.Background(), tt.c, m)
			var ce *channels.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *channels.Error", err)
			}
			if ce.Permanent != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", ce.Permanent, tt.permanent, err)
			}
		})
	}
}
