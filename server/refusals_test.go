package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/internal/testenv"
)

// secretWords is in every refused or sanitized text: logs never show it.
const secretWords = "my-card-number-4111"

// TestAPIChannelRefusesUnstorable: integrators get 400 naming the field
// for what could only be stored altered (never 503, so they do not retry),
// nothing is stored, the logs do not show the message, and values at the
// limits are accepted.
func TestAPIChannelRefusesUnstorable(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	msg := func(id, external, name, text string, attName string) []byte {
		p := map[string]any{"messageID": id, "sender": map[string]any{"externalID": external, "name": name}, "text": text}
		if attName != "" {
			p["attachments"] = []any{map[string]any{"url": "https://files.example.com/a", "name": attName}}
		}
		b, _ := json.Marshal(p)
		return b
	}
	raw := func(text string) []byte { // bytes that JSON encoding would have replaced
		return []byte(`{"messageID":"m-raw","sender":{"externalID":"u-raw","name":"Dana"},"text":"` + text + `"}`)
	}
	cases := []struct {
		name   string
		body   []byte
		reason string
	}{
		{"300-character message id", msg(strings.Repeat("m", 300), "u1", "Dana", secretWords, ""), "messageID is longer than 255 bytes"},
		{"10,000-character external id", msg("m1", strings.Repeat("u", 10000), "Dana", secretWords, ""), "sender.externalID is longer than 512 bytes"},
		{"NUL in the text", msg("m1", "u1", "Dana", secretWords+"\x00", ""), "text contains a NUL character"},
		{"NUL in the name", msg("m1", "u1", "Da\x00na", secretWords, ""), "sender.name contains a NUL character"},
		{"NUL in an attachment", msg("m1", "u1", "Dana", secretWords, "a\x00.png"), "attachments[0].name contains a NUL character"},
		{"invalid UTF-8 in the text", raw(secretWords + "caf\xe9"), "text is not valid UTF-8"},
		{"over-long name", msg("m1", "u1", strings.Repeat("客", 256), secretWords, ""), "sender.name is longer than 255 characters"},
		{"over-long text", msg("m1", "u1", "Dana", secretWords+strings.Repeat("x", 64<<10), ""), "text is longer than 65536 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := postBody(t, ch.WebhookURL, apiSecret, time.Now(), c.body)
			if status != http.StatusBadRequest || out["error"] != c.reason {
				t.Fatalf("answer %d %q, want 400 %q", status, out["error"], c.reason)
			}
		})
	}
	if cu, cv, m := countMessages(t, s, tok); cu+cv+m != 0 {
		t.Fatalf("refused messages stored %d customers, %d conversations, %d messages", cu, cv, m)
	}
	if strings.Contains(s.Logs.String(), secretWords) {
		t.Fatal("a refused message's text reached the logs")
	}

	// The limits themselves are accepted.
	atLimits := msg(strings.Repeat("m", 255), strings.Repeat("u", 512), strings.Repeat("客", 255), strings.Repeat("é", 32<<10), "a.png")
	status, ids := postBody(t, ch.WebhookURL, apiSecret, time.Now(), atLimits)
	if status != http.StatusOK {
		t.Fatalf("at the limits: %d %v", status, ids)
	}
	var conv struct {
		Node struct {
			Customer    struct{ Name string }
			LastMessage struct {
				Body, ProviderMessageID string
				Metadata                map[string]any
			}
		}
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Conversation { customer { name } lastMessage { body providerMessageID metadata } } } }`,
		map[string]any{"id": ids["conversationID"]}, &conv)
	n := conv.Node
	if n.Customer.Name != strings.Repeat("客", 255) || len(n.LastMessage.Body) != 64<<10 || len(n.LastMessage.ProviderMessageID) != 255 || n.LastMessage.Metadata != nil {
		t.Fatalf("stored at the limits: name %d chars, body %d bytes, id %d bytes, metadata %v",
			len([]rune(n.Customer.Name)), len(n.LastMessage.Body), len(n.LastMessage.ProviderMessageID), n.LastMessage.Metadata)
	}
}

type storedMessage struct {
	Customer          string
	Body              string
	ProviderMessageID string
	Attachments       []map[string]any
	Metadata          map[string]any
}

// storedMessages lists every message with its customer's name, by
// provider message id.
func storedMessages(t *testing.T, s *testenv.Server, tok string) map[string]storedMessage {
	t.Helper()
	var out struct {
		Conversations struct {
			Edges []struct {
				Node struct {
					Customer struct{ Name string }
					Messages struct {
						Edges []struct{ Node storedMessage }
					}
				}
			}
		}
	}
	s.MustDo(t, tok, `{ conversations(first: 100) { edges { node { customer { name }
		messages(first: 100) { edges { node { body providerMessageID attachments { name contentType } metadata } } } } } } }`, nil, &out)
	msgs := map[string]storedMessage{}
	for _, c := range out.Conversations.Edges {
		for _, m := range c.Node.Messages.Edges {
			m.Node.Customer = c.Node.Customer.Name
			msgs[m.Node.ProviderMessageID] = m.Node
		}
	}
	return msgs
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSanitizedInbound: a provider that retries every refusal gets 200 for
// what no column could hold as it is; the message is stored cleaned, with
// metadata saying what changed, and a retry of the same delivery is
// recognised and stored once. NUL characters are dropped on SQLite as on
// PostgreSQL.
func TestSanitizedInbound(t *testing.T) {
	s, tok, webhook := newRelayServer(t)
	longSender := strings.Repeat("u", 10000)
	note := func(field, problem, action string, length, limit int) string {
		n := map[string]any{"field": field, "problem": problem, "action": action, "length": length}
		if limit > 0 {
			n["limit"] = limit
		}
		return jsonOf(n)
	}
	cases := []struct {
		name  string
		form  url.Values
		id    string // the provider message id stored
		check func(m storedMessage) bool
		notes []string
	}{
		{"300-character message id", url.Values{"id": {strings.Repeat("m", 300)}, "from": {"u1"}, "text": {"hi"}},
			channels.Digest(strings.Repeat("m", 300)), func(m storedMessage) bool { return m.Body == "hi" },
			[]string{note("messageID", "too_long", "hashed", 300, 255)}},
		{"invalid UTF-8 in the message id", url.Values{"id": {"m\xff"}, "from": {"u2"}, "text": {"hi"}},
			channels.Digest("m\xff"), func(m storedMessage) bool { return m.Body == "hi" },
			[]string{note("messageID", "invalid_utf8", "hashed", 2, 0)}},
		{"10,000-character external id", url.Values{"id": {"m3"}, "from": {longSender}, "name": {"Long"}, "text": {"hi"}},
			"m3", func(m storedMessage) bool { return m.Customer == "Long" },
			[]string{note("sender.externalID", "too_long", "hashed", 10000, 512)}},
		{"NUL in the text", url.Values{"id": {"m4"}, "from": {"u4"}, "text": {"he\x00llo " + secretWords}},
			"m4", func(m storedMessage) bool { return m.Body == "hello "+secretWords },
			[]string{note("text", "nul", "cleaned", 26, 0)}},
		{"NUL in the name", url.Values{"id": {"m5"}, "from": {"u5"}, "name": {"Da\x00na"}, "text": {"hi"}},
			"m5", func(m storedMessage) bool { return m.Customer == "Dana" },
			[]string{note("sender.name", "nul", "cleaned", 5, 0)}},
		{"NUL in an attachment", url.Values{"id": {"m6"}, "from": {"u6"}, "media_url": {"https://x/a"}, "media_name": {"a\x00.png"}},
			"m6", func(m storedMessage) bool {
				return jsonOf(m.Attachments) == `[{"contentType":"application/octet-stream","name":"a.png"}]`
			},
			[]string{note("attachments[0].name", "nul", "cleaned", 6, 0)}},
		{"NUL in provider extras", url.Values{"id": {"m7"}, "from": {"u7"}, "text": {"hi"}, "Region\x00": {"EU\x00"}},
			"m7", func(m storedMessage) bool { return m.Metadata["Region"] == "EU" },
			[]string{note("metadata.Region (key)", "nul", "cleaned", 7, 0), note("metadata.Region", "nul", "cleaned", 3, 0)}},
		{"invalid UTF-8 in the text", url.Values{"id": {"m8"}, "from": {"u8"}, "text": {"caf\xe9 au lait"}},
			"m8", func(m storedMessage) bool { return m.Body == "caf\uFFFD au lait" },
			[]string{note("text", "invalid_utf8", "cleaned", 12, 0)}},
		{"over-long name", url.Values{"id": {"m9"}, "from": {"u9"}, "name": {strings.Repeat("客", 300)}, "text": {"hi"}},
			"m9", func(m storedMessage) bool { return m.Customer == strings.Repeat("客", 255) },
			[]string{note("sender.name", "too_long", "truncated", 300, 255)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, before := countMessages(t, s, tok)
			for attempt := 0; attempt < 2; attempt++ { // the provider's retry
				if status, body := postRelay(t, webhook, c.form); status != http.StatusOK {
					t.Fatalf("attempt %d: %d %s", attempt, status, body)
				}
			}
			if _, _, after := countMessages(t, s, tok); after != before+1 {
				t.Fatalf("stored %d messages for one delivery and its retry", after-before)
			}
			m, ok := storedMessages(t, s, tok)[c.id]
			if !ok {
				t.Fatalf("no message stored under %q", c.id)
			}
			if !c.check(m) {
				t.Errorf("stored %+v", m)
			}
			if got, want := jsonOf(m.Metadata["sanitized"]), "["+strings.Join(c.notes, ",")+"]"; got != want {
				t.Errorf("metadata.sanitized =\n%s\nwant\n%s", got, want)
			}
		})
	}

	// The sender with the over-long id is one customer across messages.
	if status, _ := postRelay(t, webhook, url.Values{"id": {"m3-again"}, "from": {longSender}, "text": {"still me"}}); status != http.StatusOK {
		t.Fatalf("second message of the long sender: %d", status)
	}
	msgs := storedMessages(t, s, tok)
	if cu, cv, m := countMessages(t, s, tok); cu != len(cases) || cv != len(cases) || m != len(cases)+1 {
		t.Fatalf("stored %d customers, %d conversations, %d messages; want %d, %d, %d", cu, cv, m, len(cases), len(cases), len(cases)+1)
	}
	if msgs["m3-again"].Customer != "Long" {
		t.Fatalf("the long sender's second message went to %q", msgs["m3-again"].Customer)
	}
	if strings.Contains(s.Logs.String(), secretWords) {
		t.Fatal("a message's text reached the logs")
	}
}

// TestUnstorableWebhookIsFinal: a delivery that fails in a way no retry
// can fix (here an adapter that passes on a message without a sender)
// gets 422, stores nothing, and is logged with its cause but not its
// text.
func TestUnstorableWebhookIsFinal(t *testing.T) {
	s, tok, webhook := newRelayServer(t)
	for attempt := 0; attempt < 2; attempt++ {
		status, body := postRelay(t, webhook, url.Values{"id": {"orphan"}, "text": {secretWords}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "retrying will not help") {
			t.Fatalf("attempt %d: %d %s; want 422", attempt, status, body)
		}
	}
	if cu, cv, m := countMessages(t, s, tok); cu+cv+m != 0 {
		t.Fatalf("stored %d customers, %d conversations, %d messages", cu, cv, m)
	}
	logs := s.Logs.String()
	if !strings.Contains(logs, "webhook message cannot be stored") || !strings.Contains(logs, "without a sender id") {
		t.Fatalf("the cause is not logged:\n%s", logs)
	}
	if strings.Contains(logs, secretWords) || strings.Contains(logs, "webhook failed") {
		t.Fatalf("logs show the text or a 503:\n%s", logs)
	}
}
