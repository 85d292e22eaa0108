package quickreplies_test

import (
	"testing"

	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/quickreply"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/quickreplies"
	"github.com/switchboard/switchboard/internal/testenv"
	"github.com/switchboard/switchboard/internal/viewer"
)

// TestRender renders quick replies through the service for stored
// conversations: values present, missing (fallback or nothing), values
// that look like placeholders (inserted literally, never parsed again),
// attribute keys of every JSON type, and the acting agent.
func TestRender(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	svc := quickreplies.New(c, nil, nil, nil, nil)
	ch := c.Channel.Create().SetKind("api").SetName("Shop API").SetKey("shop").SaveX(ctx)
	agent := c.Agent.Create().SetName("Alex").SetEmail("alex@example.com").SetPasswordHash("x").SaveX(ctx)
	sys := viewer.FromContext(ctx)
	asAgent := viewer.NewContext(ctx, &viewer.Actor{Kind: viewer.KindAgent, WorkspaceID: sys.WorkspaceID, AgentID: agent.ID, Role: viewer.RoleAgent})

	full := c.Customer.Create().SetName("Dana").SetCustomAttributes(map[string]any{
		"plan": "gold", "seats": float64(12), "ratio": 0.5, "trial": true, "tags": []any{"a", "b"}, "none": nil,
	}).SaveX(ctx)
	c.CustomerIdentity.Create().SetCustomerID(full.ID).SetKind(customeridentity.KindEMAIL).SetValue("dana@example.com").SaveX(ctx)
	c.CustomerIdentity.Create().SetCustomerID(full.ID).SetKind(customeridentity.KindPHONE).SetValue("+8613800138000").SaveX(ctx)
	empty := c.Customer.Create().SaveX(ctx)
	sneaky := c.Customer.Create().SetName(`{{agent.name}}`).SetCustomAttributes(map[string]any{"plan": `{{ "x" }}`}).SaveX(ctx)
	fullConv := string(c.Conversation.Create().SetCustomerID(full.ID).SetChannelID(ch.ID).SaveX(ctx).ID)
	emptyConv := c.Conversation.Create().SetCustomerID(empty.ID).SetChannelID(ch.ID).SaveX(ctx).ID
	sneakyConv := c.Conversation.Create().SetCustomerID(sneaky.ID).SetChannelID(ch.ID).SaveX(ctx).ID

	for _, tc := range []struct {
		name, body string
		conv       string
		agent      bool
		want       string
	}{
		{"values", `Hi {{customer.name}} <{{customer.email}}> {{customer.phone}} on {{channel.name}}`, fullConv, false,
			"Hi Dana <dana@example.com> +8613800138000 on Shop API"},
		{"fallback unused", `Hi {{customer.name | "there"}}`, fullConv, false, "Hi Dana"},
		{"missing with fallback", `Hi {{customer.name | "there"}}, {{customer.email | "no mail"}}`, string(emptyConv), false, "Hi there, no mail"},
		{"missing without fallback", `Hi {{customer.name}}!{{customer.phone}}`, string(emptyConv), false, "Hi !"},
		{"attribute keys", `{{customer.attributes.plan}} {{customer.attributes.seats}} {{customer.attributes.ratio}} {{customer.attributes.trial}} {{customer.attributes.tags}}`,
			fullConv, false, "gold 12 0.5 true a, b"},
		{"null and unknown attribute", `[{{customer.attributes.none | "-"}}][{{customer.attributes.missing | "?"}}]`, fullConv, false, "[-][?]"},
		{"no agent: fallback", `I'm {{agent.name | "the team"}}{{agent.email}}`, fullConv, false, "I'm the team"},
		{"agent", `I'm {{agent.name | "the team"}} ({{agent.email}})`, fullConv, true, "I'm Alex (alex@example.com)"},
		{"name that looks like a placeholder", `Hi {{customer.name}}, {{customer.attributes.plan}}`, string(sneakyConv), true,
			`Hi {{agent.name}}, {{ "x" }}`},
		{"conversation id and literal braces", `#{{conversation.id}} {{ "{{" }}x}}`, fullConv, false, "#" + fullConv + " {{x}}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qr := c.QuickReply.Create().SetShortcut("r").SetTitle("t").SetBody(tc.body).SetScope(quickreply.ScopeWORKSPACE).
				SetScopeKey("W").SaveX(ctx)
			defer c.QuickReply.DeleteOne(qr).ExecX(ctx)
			use := ctx
			if tc.agent {
				use = asAgent
			}
			got, err := svc.Render(use, qr.ID, gid.ID(tc.conv))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := svc.Render(ctx, "qr_00000000000000000000000000", gid.ID(fullConv)); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("an unknown quick reply: %v", err)
	}
}
