package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/testenv"
)

// TestAPIChannelExtras: fields an integrator adds to an inbound body, at
// the top and in the sender, are accepted and kept in Message.metadata
// under "extra"; the sender's externalID finds the
// customer in customers(search:).
func TestAPIChannelExtras(t *testing.T) {
	s := testenv.New(t)
	tok := s.AdminToken(t)
	ch := createAPIChannel(t, s, tok, "")
	body := []byte(`{"messageID":"x-1","sender":{"externalID":"crm-7781","name":"Lee","tier":"gold"},
		"text":"where is my order?","orderNumber":"SO-1","amount":42.5,"tags":["vip"]}`)
	status, ids := postBody(t, ch.WebhookURL, apiSecret, time.Now(), body)
	if status != 200 {
		t.Fatalf("an inbound body with extra fields: status %d %v", status, ids)
	}
	var out struct {
		Node struct{ Metadata map[string]json.RawMessage }
	}
	s.MustDo(t, tok, `query($id: ID!) { node(id: $id) { ... on Message { metadata } } }`, map[string]any{"id": ids["messageID"]}, &out)
	want := `{"amount":42.5,"orderNumber":"SO-1","sender":{"tier":"gold"},"tags":["vip"]}`
	if got := string(out.Node.Metadata["extra"]); got != want {
		t.Fatalf("metadata.extra = %s, want %s", got, want)
	}

	found := cuSearch(t, s, tok, "crm-7781")
	if len(found) != 1 || found[0].Name != "Lee" {
		t.Fatalf("search by the api sender's externalID found %+v", found)
	}
	if other := cuSearch(t, s, tok, "crm-778"); len(other) != 0 {
		t.Fatalf("a prefix of an external id matched %+v", other)
	}
}
