package mail

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func mustParse(t *testing.T, raw []byte) *Mail {
	t.Helper()
	m, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checkClean(t, m)
	return m
}

// checkClean asserts the invariant every Mail keeps.
func checkClean(t testing.TB, m *Mail) {
	t.Helper()
	for _, s := range []string{m.Subject, m.Text, m.HTML, m.MessageID} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Errorf("not clean UTF-8: %q", s)
		}
	}
	for _, p := range m.Problems {
		if strings.HasPrefix(p, "panic") {
			t.Errorf("recovered from a panic: %s", p)
		}
	}
}

func TestParseGBKMixed(t *testing.T) {
	m := mustParse(t, fixture(t, "gbk-mixed.eml"))
	if m.Subject != gbkSubject {
		t.Errorf("Subject = %q, want %q", m.Subject, gbkSubject)
	}
	if want := strings.TrimSpace(gbkText); m.Text != want {
		t.Errorf("Text = %q, want %q", m.Text, want)
	}
	if m.From == nil || *m.From != (Address{Name: "张三", Email: "Zhang.San@example.com"}) {
		t.Errorf("From = %+v", m.From)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("Attachments = %d, want 1", len(m.Attachments))
	}
	a := m.Attachments[0]
	if a.Name != "发票.pdf" || a.ContentType != "application/pdf" || a.Inline {
		t.Errorf("attachment = %q %q inline=%v", a.Name, a.ContentType, a.Inline)
	}
	if !bytes.Equal(a.Data, pdf()) {
		t.Errorf("attachment bytes differ: %d bytes, want %d", len(a.Data), len(pdf()))
	}
	if want := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC); !m.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", m.Date, want)
	}
	if m.MessageID != "gbk-1@example.com" || m.AutoSubmitted || m.Bounce != nil || len(m.Problems) > 0 {
		t.Errorf("MessageID %q auto %v bounce %v problems %q", m.MessageID, m.AutoSubmitted, m.Bounce, m.Problems)
	}
}

func TestParseCharsets(t *testing.T) {
	tests := []struct {
		file, subject, text, fromName string
	}{
		{"big5.eml", "訂單查詢", "請問我的訂單何時出貨？", "陳小姐"},
		{"gb2312.eml", "退款申请", "我想申请退款。", ""},
		{"gb18030.eml", "姓名𠮷田", "𠮷野家的发票€", ""},
		{"iso2022jp.eml", "お問い合わせ", "こんにちは、世界。", "山田"},
		{"latin1.eml", "Grüße", "Grüße aus Köln, café crème.", "José Müller"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := mustParse(t, fixture(t, tt.file))
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
			if m.From == nil || m.From.Name != tt.fromName {
				t.Errorf("From = %+v, want name %q", m.From, tt.fromName)
			}
			if len(m.Problems) > 0 {
				t.Errorf("Problems = %q", m.Problems)
			}
		})
	}
}

func TestParseAlternative(t *testing.T) {
	m := mustParse(t, fixture(t, "alternative.eml"))
	if m.Text != "Hello there,\nSee the logo." {
		t.Errorf("Text = %q", m.Text)
	}
	for _, bad := range []string{"<script", "alert", "onclick", "steal()"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML keeps %q: %s", bad, m.HTML)
		}
	}
	for _, good := range []string{`src="cid:logo@sb"`, "<b>there</b>"} {
		if !strings.Contains(m.HTML, good) {
			t.Errorf("HTML lost %q: %s", good, m.HTML)
		}
	}
	wantTo := []Address{{"Support", "support@switchboard.test"}, {"", "bob@example.org"}}
	if !equalAddrs(m.To, wantTo) || !equalAddrs(m.Cc, []Address{{"Carol, C.", "carol@example.org"}}) ||
		!equalAddrs(m.ReplyTo, []Address{{"", "replies@example.org"}}) {
		t.Errorf("To %v Cc %v Reply-To %v", m.To, m.Cc, m.ReplyTo)
	}
	if m.From.Email != "alice@example.org" || len(m.Attachments) != 0 {
		t.Errorf("From %v attachments %d", m.From, len(m.Attachments))
	}
}

func equalAddrs(a, b []Address) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseHTMLOnly(t *testing.T) {
	m := mustParse(t, fixture(t, "html-only.eml"))
	want := "Order update\n\n" +
		"Your order has shipped.\nTrack it here (https://track.example/123).\n\n" +
		"- Item one\n- Item two\n" +
		"Questions? Write to help@example.com"
	if m.Text != want {
		t.Errorf("Text =\n%s\nwant\n%s", m.Text, want)
	}
	for _, bad := range []string{"secret", "display", "Ignored title"} {
		if strings.Contains(m.Text, bad) || strings.Contains(m.HTML, "var secret") {
			t.Errorf("Text keeps %q", bad)
		}
	}
	if m.HTML == "" {
		t.Error("HTML is empty")
	}
}

func TestParseRelatedInline(t *testing.T) {
	m := mustParse(t, fixture(t, "related.eml"))
	if m.Text != "Our logo is attached." {
		t.Errorf("Text = %q", m.Text)
	}
	if !strings.Contains(m.HTML, `src="cid:logo.123@example.org"`) {
		t.Errorf("HTML lost the cid image: %s", m.HTML)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("Attachments = %+v", m.Attachments)
	}
	a := m.Attachments[0]
	if !a.Inline || a.ContentID != "logo.123@example.org" || a.ContentType != "image/png" || !bytes.Equal(a.Data, png()) {
		t.Errorf("inline part = %q %q inline=%v %d bytes", a.ContentID, a.ContentType, a.Inline, len(a.Data))
	}
}
