package mail

import (
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"
)

// Address is one mailbox: Email has its domain lower-cased and its local
// part as given.
type Address struct{ Name, Email string }

// addresses parses an address-list header value. Malformed lists fall
// back to picking out what looks like an address, so one bad comma or an
// unknown charset in a name costs only the name.
func (d wordDecoder) addresses(v string) []Address {
	v = d.raw(v)
	if strings.TrimSpace(v) == "" {
		return nil
	}
	p := netmail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charsetReader}}
	list, err := p.ParseList(v)
	if err != nil {
		return d.looseAddresses(v)
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		// net/mail leaves encoded words in quoted names (as Outlook writes them).
		out = append(out, Address{Name: d.decode(a.Name), Email: normalizeEmail(clean(a.Address))})
	}
	return out
}

// charsetReader serves mime.WordDecoder with the charsets decodeCharset
// knows.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s, ok := decodeCharset(label, b)
	if !ok {
		return nil, fmt.Errorf("unknown charset %q", label)
	}
	return strings.NewReader(s), nil
}

var (
	angleAddr = regexp.MustCompile(`<([^<>\s]*@[^<>\s]*)>`)
	bareAddr  = regexp.MustCompile(`[^\s<>,;:"()]+@[^\s<>,;:"()]+`)
)

// looseAddresses picks addresses out of a header net/mail refuses.
func (d wordDecoder) looseAddresses(v string) []Address {
	var out []Address
	for _, item := range splitOutsideQuotes(v) {
		if m := angleAddr.FindStringSubmatchIndex(item); m != nil {
			name := strings.Trim(strings.TrimSpace(item[:m[0]]), `"' `)
			out = append(out, Address{Name: d.decode(name), Email: normalizeEmail(item[m[2]:m[3]])})
		} else if a := bareAddr.FindString(item); a != "" {
			out = append(out, Address{Email: normalizeEmail(a)})
		}
	}
	return out
}

// splitOutsideQuotes splits an address list at commas and semicolons that
// are not inside quotes or angle brackets.
func splitOutsideQuotes(v string) []string {
	var out []string
	quoted, angle, start := false, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			angle = true
		case c == '>' && !quoted:
			angle = false
		case (c == ',' || c == ';') && !quoted && !angle:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// normalizeEmail lower-cases an address's domain and keeps its local part.
func normalizeEmail(a string) string {
	a = strings.TrimSpace(a)
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a
	}
	return a[:at+1] + strings.ToLower(a[at+1:])
}

var msgID = regexp.MustCompile(`<([^<>]*)>`)

// ids parses a Message-ID, In-Reply-To or References value: ids in angle
// brackets, or, from mailers that drop them, separated by spaces or commas.
func ids(v string) []string {
	var out []string
	if ms := msgID.FindAllStringSubmatch(v, -1); ms != nil {
		for _, m := range ms {
			if id := strings.TrimSpace(m[1]); id != "" {
				out = append(out, clean(id))
			}
		}
		return out
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		out = append(out, clean(f))
	}
	return out
}

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon, 2 Jan 2006 15:04:05",
	time.RFC3339,
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
}

// date parses a Date header; the zero time when it cannot.
func date(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if t, err := netmail.ParseDate(v); err == nil {
		return t
	}
	if i := strings.IndexByte(v, '('); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	v = strings.Join(strings.Fields(v), " ")
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t
		}
	}
	return time.Time{}
}
