package whatsapp_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/meta/whatsapp"
	"github.com/switchboard/switchboard/channels/meta/whatsapp/watest"
)

// cached waits until the templates are in the config's State: Templates
// writes them after it answers.
func cached(t *testing.T, c *channels.Config) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, _, _ := c.State.Get(context.Background(), "templates"); v != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the templates were never cached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTemplates: the account's approved templates that need body
// parameters only, every page of them, one per language, cached for ten
// minutes; a failed refresh keeps the stale list.
func TestTemplates(t *testing.T) {
	f := watest.New(t)
	c := f.Config(t)
	now := watest.Clock
	c.Now = func() time.Time { return now }
	a := whatsapp.New()
	list, err := a.Templates(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := []channels.Template{
		{ID: "order_update", Name: "order_update", Language: "de", Params: []string{"1", "2"}, Body: "Hallo {{1}}, Ihre Bestellung {{2}} ist unterwegs."},
		{ID: "order_update", Name: "order_update", Language: "en_US", Params: []string{"1", "2"}, Body: "Hi {{1}}, your order {{2}} has shipped."},
		{ID: "welcome", Name: "welcome", Language: "en_US", Params: []string{}, Body: "Welcome to the shop!"},
	}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("templates:\n%+v\nwant\n%+v", list, want)
	}
	if n := f.TemplateCalls(); n != 3 {
		t.Fatalf("%d template pages fetched, want 3 (five templates, two a page)", n)
	}
	cached(t, c)
	now = now.Add(9 * time.Minute)
	if again, err := a.Templates(context.Background(), c); err != nil || !reflect.DeepEqual(again, want) || f.TemplateCalls() != 3 {
		t.Fatalf("within 10 minutes: %v, %d calls (want the cache)", err, f.TemplateCalls())
	}
	now = now.Add(2 * time.Minute)
	if _, err := a.Templates(context.Background(), c); err != nil || f.TemplateCalls() != 6 {
		t.Fatalf("after 10 minutes: %v, %d calls (want a refresh)", err, f.TemplateCalls())
	}
	// Meta unreachable: the stale list still serves.
	now = now.Add(time.Hour)
	c.Secrets["accessToken"] = "EAArevoked"
	if stale, err := a.Templates(context.Background(), c); err != nil || len(stale) != 3 {
		t.Fatalf("with the token refused: %v, %d templates (want the stale list)", err, len(stale))
	}
	// Nothing cached and nothing to fall back on: the error.
	fresh := f.Config(t)
	fresh.Secrets["accessToken"] = "EAArevoked"
	if _, err := a.Templates(context.Background(), fresh); err == nil || !strings.Contains(err.Error(), "190") {
		t.Fatalf("no cache, token refused: %v", err)
	}
}

// TestTemplatesFromSettings: a templates setting is the list, with
// params from the body when not given; bad entries are refused naming
// the setting.
func TestTemplatesFromSettings(t *testing.T) {
	f := watest.New(t)
	c := f.Config(t)
	c.Settings["templates"] = []any{
		map[string]any{"name": "order_update", "language": "en_US", "body": "Hi {{1}}, your order {{2}} has shipped."},
		map[string]any{"name": "order_update", "language": "de"},
	}
	a := whatsapp.New()
	if err := a.Validate(c.Settings, c.Secrets); err != nil {
		t.Fatal(err)
	}
	list, err := a.Templates(context.Background(), c)
	if err != nil || len(list) != 2 || !reflect.DeepEqual(list[0].Params, []string{"1", "2"}) || len(list[1].Params) != 0 || list[1].ID != "order_update" {
		t.Fatalf("templates %+v, %v", list, err)
	}
	if f.TemplateCalls() != 0 {
		t.Fatalf("listed from the settings, yet fetched %d times", f.TemplateCalls())
	}
	for name, bad := range map[string]any{
		"not a list":          "order_update",
		"no language":         []any{map[string]any{"name": "order_update"}},
		"name with capitals":  []any{map[string]any{"name": "Order Update", "language": "en_US"}},
		"id not the name":     []any{map[string]any{"id": "x", "name": "order_update", "language": "en_US"}},
		"unknown field":       []any{map[string]any{"name": "a", "language": "en", "header": "x"}},
		"twice":               []any{map[string]any{"name": "a", "language": "en"}, map[string]any{"name": "a", "language": "en"}},
		"body param not held": []any{map[string]any{"name": "a", "language": "en", "params": []any{"1"}, "body": "{{1}} {{2}}"}},
	} {
		c.Settings["templates"] = bad
		var fe *channels.FieldError
		if err := a.Validate(c.Settings, c.Secrets); !errors.As(err, &fe) || fe.Field != "templates" {
			t.Errorf("%s: %v, want an error about settings.templates", name, err)
		}
	}
}

// TestValidate: the ids are numbers; the phone number id is required.
func TestValidate(t *testing.T) {
	f := watest.New(t)
	a := whatsapp.New()
	for name, c := range map[string]struct {
		field string
		value any
	}{
		"no phone number id":    {"phoneNumberID", nil},
		"a phone number":        {"phoneNumberID", "+1 555 010 0199"},
		"waba id not a number":  {"wabaID", "my-account"},
		"graph version":         {"graphVersion", "21"},
		"base URL not http(s)":  {"baseURL", "ftp://graph.example.com"},
		"phone number id a num": {"phoneNumberID", 106540352242922},
	} {
		s := f.Settings()
		if c.value == nil {
			delete(s, c.field)
		} else {
			s[c.field] = c.value
		}
		var fe *channels.FieldError
		if err := a.Validate(s, f.Secrets()); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want an error about %s", name, err, c.field)
		}
	}
	s := f.Settings()
	delete(s, "wabaID")
	if err := a.Validate(s, f.Secrets()); err != nil {
		t.Errorf("without a WhatsApp Business Account id: %v", err)
	}
	x := f.Secrets()
	delete(x, "accessToken")
	if err := a.Validate(f.Settings(), x); err == nil {
		t.Errorf("without an access token: accepted")
	}
}

// TestVerify: the phone number read with the token, the templates too
// (and cached, so the first listing needs no call); errors name what to
// fix.
func TestVerify(t *testing.T) {
	f := watest.New(t)
	a := whatsapp.New()
	c := f.Config(t)
	if err := a.Verify(context.Background(), c); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	calls := f.TemplateCalls()
	if _, err := a.Templates(context.Background(), c); err != nil || f.TemplateCalls() != calls {
		t.Fatalf("templates after Verify: %v, %d more calls", err, f.TemplateCalls()-calls)
	}
	c = f.Config(t)
	c.Secrets["accessToken"] = "EAAexpired"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "refused the access token") {
		t.Errorf("a wrong token: %v", err)
	}
	c = f.Config(t)
	c.Settings["phoneNumberID"] = "999"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "phone number id 999") {
		t.Errorf("another phone number id: %v", err)
	}
	c = f.Config(t)
	c.Settings["wabaID"] = "777"
	if err := a.Verify(context.Background(), c); err == nil || !strings.Contains(err.Error(), "777") {
		t.Errorf("another account: %v", err)
	}
}
