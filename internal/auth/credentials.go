package auth

import (
	"context"
	"encoding/json"

	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
)

// CredentialsChanged is the data of an events.SignalCredentials signal:
// credentials that rest on these ids stopped working or may now grant less
// (revoked, deactivated, demoted, a password changed). Every instance
// re-authenticates at once its websockets whose credential rests on one of
// them; the periodic re-check stays as the backstop. It carries ids only.
type CredentialsChanged struct {
	// AgentID: the agent's session tokens and the API tokens acting for it.
	AgentID gid.ID `json:"agentID,omitempty"`
	// TokenID: one API token.
	TokenID gid.ID `json:"tokenID,omitempty"`
	// ChannelID: website visitors' sessions on a web chat channel.
	ChannelID gid.ID `json:"channelID,omitempty"`
}

// IDs lists the ids the change names.
func (c CredentialsChanged) IDs() []gid.ID {
	out := make([]gid.ID, 0, 3)
	for _, id := range []gid.ID{c.AgentID, c.TokenID, c.ChannelID} {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// SignalCredentialsChanged tells every instance that credentials of the
// workspace changed, once the transaction of ctx has committed.
func SignalCredentialsChanged(ctx context.Context, log *events.Log, workspace gid.ID, c CredentialsChanged) {
	log.SignalAfterCommit(ctx, workspace, events.SignalCredentials, c)
}

// DecodeCredentialsChanged reads a credentials signal.
func DecodeCredentialsChanged(sig *events.Signal) (CredentialsChanged, bool) {
	var c CredentialsChanged
	if sig.Kind != events.SignalCredentials || json.Unmarshal(sig.Data, &c) != nil || len(c.IDs()) == 0 {
		return c, false
	}
	return c, true
}

// CredentialIDs lists the ids an actor's credential rests on, which
// credentials signals name: the agent (for an API token, also the agent it
// acts for) and the token, or a website visitor's channel.
func CredentialIDs(a *viewer.Actor) []gid.ID {
	if a == nil || a.Kind == viewer.KindSystem {
		return nil
	}
	return CredentialsChanged{AgentID: a.AgentID, TokenID: a.TokenID, ChannelID: a.ChannelID}.IDs()
}
