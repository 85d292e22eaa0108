package mail

import (
	"mime"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	htmlcharset "golang.org/x/net/html/charset"
)

// mediaType parses a Content-Type or Content-Disposition value into a
// lower-case type and parameters. RFC 2231 (continuations, any charset)
// and malformed values (unquoted spaces, stray semicolons) are handled.
func mediaType(v, def string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || missing2231(v, params) {
		mt, params = looseMediaType(v)
	}
	if mt == "" {
		mt = def
	}
	return mt, params
}

// missing2231 reports a parameter mime.ParseMediaType dropped: it decodes
// RFC 2231 values only in UTF-8 and US-ASCII.
func missing2231(v string, params map[string]string) bool {
	for _, k := range []string{"filename", "name"} {
		if params[k] == "" && strings.Contains(strings.ToLower(v), k+"*") {
			return true
		}
	}
	return false
}

var param = regexp.MustCompile(`(?s);\s*([A-Za-z0-9!#$&+\-^_.~]+)(\*[0-9]+)?(\*)?\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)`)

// looseMediaType is the forgiving parser behind mediaType.
func looseMediaType(v string) (string, map[string]string) {
	mt, _, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if strings.ContainsAny(mt, " \t\"=") {
		mt = ""
	}
	params := map[string]string{}
	type piece struct{ val, charset string }
	cont := map[string][]piece{}
	for _, m := range param.FindAllStringSubmatch(v, -1) {
		key := strings.ToLower(m[1])
		val := strings.TrimSpace(m[4])
		if strings.HasPrefix(val, `"`) {
			val = strings.ReplaceAll(strings.Trim(val, `"`), `\"`, `"`)
		}
		if m[2] == "" && m[3] == "" {
			if _, ok := params[key]; !ok {
				params[key] = val
			}
			continue
		}
		pc := piece{val: val}
		if m[3] != "" {
			pc.charset = "-" // percent-encoded
			if len(cont[key]) == 0 {
				if cs, rest, ok := cutCharset(val); ok {
					pc.charset, pc.val = cs, rest
				}
			}
		}
		cont[key] = append(cont[key], pc)
	}
	for key, pieces := range cont {
		var raw []byte
		cs := ""
		for i, pc := range pieces {
			if i == 0 && pc.charset != "-" {
				cs = pc.charset
			}
			if pc.charset != "" {
				u, err := url.PathUnescape(pc.val)
				if err != nil {
					u = pc.val
				}
				raw = append(raw, u...)
			} else {
				raw = append(raw, pc.val...)
			}
		}
		s, _ := decodeCharset(cs, raw)
		params[key] = s
	}
	return mt, params
}

// cutCharset splits an RFC 2231 value charset'lang'text.
func cutCharset(v string) (charset, rest string, ok bool) {
	cs, after, ok := strings.Cut(v, "'")
	if !ok {
		return "", v, false
	}
	_, rest, ok = strings.Cut(after, "'")
	if !ok {
		return "", v, false
	}
	return cs, rest, true
}

// decodeText converts a text part to UTF-8; ok is false when its charset
// is unknown. HTML without a charset parameter is read by its <meta>.
func decodeText(mt, label string, data []byte) (string, bool) {
	if label == "" && mt == "text/html" && !utf8.Valid(data) {
		if _, name, _ := htmlcharset.DetermineEncoding(data, "text/html"); name != "" {
			label = name
		}
	}
	return decodeCharset(label, data)
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676).
func unflow(s string, params map[string]string) string {
	if !strings.EqualFold(params["format"], "flowed") {
		return s
	}
	delsp := strings.EqualFold(params["delsp"], "yes")
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var b strings.Builder
	for i, l := range lines {
		if strings.HasPrefix(l, " ") { // space-stuffed
			l = l[1:]
		}
		soft := strings.HasSuffix(l, " ") && l != "-- " && i < len(lines)-1
		if soft && delsp {
			l = l[:len(l)-1]
		}
		b.WriteString(l)
		if !soft && i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
