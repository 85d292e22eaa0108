package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// TestAPIChannelReceiptsAndTemplates: the integrator reports delivery
// status with a signed callback to the channel's webhook URL (the id is
// the delivery id when its callback answered without one); statuses only
// move forward; forged or malformed status callbacks change nothing. A
// template from the channel's settings goes out rendered, with the
// template named in the callback.
func TestAPIChannelReceiptsAndTemplates(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	in := newIntegrator(t)
	ch := createAPIChannel(t, s, tok, in.URL)
	s.MustDo(t, tok, `mutation($id: ID!, $s: Map) { updateChannel(id: $id, input: {settings: $s}) { id } }`, map[string]any{"id": ch.ID,
		"s": map[string]any{"callbackURL": in.URL, "templates": []any{map[string]any{"id": "welcome", "name": "Welcome", "language": "en",
			"params": []any{"name"}, "body": "Welcome, {{name}}!"}}}}, nil)
	conv := replyTo(t, s, ch, "user-r")

	id := s.Send(t, tok, conv, "Your order ships today")
	waitStatus(t, s, tok, id, "SENT")
	_, bodies := waitDelivered(t, in, 1)
	delivery, _ := bodies[0]["deliveryID"].(string)
	if msg, _ := bodies[0]["message"].(map[string]any); msg["replyTo"] != "in-user-r" || msg["threadKey"] == "" {
		t.Fatalf("callback message %v: want replyTo in-user-r and a threadKey", msg)
	}

	status := func(secret string, at time.Time, body map[string]any) int {
		t.Helper()
		st, _ := post(t, ch.WebhookURL, secret, at, body)
		return st
	}
	if st := status("wrong-secret-0123456789", time.Now(), map[string]any{"event": "message.status", "messageID": delivery, "status": "READ"}); st != 401 {
		t.Fatalf("forged status callback: %d", st)
	}
	if st := status(apiSecret, time.Now(), map[string]any{"event": "message.status", "messageID": delivery, "status": "SEEN"}); st != 400 {
		t.Fatalf("unknown status: %d", st)
	}
	waitStatus(t, s, tok, id, "SENT") // nothing changed
	if st := status(apiSecret, time.Now(), map[string]any{"event": "message.status", "statuses": []any{
		map[string]any{"messageID": delivery, "status": "DELIVERED"},
		map[string]any{"messageID": delivery, "status": "READ", "timestamp": time.Now().UTC().Format(time.RFC3339)},
	}}); st != 200 {
		t.Fatalf("status callback: %d", st)
	}
	waitStatus(t, s, tok, id, "READ")
	status(apiSecret, time.Now(), map[string]any{"event": "message.status", "messageID": delivery, "status": "FAILED", "reason": "late"})
	if st, why := waitStatus(t, s, tok, id, "READ"); why != "" {
		t.Fatalf("a late FAILED moved READ back: %s %q", st, why)
	}

	var tpl struct {
		Node struct{ Templates []struct{ ID, Name string } }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Channel { templates { id name } } } }`, map[string]any{"id": ch.ID}, &tpl)
	if len(tpl.Node.Templates) != 1 || tpl.Node.Templates[0].ID != "welcome" {
		t.Fatalf("templates %+v", tpl.Node.Templates)
	}
	var sent struct{ SendMessage struct{ ID, Body string } }
	s.MustDo(t, tok, sendQ, map[string]any{"c": conv, "b": "", "t": map[string]any{"templateID": "welcome", "params": map[string]any{"name": "Dana"}}}, &sent)
	if sent.SendMessage.Body != "Welcome, Dana!" {
		t.Fatalf("stored body %q", sent.SendMessage.Body)
	}
	_, bodies = waitDelivered(t, in, 2)
	msg, _ := bodies[1]["message"].(map[string]any)
	tm, _ := msg["template"].(map[string]any)
	if msg["text"] != "Welcome, Dana!" || tm["id"] != "welcome" || !strings.Contains(strings.ToLower(tm["language"].(string)), "en") {
		t.Fatalf("template callback %v", msg)
	}
}

// TestChannelKindFieldTypes: every field of every kind has a type an
// admin form can render, and a refused setting names its field.
func TestChannelKindFieldTypes(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	var out struct {
		ChannelKinds []struct {
			Kind                         string
			SettingsFields, SecretFields []struct {
				Name, Type string
				Options    []string
			}
			Capabilities struct{ Templates bool }
		}
	}
	s.MustDo(t, tok, `{ channelKinds { kind settingsFields { name type options } secretFields { name type options } capabilities { templates } } }`, nil, &out)
	got := map[string]string{}
	for _, k := range out.ChannelKinds {
		for _, f := range k.SettingsFields {
			got[k.Kind+".settings."+f.Name] = f.Type
		}
		for _, f := range k.SecretFields {
			got[k.Kind+".secrets."+f.Name] = f.Type
		}
		if k.Kind == "api" && !k.Capabilities.Templates {
			t.Errorf("api channels send templates")
		}
	}
	for field, want := range map[string]string{
		"api.settings.callbackURL": "URL", "api.settings.templates": "LIST", "api.secrets.secret": "SECRET",
		"web.settings.allowedOrigins": "LIST", "web.secrets.identitySecret": "SECRET",
	} {
		if got[field] != want {
			t.Errorf("%s is %q, want %s (all: %v)", field, got[field], want, got)
		}
	}
	r := s.Do(t, tok, `mutation { createChannel(input: {kind: "api", name: "X", settings: {callbackURL: "ftp://x"}, secrets: {secret: "0123456789abcdef0"}}) { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "settings.callbackURL" {
		t.Fatalf("a bad callbackURL: %+v", r.Errors)
	}
	r = s.Do(t, tok, `mutation { createChannel(input: {kind: "api", name: "X", secrets: {secret: "short"}}) { id } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "secrets.secret" {
		t.Fatalf("a short secret: %+v", r.Errors)
	}
}
