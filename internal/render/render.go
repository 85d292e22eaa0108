// Package render fills variables into the texts businesses write (quick
// replies, auto-replies, rule notes): "Hi {{customer.name | "there"}}".
// It is plain substitution with a strict parser, never a template engine:
// a text is literal characters and placeholders, a placeholder is a
// variable name with an optional quoted fallback (or a quoted string
// alone, which is how a literal "{{" is written: {{ "{{" }}), and anything
// else between "{{" and "}}" is an error when the text is saved. Values
// are inserted as they are and never parsed again, so a customer named
// "{{agent.name}}" is shown as exactly that.
package render

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Template is a parsed text.
type Template struct {
	parts []part
}

// part is literal text, or a placeholder (name, fallback).
type part struct {
	text     string // literal text, or the fallback of a placeholder
	name     string // the variable; "" for literal text
	position int    // byte offset of the placeholder, for errors
}

// Error is a text that does not parse, or names an unknown variable.
type Error struct {
	Offset int // byte offset in the text
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("at character %d: %s", e.Offset+1, e.Msg) }

// MaxName bounds a variable name.
const MaxName = 200

// Parse parses text. It fails on an unterminated or malformed placeholder.
func Parse(text string) (*Template, error) {
	if !utf8.ValidString(text) {
		return nil, &Error{Msg: "the text is not valid UTF-8"}
	}
	t := &Template{}
	lit := func(s string) {
		if s == "" {
			return
		}
		if n := len(t.parts); n > 0 && t.parts[n-1].name == "" {
			t.parts[n-1].text += s
			return
		}
		t.parts = append(t.parts, part{text: s})
	}
	i := 0
	for {
		j := strings.Index(text[i:], "{{")
		if j < 0 {
			lit(text[i:])
			return t, nil
		}
		lit(text[i : i+j])
		start := i + j
		p, end, err := placeholder(text, start+2)
		if err != nil {
			return nil, err
		}
		p.position = start
		if p.name == "" {
			lit(p.text)
		} else {
			t.parts = append(t.parts, p)
		}
		i = end
	}
}

// placeholder parses from just after "{{" to just after "}}":
// spaces, [name], spaces, [| spaces] ["fallback"], spaces, "}}".
func placeholder(text string, i int) (part, int, error) {
	var p part
	skip := func() {
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
	}
	fail := func(msg string) (part, int, error) { return part{}, 0, &Error{Offset: i, Msg: msg} }
	skip()
	begin := i
	for i < len(text) && nameByte(text[i]) {
		i++
	}
	p.name = text[begin:i]
	if p.name != "" {
		if err := checkName(p.name); err != nil {
			return fail(err.Error())
		}
		skip()
		if i >= len(text) || text[i] != '|' {
			if !strings.HasPrefix(text[i:], "}}") {
				return fail(`expected "}}" or | "fallback"`)
			}
			return p, i + 2, nil
		}
		i++
		skip()
		if i >= len(text) || text[i] != '"' {
			return fail(`a fallback is a quoted text: {{name | "fallback"}}`)
		}
	}
	if i < len(text) && text[i] == '"' {
		s, end, ok := quoted(text, i)
		if !ok {
			return fail(`unterminated quoted text; write \" for a quote and \\ for a backslash`)
		}
		p.text, i = s, end
		skip()
	} else if p.name == "" {
		return fail(`expected a variable name or a quoted text after "{{"`)
	}
	if !strings.HasPrefix(text[i:], "}}") {
		return fail(`expected "}}"`)
	}
	return p, i + 2, nil
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

func checkName(name string) error {
	if len(name) > MaxName {
		return fmt.Errorf("a variable name is at most %d characters", MaxName)
	}
	for _, seg := range strings.Split(name, ".") {
		if seg == "" {
			return fmt.Errorf("%q is not a variable name: empty part", name)
		}
	}
	return nil
}

// quoted reads a double-quoted text starting at text[i] == '"', with \" and
// \\ as the only escapes.
func quoted(text string, i int) (string, int, bool) {
	var b strings.Builder
	for i++; i < len(text); i++ {
		switch c := text[i]; c {
		case '"':
			return b.String(), i + 1, true
		case '\\':
			if i+1 >= len(text) || (text[i+1] != '"' && text[i+1] != '\\') {
				return "", 0, false
			}
			i++
			b.WriteByte(text[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// Names lists the variables the text uses, in order, once each.
func (t *Template) Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range t.parts {
		if p.name != "" && !seen[p.name] {
			seen[p.name] = true
			out = append(out, p.name)
		}
	}
	return out
}

// Check returns an *Error for the first variable known does not accept.
func (t *Template) Check(known func(name string) bool) error {
	for _, p := range t.parts {
		if p.name != "" && !known(p.name) {
			return &Error{Offset: p.position, Msg: fmt.Sprintf("unknown variable %q", p.name)}
		}
	}
	return nil
}

// Render fills the placeholders: a variable lookup does not find, or finds
// empty, gets its fallback (or nothing).
func (t *Template) Render(lookup func(name string) (string, bool)) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.text)
			continue
		}
		if v, ok := lookup(p.name); ok && v != "" {
			b.WriteString(v)
			continue
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// Validate parses text and checks its variables against vars; the error
// says where and what is wrong.
func Validate(text string, vars Vars) error {
	t, err := Parse(text)
	if err != nil {
		return err
	}
	return t.Check(vars.Known)
}

// String renders text with values, leaving text that does not parse as it
// is (texts are validated when they are saved; this keeps an old one
// readable).
func String(text string, values Values) string {
	t, err := Parse(text)
	if err != nil {
		return text
	}
	return t.Render(values.Lookup)
}

// Vars is a set of accepted variable names: exact names, and prefixes
// that accept any name under them ("customer.attributes.").
type Vars struct {
	Exact    []string
	Prefixes []string
}

// Known reports whether name is in the set.
func (v Vars) Known(name string) bool {
	for _, e := range v.Exact {
		if name == e {
			return true
		}
	}
	for _, p := range v.Prefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) && !strings.Contains(name[len(p):], ".") {
			return true
		}
	}
	return false
}

// With returns the set with more exact names.
func (v Vars) With(names ...string) Vars {
	return Vars{Exact: append(append([]string(nil), v.Exact...), names...), Prefixes: v.Prefixes}
}

// Values are the variables' values for one rendering.
type Values map[string]string

// Lookup finds a value.
func (v Values) Lookup(name string) (string, bool) {
	s, ok := v[name]
	return s, ok
}

// Conversation is the variables every conversation text may use.
var Conversation = Vars{
	Exact: []string{
		"customer.name", "customer.email", "customer.phone",
		"agent.name", "agent.email",
		"channel.name",
		"conversation.id",
	},
	Prefixes: []string{"customer.attributes."},
}

// Text writes a JSON value (a custom attribute's) as people read it: text
// as it is, numbers in plain decimal (no exponent), booleans as
// true/false, lists joined with ", ", nothing for null.
func Text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			if t := Text(e); t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
