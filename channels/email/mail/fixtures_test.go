package mail

import (
	"bytes"
	"encoding/base64"
	"flag"
	"math/rand/v2"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

var update = flag.Bool("update", false, "rewrite testdata/*.eml from the generator")

// TestFixtures keeps testdata in step with the generator below, which
// writes real encodings (GBK, Big5... bytes from golang.org/x/text).
// Run with -update after changing it.
func TestFixtures(t *testing.T) {
	for name, raw := range fixtures(t) {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test -update)", name, err)
		}
		if !bytes.Equal(got, raw) {
			t.Errorf("%s differs from the generator (run go test -update)", name)
		}
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// msg builds a raw mail from text lines (joined with CRLF) and raw byte
// pieces, so bodies can carry bytes that are not UTF-8.
type msg struct{ bytes.Buffer }

func (m *msg) l(lines ...string) *msg {
	for _, s := range lines {
		m.WriteString(s + "\r\n")
	}
	return m
}

func (m *msg) b(b []byte) *msg { m.Write(b); return m }

func enc(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func bWord(charset string, b []byte) string {
	return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

func qWord(charset string, b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c > ' ' && c < 0x7f && c != '=' && c != '?' && c != '_' {
			s.WriteByte(c)
		} else {
			s.WriteString("=" + strings.ToUpper(hex2(c)))
		}
	}
	return "=?" + charset + "?Q?" + s.String() + "?="
}

func hex2(c byte) string { const h = "0123456789abcdef"; return string([]byte{h[c>>4], h[c&15]}) }

func qp(b []byte) []byte {
	var out bytes.Buffer
	w := quotedprintable.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func b64(b []byte) []byte {
	s := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s + "\r\n")
	return out.Bytes()
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// pdf is the attachment of gbk-mixed.eml: every byte value once.
func pdf() []byte {
	b := []byte("%PDF-1.4\n")
	for i := range 256 {
		b = append(b, byte(i))
	}
	return append(b, "\n%%EOF\n"...)
}

// png is a small image's bytes (not a valid PNG: content does not matter).
func png() []byte {
	return append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 40)...)
}

const (
	gbkText    = "您好，我的发票还没有收到。\n请尽快处理，谢谢！\n"
	gbkSubject = "关于发票的问题"
)

func fixtures(t testing.TB) map[string][]byte {
	gbk := simplifiedchinese.GBK
	subj := enc(t, gbk, gbkSubject)
	f := map[string][]byte{}

	// A GBK character split across two encoded words, as some mailers do.
	f["gbk-mixed.eml"] = new(msg).l(
		"From: "+bWord("GBK", enc(t, gbk, "张三"))+" <Zhang.San@Example.COM>",
		"To: support@switchboard.test",
		"Subject: "+bWord("GBK", subj[:5]),
		" "+bWord("GBK", subj[5:]),
		"Date: Sat, 28 Nov 2026 10:00:00 +0800",
		"Message-ID: <gbk-1@example.com>",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="=_b1"`,
		"",
		"This is a multi-part message in MIME format.",
		"--=_b1",
		"Content-Type: text/plain; charset=GBK",
		"Content-Transfer-Encoding: quoted-printable",
		"",
	).b(qp(crlf(string(enc(t, gbk, gbkText))))).l(
		"",
		"--=_b1",
		`Content-Type: application/pdf; name="invoice.pdf"`,
		"Content-Disposition: attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf",
		"Content-Transfer-Encoding: base64",
		"",
	).b(b64(pdf())).l("--=_b1--").Bytes()

	f["big5.eml"] = new(msg).l(
		"From: "+qWord("big5", enc(t, traditionalchinese.Big5, "陳小姐"))+" <chen@example.tw>",
		"Subject: "+bWord("Big5", enc(t, traditionalchinese.Big5, "訂單查詢")),
		"Content-Type: text/plain; charset=big5",
		"Content-Transfer-Encoding: 8bit",
		"",
	).b(crlf(string(enc(t, traditionalchinese.Big5, "請問我的訂單何時出貨？\n")))).Bytes()

	f["gb2312.eml"] = new(msg).l(
		"From: li@example.cn",
		"Subject: "+qWord("gb2312", enc(t, gbk, "退款申请")),
		"Content-Type: text/plain; charset=\"gb2312\"",
		"Content-Transfer-Encoding: base64",
		"",
	).b(b64(crlf(string(enc(t, gbk, "我想申请退款。\n"))))).Bytes()

	f["gb18030.eml"] = new(msg).l(
		"From: wang@example.cn",
		"Subject: "+bWord("GB18030", enc(t, simplifiedchinese.GB18030, "姓名𠮷田")),
		"Content-Type: text/plain; charset=GB18030",
		"Content-Transfer-Encoding: quoted-printable",
		"",
	).b(qp(crlf(string(enc(t, simplifiedchinese.GB18030, "𠮷野家的发票€\n"))))).Bytes()

	f["iso2022jp.eml"] = new(msg).l(
		"From: "+bWord("ISO-2022-JP", enc(t, japanese.ISO2022JP, "山田"))+" <yamada@example.jp>",
		"Subject: "+bWord("ISO-2022-JP", enc(t, japanese.ISO2022JP, "お問い合わせ")),
		"Content-Type: text/plain; charset=ISO-2022-JP",
		"Content-Transfer-Encoding: 7bit",
		"",
	).b(crlf(string(enc(t, japanese.ISO2022JP, "こんにちは、世界。\n")))).Bytes()

	f["latin1.eml"] = new(msg).l(
		"From: "+qWord("ISO-8859-1", enc(t, charmap.ISO8859_1, "José Müller"))+" <jose@example.de>",
		"Subject: "+qWord("ISO-8859-1", enc(t, charmap.ISO8859_1, "Grüße")),
		"Content-Type: text/plain; charset=iso-8859-1",
		"Content-Transfer-Encoding: quoted-printable",
		"",
	).b(qp(crlf(string(enc(t, charmap.ISO8859_1, "Grüße aus Köln, café crème.\n"))))).Bytes()

	for k, v := range moreFixtures(t) {
		f[k] = v
	}
	return f
}

// garbage is deterministic binary noise.
func garbage(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
