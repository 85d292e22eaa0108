package mail

import (
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var encodedWord = regexp.MustCompile(`=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=`)

// wordDecoder decodes RFC 2047 encoded words in header values. Unlike
// mime.WordDecoder it joins adjacent words of one charset before decoding,
// so a GBK character split across two words survives, and it decodes raw
// 8-bit text in the charset the body declared.
type wordDecoder struct {
	fallback string       // charset for raw 8-bit header text
	problem  func(string) // notes what could not be decoded
}

// decode returns v with its encoded words decoded, as clean UTF-8.
func (d wordDecoder) decode(v string) string {
	matches := encodedWord.FindAllStringSubmatchIndex(v, -1)
	if len(matches) == 0 {
		return d.raw(v)
	}
	var out strings.Builder
	var pending []byte
	pendingCharset := ""
	flush := func() {
		if len(pending) > 0 {
			s, ok := decodeCharset(pendingCharset, pending)
			if !ok {
				d.problem("header: unknown charset " + strconv.Quote(pendingCharset))
			}
			out.WriteString(s)
		}
		pending, pendingCharset = nil, ""
	}
	last := 0
	for _, m := range matches {
		gap := v[last:m[0]]
		if last == 0 || strings.TrimSpace(gap) != "" {
			flush()
			out.WriteString(d.raw(gap))
		}
		cs, _, _ := strings.Cut(v[m[2]:m[3]], "*") // RFC 2231 language suffix
		b, ok := wordBytes(v[m[4]:m[5]], v[m[6]:m[7]])
		if !ok {
			d.problem("header: malformed encoded word")
		}
		if !strings.EqualFold(cs, pendingCharset) {
			flush()
			pendingCharset = cs
		}
		pending = append(pending, b...)
		last = m[1]
	}
	flush()
	out.WriteString(d.raw(v[last:]))
	return out.String()
}

// raw decodes header text that is not an encoded word.
func (d wordDecoder) raw(s string) string {
	if utf8.ValidString(s) {
		return clean(s)
	}
	out, _ := decodeCharset(d.fallback, []byte(s))
	return out
}

// wordBytes decodes an encoded word's text; ok is false when it was
// malformed (what could be decoded is still returned).
func wordBytes(enc, text string) ([]byte, bool) {
	if enc == "b" || enc == "B" {
		text = strings.TrimRight(text, "=")
		b, err := base64.RawStdEncoding.DecodeString(text)
		if err != nil {
			n := len(text) / 4 * 4
			b, _ = base64.RawStdEncoding.DecodeString(text[:n])
			return b, false
		}
		return b, true
	}
	b := make([]byte, 0, len(text))
	ok := true
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '_':
			b = append(b, ' ')
		case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			b = append(b, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 2
		case c == '=':
			ok = false
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return b, ok
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
