package quickreplies

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Render is the quick reply's body with the variables filled for the
// conversation (both must be visible to the caller) and the calling
// agent; missing values take their fallback, or nothing.
func (s *Service) Render(ctx context.Context, id, conversationID gid.ID) (string, error) {
	qr, err := s.Get(ctx, id)
	if err != nil {
		return "", err
	}
	values, err := s.Values(ctx, conversationID)
	if err != nil {
		return "", err
	}
	return render.String(qr.Body, values), nil
}

// Values are the render.Conversation variables' values for a conversation:
// agent.* is the acting agent, or, when Switchboard itself writes (an
// auto-reply, an automation rule), the conversation's assignee; with
// neither, agent.* take their fallbacks. Quick replies, auto-replies and
// rule notes all fill their texts from here.
func (s *Service) Values(ctx context.Context, conversationID gid.ID) (render.Values, error) {
	c := s.db(ctx)
	conv, err := c.Conversation.Query().Where(conversationIs(conversationID)).
		WithCustomer().WithChannel().Only(ctx)
	if err != nil {
		return nil, err
	}
	var agentID *gid.ID
	if a := viewer.FromContext(ctx); a != nil && a.AgentID != "" && a.Kind != viewer.KindSystem {
		agentID = &a.AgentID
	} else if a != nil && a.Kind == viewer.KindSystem {
		agentID = conv.AssigneeID
	}
	var agent *ent.Agent
	if agentID != nil {
		if agent, err = c.Agent.Get(ctx, *agentID); err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
	}
	var idents []*ent.CustomerIdentity
	if conv.Edges.Customer != nil {
		idents, err = c.CustomerIdentity.Query().Where(customeridentity.CustomerID(conv.CustomerID),
			customeridentity.KindIn(customeridentity.KindEMAIL, customeridentity.KindPHONE)).
			Order(ent.Desc(customeridentity.FieldVerified), ent.Asc(customeridentity.FieldCreatedAt), ent.Asc(customeridentity.FieldID)).
			All(ctx)
		if err != nil {
			return nil, err
		}
	}
	return values(conv, agent, idents), nil
}

// values builds the variables from loaded rows: the customer's name,
// first email and phone (verified ones first), custom attributes as text,
// the agent's name and email, the channel's name, the conversation id.
func values(conv *ent.Conversation, agent *ent.Agent, idents []*ent.CustomerIdentity) render.Values {
	v := render.Values{"conversation.id": string(conv.ID)}
	if cu := conv.Edges.Customer; cu != nil {
		v["customer.name"] = cu.Name
		for k, x := range cu.CustomAttributes {
			v["customer.attributes."+k] = render.Text(x)
		}
	}
	for _, id := range idents {
		key := "customer.email"
		if id.Kind == customeridentity.KindPHONE {
			key = "customer.phone"
		}
		if v[key] == "" {
			v[key] = id.Value
		}
	}
	if ch := conv.Edges.Channel; ch != nil {
		v["channel.name"] = ch.Name
	}
	if agent != nil {
		v["agent.name"], v["agent.email"] = agent.Name, agent.Email
	}
	return v
}
