package mail

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func hasProblem(m *Mail, sub string) bool {
	for _, p := range m.Problems {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}

func TestParseBroken(t *testing.T) {
	t.Run("truncated base64", func(t *testing.T) {
		m := mustParse(t, fixture(t, "truncated-base64.eml"))
		if m.Text != "The file is attached." {
			t.Errorf("Text = %q", m.Text)
		}
		if len(m.Attachments) != 1 || m.Attachments[0].Name != "data.bin" {
			t.Fatalf("Attachments = %+v", m.Attachments)
		}
		// The stray "!!" is dropped; the bytes before the cut decode.
		want := make([]byte, 51)
		for i := range want {
			want[i] = byte(i)
		}
		if got := m.Attachments[0].Data; !bytes.HasPrefix(got, want[:33]) {
			t.Errorf("Data = %v", got)
		}
		if len(m.Problems) == 0 {
			t.Error("no problem noted")
		}
	})
	t.Run("unknown charset", func(t *testing.T) {
		m := mustParse(t, fixture(t, "unknown-charset.eml"))
		if m.Text != "plain ascii survives" || m.Subject != "hello world" {
			t.Errorf("Text %q Subject %q", m.Text, m.Subject)
		}
		if !hasProblem(m, "x-unknown-42") {
			t.Errorf("Problems = %q", m.Problems)
		}
	})
	t.Run("no body", func(t *testing.T) {
		m := mustParse(t, fixture(t, "no-body.eml"))
		if m.Subject != "nothing" || m.Text != "" || m.From.Email != "x@example.com" {
			t.Errorf("Subject %q Text %q From %v", m.Subject, m.Text, m.From)
		}
	})
	t.Run("garbage body", func(t *testing.T) {
		m := mustParse(t, fixture(t, "garbage-body.eml"))
		if m.Subject != "noise" || m.Text == "" {
			t.Errorf("Subject %q, Text %d bytes", m.Subject, len(m.Text))
		}
	})
	t.Run("garbage", func(t *testing.T) {
		if _, err := Parse(fixture(t, "garbage.bin")); !errors.Is(err, ErrNoHeader) {
			t.Errorf("err = %v, want ErrNoHeader", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if _, err := Parse(nil); !errors.Is(err, ErrNoHeader) {
			t.Errorf("err = %v, want ErrNoHeader", err)
		}
	})
}

func TestParseEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		raw     []byte
		text    string
		problem string // a substring of a Problem; "" for none
	}{
		{"malformed header line keeps the fields before it", new(msg).l("Subject: ok", "this is not a header", "", "body").Bytes(), "", "header"},
		{"multipart without boundary", hdr("Content-Type: multipart/mixed"), "body", "no boundary"},
		{"missing closing boundary", new(msg).l(`Content-Type: multipart/mixed; boundary="x"`, "", "--x", "", "first").Bytes(), "first", ""},
		{"unknown transfer encoding", hdr("Content-Transfer-Encoding: x-uuencode"), "body", "transfer encoding"},
		{"NUL and invalid UTF-8 in text", new(msg).l("Subject: a\x00b\xff", "", "x\x00y\xfez").Bytes(), "xy\uFFFDz", ""},
		{"GBK filename in RFC 2231", new(msg).l(
			`Content-Type: multipart/mixed; boundary="x"`, "", "--x",
			"Content-Type: application/octet-stream",
			"Content-Disposition: attachment; filename*=GBK''%B7%A2%C6%B1.pdf",
			"", "data", "--x--").Bytes(), "", ""},
		{"deep nesting", deepNesting(50), "", "too deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.raw)
			if tt.text != "" && m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
			if tt.problem != "" && !hasProblem(m, tt.problem) {
				t.Errorf("Problems = %q, want one with %q", m.Problems, tt.problem)
			}
		})
	}
}

func deepNesting(n int) []byte {
	var b msg
	b.l("Subject: deep")
	for i := range n {
		b.l(`Content-Type: multipart/mixed; boundary="b`+string(rune('a'+i%26))+string(rune('a'+i/26))+`"`, "", "--b"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	b.l("", "leaf")
	return b.Bytes()
}

func TestParseGBKFilename2231(t *testing.T) {
	m := mustParse(t, new(msg).l(
		`Content-Type: multipart/mixed; boundary="x"`, "", "--x",
		"Content-Type: application/octet-stream",
		"Content-Disposition: attachment;",
		" filename*0*=GBK''%B7%A2;",
		" filename*1*=%C6%B1.pdf",
		"", "data", "--x--").Bytes())
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "发票.pdf" {
		t.Errorf("Attachments = %+v", m.Attachments)
	}
	m = mustParse(t, new(msg).l(
		`Content-Type: multipart/mixed; boundary="x"`, "", "--x",
		`Content-Type: application/pdf; name="=?UTF-8?B?5Y+R56WoLnBkZg==?="`,
		"", "data", "--x--").Bytes())
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "发票.pdf" {
		t.Errorf("RFC 2047 name: Attachments = %+v", m.Attachments)
	}
}

// TestParseSizeBudget: attachments never exceed the raw message's size.
func TestParseSizeBudget(t *testing.T) {
	for name, raw := range fixtures(t) {
		m, err := Parse(raw)
		if err != nil {
			continue
		}
		total := 0
		for _, a := range m.Attachments {
			total += len(a.Data)
		}
		if total > len(raw) {
			t.Errorf("%s: %d decoded bytes from %d raw", name, total, len(raw))
		}
	}
}
