package channels

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func notes(t *testing.T, in Inbound) string {
	t.Helper()
	b, err := json.Marshal(in.Metadata[MetadataSanitized])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSanitizeLeavesStorableMessagesAlone(t *testing.T) {
	in := Inbound{
		ProviderMessageID: strings.Repeat("m", MaxMessageID),
		Sender: Sender{ExternalID: strings.Repeat("u", MaxExternalID), Name: strings.Repeat("客", MaxName),
			Email: "ann@example.com", Phone: "+8613800000000"},
		Text:        strings.Repeat("é", MaxText/2),
		Attachments: []Attachment{{URL: "https://x/a.png", Name: "a.png"}},
		Metadata:    map[string]any{"n": 1.5, "tags": []any{"a", true, nil}, "deep": map[string]any{"k": "v"}},
	}
	want := in
	if fixes := Sanitize(&in); len(fixes) != 0 {
		t.Fatalf("fixes = %+v", fixes)
	}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("changed:\n%+v\nwant\n%+v", in, want)
	}
}

func TestSanitizeIdentifiers(t *testing.T) {
	long := strings.Repeat("m", MaxMessageID+45)
	external := strings.Repeat("u", 10000)
	in := Inbound{ProviderMessageID: long, Sender: Sender{ExternalID: external}, ThreadKey: "t\x00"}
	Sanitize(&in)
	if in.ProviderMessageID != Digest(long) || len(in.ProviderMessageID) != 71 || in.Sender.ExternalID != Digest(external) ||
		in.ThreadKey != Digest("t\x00") {
		t.Fatalf("ids = %q %q %q", in.ProviderMessageID, in.Sender.ExternalID, in.ThreadKey)
	}
	want := `[{"action":"hashed","field":"messageID","length":300,"limit":255,"problem":"too_long"},` +
		`{"action":"hashed","field":"sender.externalID","length":10000,"limit":512,"problem":"too_long"},` +
		`{"action":"hashed","field":"threadKey","length":2,"problem":"nul"}]`
	if got := notes(t, in); got != want {
		t.Fatalf("notes =\n%s\nwant\n%s", got, want)
	}
	// A retry gives the same ids; other ids give other digests.
	again := Inbound{ProviderMessageID: long, Sender: Sender{ExternalID: external}}
	Sanitize(&again)
	other := Inbound{ProviderMessageID: long + "x", Sender: Sender{ExternalID: "a\x00b"}}
	Sanitize(&other)
	if again.ProviderMessageID != in.ProviderMessageID || again.Sender.ExternalID != in.Sender.ExternalID ||
		other.ProviderMessageID == in.ProviderMessageID || other.Sender.ExternalID == Digest("ab") {
		t.Fatal("digests are not stable and distinct")
	}
	for _, id := range []string{"bad\xff", "nul\x00"} {
		m := Inbound{ProviderMessageID: id}
		Sanitize(&m)
		if m.ProviderMessageID != Digest(id) {
			t.Errorf("%q -> %q", id, m.ProviderMessageID)
		}
	}
}

func TestSanitizeTexts(t *testing.T) {
	in := Inbound{
		Sender: Sender{Name: strings.Repeat("客", MaxName+1) + "\x00", Email: "ann\x00@example.com", Phone: strings.Repeat("1", 600)},
		Text:   "a\x00b\xffcd" + strings.Repeat("é", MaxText/2),
	}
	fixes := Sanitize(&in)
	if in.Sender.Name != strings.Repeat("客", MaxName) || in.Sender.Email != "" || in.Sender.Phone != "" {
		t.Fatalf("sender = %+v", in.Sender)
	}
	if !utf8.ValidString(in.Text) || len(in.Text) > MaxText || !strings.HasPrefix(in.Text, "ab\uFFFDcdé") || len(in.Text) != MaxText-1 {
		t.Fatalf("text: valid %v, %d bytes, starts %q", utf8.ValidString(in.Text), len(in.Text), in.Text[:8])
	}
	var reasons []string
	for _, f := range fixes {
		reasons = append(reasons, f.Action+": "+f.Reason())
	}
	want := []string{
		"cleaned: sender.name contains a NUL character",
		"truncated: sender.name is longer than 255 characters",
		"dropped: sender.email contains a NUL character",
		"dropped: sender.phone is longer than 512 bytes",
		"cleaned: text is not valid UTF-8",
		"cleaned: text contains a NUL character",
		"truncated: text is longer than 65536 bytes",
	}
	if !reflect.DeepEqual(reasons, want) {
		t.Fatalf("fixes =\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(want, "\n"))
	}
}

func TestSanitizeAttachmentsAndMetadata(t *testing.T) {
	atts := []Attachment{{URL: "https://x/a", ContentType: "image/png\x00", Name: "a\xfe.png"}}
	meta := map[string]any{
		"ok": "fine", "k\x00ey": "v", "nested": map[string]any{"list": []any{"x\x00", 1.0, math.NaN()}},
		"typed": struct {
			A string `json:"a"`
		}{"b\x00"},
		"inf": math.Inf(1),
	}
	in := Inbound{Attachments: atts, Metadata: meta}
	Sanitize(&in)
	if atts[0].ContentType != "image/png\x00" || meta["k\x00ey"] != "v" {
		t.Fatal("Sanitize wrote into the caller's slice or map")
	}
	if a := in.Attachments[0]; a.ContentType != "image/png" || a.Name != "a\uFFFD.png" || a.URL != "https://x/a" {
		t.Fatalf("attachment = %+v", a)
	}
	got, _ := json.Marshal(in.Metadata)
	want := `{"key":"v","nested":{"list":["x",1]},"ok":"fine",` +
		`"sanitized":[{"action":"cleaned","field":"attachments[0].contentType","length":10,"problem":"nul"},` +
		`{"action":"cleaned","field":"attachments[0].name","length":6,"problem":"invalid_utf8"},` +
		`{"action":"dropped","field":"metadata.inf","length":0,"problem":"not_json"},` +
		`{"action":"cleaned","field":"metadata.key (key)","length":4,"problem":"nul"},` +
		`{"action":"cleaned","field":"metadata.nested.list[0]","length":2,"problem":"nul"},` +
		`{"action":"dropped","field":"metadata.nested.list[2]","length":0,"problem":"not_json"},` +
		`{"action":"cleaned","field":"metadata.typed.a","length":2,"problem":"nul"}],"typed":{"a":"b"}}`
	if string(got) != want {
		t.Fatalf("metadata =\n%s\nwant\n%s", got, want)
	}
	// The same input gives the same notes every time (map order is random).
	for i := 0; i < 20; i++ {
		again := Inbound{Attachments: atts, Metadata: meta}
		Sanitize(&again)
		if b, _ := json.Marshal(again.Metadata); string(b) != want {
			t.Fatalf("run %d differs:\n%s", i, b)
		}
	}
}

// A check on a copy, as the api adapter makes, leaves the message as it was.
func TestSanitizeOnACopy(t *testing.T) {
	in := Inbound{Text: "x\x00", Attachments: []Attachment{{Name: "\x00"}}, Metadata: map[string]any{"a": "\x00"}}
	probe := in
	if fixes := Sanitize(&probe); len(fixes) != 3 {
		t.Fatalf("fixes = %+v", fixes)
	}
	if in.Text != "x\x00" || in.Attachments[0].Name != "\x00" || in.Metadata["a"] != "\x00" || len(in.Metadata) != 1 {
		t.Fatalf("original changed: %+v", in)
	}
}
