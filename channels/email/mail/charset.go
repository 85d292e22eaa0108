package mail

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	gmcharset "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// superset maps charset labels to the encoding mail labelled so is really
// written in: GB2312 mail is usually GBK, GBK a subset of GB18030, and
// ISO-8859-1 mail often carries Windows-1252 quotes (as browsers assume).
var superset = map[string]encoding.Encoding{
	"gb2312": simplifiedchinese.GB18030, "csgb2312": simplifiedchinese.GB18030,
	"gb_2312-80": simplifiedchinese.GB18030, "euc-cn": simplifiedchinese.GB18030,
	"x-euc-cn": simplifiedchinese.GB18030, "gbk": simplifiedchinese.GB18030,
	"x-gbk": simplifiedchinese.GB18030, "cp936": simplifiedchinese.GB18030,
	"ms936": simplifiedchinese.GB18030, "windows-936": simplifiedchinese.GB18030,
	"gb18030": simplifiedchinese.GB18030, "chinese": simplifiedchinese.GB18030,
	"big5": traditionalchinese.Big5, "csbig5": traditionalchinese.Big5,
	"cn-big5": traditionalchinese.Big5, "x-x-big5": traditionalchinese.Big5,
	"big5-hkscs": traditionalchinese.Big5,
	"iso-8859-1": charmap.Windows1252, "iso8859-1": charmap.Windows1252,
	"latin1": charmap.Windows1252, "l1": charmap.Windows1252,
	"iso_8859-1": charmap.Windows1252, "cp819": charmap.Windows1252,
}

// decodeCharset converts b, written in the named charset, to clean UTF-8.
// known is false when the charset is not one we can decode; b is then kept
// with its invalid bytes replaced.
func decodeCharset(label string, b []byte) (s string, known bool) {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968":
		return clean(string(b)), true
	}
	if enc, ok := superset[label]; ok {
		out, err := enc.NewDecoder().Bytes(b)
		if err != nil {
			return clean(string(b)), false
		}
		return clean(string(out)), true
	}
	r, err := gmcharset.Reader(label, bytes.NewReader(b))
	if err != nil {
		return clean(string(b)), false
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return clean(string(b)), false
	}
	return clean(string(out)), true
}

// clean makes s valid UTF-8 without NUL bytes or a byte-order mark.
func clean(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}
