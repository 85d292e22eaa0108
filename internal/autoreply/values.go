package autoreply

import (
	"context"
	"fmt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/store"
)

// values are render.Conversation's variables for a conversation.
func (s *Service) values(ctx context.Context, conv *ent.Conversation) (render.Values, error) {
	db := store.Client(ctx, s.client)
	v := render.Values{"conversation.id": string(conv.ID)}
	if ch := conv.Edges.Channel; ch != nil {
		v["channel.name"] = ch.Name
	}
	cu, err := db.Customer.Query().Where(customer.ID(conv.CustomerID)).WithIdentities().Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("autoreply: customer: %w", err)
	}
	if cu != nil {
		v["customer.name"] = cu.Name
		for _, id := range cu.Edges.Identities {
			switch id.Kind {
			case customeridentity.KindEMAIL:
				setOnce(v, "customer.email", id.Value)
			case customeridentity.KindPHONE:
				setOnce(v, "customer.phone", id.Value)
			}
		}
		for k, a := range cu.CustomAttributes {
			if a != nil {
				v["customer.attributes."+k] = fmt.Sprint(a)
			}
		}
	}
	if conv.AssigneeID != nil {
		ag, err := db.Agent.Get(ctx, *conv.AssigneeID)
		if err != nil && !ent.IsNotFound(err) {
			return nil, fmt.Errorf("autoreply: agent: %w", err)
		}
		if ag != nil {
			v["agent.name"], v["agent.email"] = ag.Name, ag.Email
		}
	}
	return v, nil
}

func setOnce(v render.Values, k, s string) {
	if v[k] == "" {
		v[k] = s
	}
}
