package render

import (
	"errors"
	"testing"
)

func TestRender(t *testing.T) {
	values := Values{
		"customer.name":             "Ana",
		"customer.email":            "",
		"customer.attributes.plan":  "gold",
		"agent.name":                "{{customer.email}}", // a value is never parsed again
		"conversation.id":           "cnv_1",
		"customer.attributes.empty": "",
	}
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Hello there", "Hello there"},
		{"empty", "", ""},
		{"variable", "Hi {{customer.name}}!", "Hi Ana!"},
		{"spaces", "Hi {{  customer.name\t}}!", "Hi Ana!"},
		{"missing", "Hi {{customer.phone}}!", "Hi !"},
		{"empty value", "Mail: {{customer.email}}.", "Mail: ."},
		{"fallback used", `Hi {{customer.email | "friend"}}`, "Hi friend"},
		{"fallback unused", `Hi {{customer.name | "friend"}}`, "Hi Ana"},
		{"fallback no spaces", `{{customer.phone|"n/a"}}`, "n/a"},
		{"fallback escapes", `{{customer.phone | "say \"hi\" \\ ok"}}`, `say "hi" \ ok`},
		{"fallback with braces", `{{customer.phone | "}} {{"}}`, "}} {{"},
		{"attribute", "Plan {{customer.attributes.plan}}", "Plan gold"},
		{"attribute empty", `{{customer.attributes.empty | "none"}}`, "none"},
		{"value not reparsed", "By {{agent.name}}", "By {{customer.email}}"},
		{"literal braces", `Use {{ "{{" }}name}} here`, "Use {{name}} here"},
		{"closing alone", "a }} b", "a }} b"},
		{"single braces", "{name} {", "{name} {"},
		{"adjacent", "{{customer.name}}{{conversation.id}}", "Anacnv_1"},
		{"unicode", "你好 {{customer.name | \"朋友\"}}，{{customer.phone | \"朋友\"}}", "你好 Ana，朋友"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := tpl.Render(values.Lookup); got != tc.want {
				t.Fatalf("Render(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset int
	}{
		{"Hi {{customer.name", 18},
		{"Hi {{", 5},
		{"Hi {{}}", 5},
		{"{{ customer.name customer.email }}", 17},
		{`{{customer.name | friend}}`, 18},
		{`{{customer.name | "friend}}`, 18},
		{`{{customer.name | "a\nb"}}`, 18},
		{`{{customer..name}}`, 16},
		{`{{.name}}`, 7},
		{`{{ customer.name() }}`, 16},
		{`{{ printf "%s" 1 }}`, 10},
		{`{{ customer.name | "x" | "y" }}`, 23},
		{"{{\"unterminated}}", 2},
		{"\xff", 0},
	} {
		_, err := Parse(tc.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want an *Error", tc.in, err)
			continue
		}
		if e.Offset != tc.offset {
			t.Errorf("Parse(%q): offset %d (%v), want %d", tc.in, e.Offset, e, tc.offset)
		}
	}
}

func TestCheck(t *testing.T) {
	vars := Conversation.With("channel.nextOpen")
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"{{customer.name}} {{channel.nextOpen}}", true},
		{"{{customer.attributes.plan}}", true},
		{"{{customer.attributes.plan_2-b}}", true},
		{"{{customer.attributes}}", false},
		{"{{customer.attributes.a.b}}", false},
		{"{{queue.position}}", false},
		{"{{customer.password}}", false},
		{`{{ "{{customer.password}}" }}`, true},
	} {
		err := Validate(tc.in, vars)
		if (err == nil) != tc.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	if got := String("{{broken", nil); got != "{{broken" {
		t.Errorf("String of a broken text = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"Hi {{customer.name | \"x\"}}", "{{", `{{"\\"}}`, "a}}b{{c}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := Parse(s)
		if err != nil {
			return
		}
		// Rendering with no values never panics, and a text with no
		// placeholder renders as itself.
		out := tpl.Render(Values{}.Lookup)
		if len(tpl.Names()) == 0 && !containsQuoted(s) && out != s {
			t.Fatalf("Render(%q) = %q", s, out)
		}
	})
}

func containsQuoted(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '{' && s[i+1] == '{' {
			return true
		}
	}
	return false
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{nil, ""}, {"gold", "gold"}, {float64(3), "3"}, {1.5, "1.5"}, {1e21, "1000000000000000000000"},
		{true, "true"}, {[]any{"a", nil, float64(2)}, "a, 2"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
