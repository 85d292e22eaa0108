package mail

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// hdr builds a headers-only mail with a short text body.
func hdr(lines ...string) []byte {
	return new(msg).l(lines...).l("", "body").Bytes()
}

func TestParseThreading(t *testing.T) {
	tests := []struct {
		name       string
		raw        []byte
		id         string
		inReplyTo  []string
		references []string
	}{
		{"brackets and folding", hdr(
			"Message-ID: <m3@example.com>",
			"In-Reply-To: <m2@example.com> <m2b@example.com>",
			"References: <m0@example.com>",
			"\t<m1@example.com>",
			" <m2@example.com>",
		), "m3@example.com", []string{"m2@example.com", "m2b@example.com"}, []string{"m0@example.com", "m1@example.com", "m2@example.com"}},
		{"no brackets", hdr(
			"Message-Id: m3@example.com",
			"In-Reply-To: m2@example.com",
			"References: m1@example.com, m2@example.com",
		), "m3@example.com", []string{"m2@example.com"}, []string{"m1@example.com", "m2@example.com"}},
		{"comment around id", hdr(
			"Message-ID: <m3@example.com> (sent by Foo)",
			`In-Reply-To: <m2@example.com> (Alice's message of "Sat, 28 Nov")`,
		), "m3@example.com", []string{"m2@example.com"}, nil},
		{"missing", hdr("Subject: hi"), "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.raw)
			if m.MessageID != tt.id || !slices.Equal(m.InReplyTo, tt.inReplyTo) || !slices.Equal(m.References, tt.references) {
				t.Errorf("got %q %q %q, want %q %q %q", m.MessageID, m.InReplyTo, m.References, tt.id, tt.inReplyTo, tt.references)
			}
		})
	}
}

func TestParseAddresses(t *testing.T) {
	tests := []struct {
		name string
		from string
		want Address
	}{
		{"plain", "From: a@Example.COM", Address{"", "a@example.com"}},
		{"local part kept", "From: John.Doe@EXAMPLE.com", Address{"", "John.Doe@example.com"}},
		{"quoted encoded word", `From: "=?UTF-8?B?5byg5LiJ?=" <zs@example.cn>`, Address{"张三", "zs@example.cn"}},
		{"raw UTF-8 name", "From: 张三 <zs@example.cn>", Address{"张三", "zs@example.cn"}},
		{"malformed list", "From: Foo Bar <foo@example.com>>, ", Address{"Foo Bar", "foo@example.com"}},
		{"unknown charset name", "From: =?x-nope?Q?Foo?= <foo@example.com>", Address{"Foo", "foo@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, hdr(tt.from))
			if m.From == nil || *m.From != tt.want {
				t.Errorf("From = %+v, want %+v", m.From, tt.want)
			}
		})
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		date string
		want time.Time
	}{
		{"Sat, 28 Nov 2026 10:00:00 +0000", want},
		{"Sat, 28 Nov 2026 18:00:00 +0800 (CST)", want},
		{"28 Nov 2026 10:00:00 GMT", want},
		{"Sat,  28 Nov 2026  10:00:00  +0000", want},
		{"2026-11-28T10:00:00Z", want},
		{"yesterday", time.Time{}},
	}
	for _, tt := range tests {
		m := mustParse(t, hdr("Date: "+tt.date))
		if !m.Date.Equal(tt.want) {
			t.Errorf("Date %q = %v, want %v", tt.date, m.Date, tt.want)
		}
	}
}

// Raw 8-bit GBK in headers (no encoded words) is read in the charset the
// body declares.
func TestParseRawGBKHeaders(t *testing.T) {
	gbk := simplifiedchinese.GBK
	raw := new(msg).l("Subject: "+string(enc(t, gbk, "发票")), "From: "+string(enc(t, gbk, "张三"))+" <zs@example.cn>",
		"Content-Type: text/plain; charset=gbk", "").b(enc(t, gbk, "正文")).Bytes()
	m := mustParse(t, raw)
	if m.Subject != "发票" || m.From == nil || m.From.Name != "张三" || m.Text != "正文" {
		t.Errorf("Subject %q From %+v Text %q", m.Subject, m.From, m.Text)
	}
}

func TestParseFlowed(t *testing.T) {
	m := mustParse(t, new(msg).l("Content-Type: text/plain; format=flowed; delsp=no", "",
		"This line is ", "wrapped.", " From the start", "-- ", "sig").Bytes())
	if want := "This line is wrapped.\nFrom the start\n-- \nsig"; m.Text != want {
		t.Errorf("Text = %q, want %q", m.Text, want)
	}
}

func TestParseSubjectOneLine(t *testing.T) {
	m := mustParse(t, hdr("Subject: =?UTF-8?Q?a=0D=0Ab=09c?="))
	if m.Subject != "a b c" {
		t.Errorf("Subject = %q", m.Subject)
	}
}
