package quickreplies

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/schematype"
)

func TestCheckTexts(t *testing.T) {
	tmpl := func(params map[string]string) *schematype.QuickReplyTemplate {
		return &schematype.QuickReplyTemplate{TemplateID: "1", Params: params}
	}
	for _, tc := range []struct {
		name, title, body string
		t                 *schematype.QuickReplyTemplate
		field, msg        string // "" when valid
	}{
		{"plain", "Hi", "Hello", nil, "", ""},
		{"known variables", "Hi", `Hi {{customer.name | "there"}} {{customer.attributes.plan}} {{agent.email}}`, nil, "", ""},
		{"unknown variable", "Hi", "Hi {{customer.nickname}}", nil, "body", `unknown variable "customer.nickname"`},
		{"nested attribute", "Hi", "{{customer.attributes.a.b}}", nil, "body", "unknown variable"},
		{"unterminated", "Hi", "Hi {{customer.name", nil, "body", "expected"},
		{"empty body", "Hi", " ", nil, "body", "must not be empty"},
		{"empty title", " ", "x", nil, "title", "must not be empty"},
		{"template alone", "Hi", "", tmpl(map[string]string{"name": `{{customer.name | "friend"}}`}), "", ""},
		{"template unknown variable", "Hi", "", tmpl(map[string]string{"name": "{{order.id}}"}), "template.params.name", "unknown variable"},
		{"template without id", "Hi", "", &schematype.QuickReplyTemplate{}, "template.templateID", "must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkTexts(tc.title, tc.body, tc.t)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Code != apperr.InvalidInput || e.Field != tc.field || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("got %v, want INVALID_INPUT on %s saying %q", err, tc.field, tc.msg)
			}
		})
	}
}

func TestNormalShortcut(t *testing.T) {
	for in, want := range map[string]string{"/ref": "ref", "Refund_2": "refund_2", " a-b ": "a-b", "": "", "/": "",
		"has space": "", "ü": "", strings.Repeat("x", 33): "", strings.Repeat("x", 32): strings.Repeat("x", 32)} {
		got, err := normalShortcut(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("normalShortcut(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
