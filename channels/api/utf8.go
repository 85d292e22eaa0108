package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// invalidAt is the offset of the first byte that is not UTF-8.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// pathAt names the JSON field ("sender.name", "attachments[0].url") whose
// key or value holds byte off of body, or "".
func pathAt(body []byte, off int) string {
	type level struct {
		array   bool
		key     string
		index   int
		wantKey bool
	}
	var stack []*level
	name := func() string {
		var b strings.Builder
		for _, l := range stack {
			if l.array {
				fmt.Fprintf(&b, "[%d]", l.index)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(shortKey(l.key))
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 {
			if l := stack[n-1]; l.array {
				l.index++
			} else {
				l.wantKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &level{wantKey: true})
			case '[':
				stack = append(stack, &level{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		case string:
			if n := len(stack); n > 0 && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				if int(dec.InputOffset()) > off {
					return name()
				}
				continue
			}
		}
		if int(dec.InputOffset()) > off {
			return name()
		}
		valueDone()
	}
}

// shortKey bounds a key named in an answer: the sender chose it.
func shortKey(k string) string {
	const max = 64
	if len(k) <= max {
		return k
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(k[cut]) {
		cut--
	}
	return k[:cut] + "…"
}
