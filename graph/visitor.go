package graph

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
	"github.com/switchboard/switchboard/internal/visitor"
)

// visitorSender is who wrote a message, as the visitor sees it.
func visitorSender(ctx context.Context, m *ent.Message) (*model.VisitorSender, error) {
	switch m.SenderKind {
	case message.SenderKindCUSTOMER:
		s := &model.VisitorSender{Kind: model.VisitorSenderKindCustomer}
		if conv := m.Edges.Conversation; conv != nil && conv.Edges.Customer != nil {
			s.Name = nonEmpty(conv.Edges.Customer.Name)
			s.AvatarURL = nonEmpty(conv.Edges.Customer.AvatarURL)
		}
		return s, nil
	case message.SenderKindAGENT:
		s := &model.VisitorSender{Kind: model.VisitorSenderKindAgent}
		ag := m.Edges.Author
		if ag == nil && m.AuthorID != nil {
			var err error
			if ag, err = m.QueryAuthor().Only(ctx); err != nil && !ent.IsNotFound(err) {
				return nil, err
			}
		}
		if ag != nil {
			s.Name = nonEmpty(ag.Name)
			s.AvatarURL = nonEmpty(ag.AvatarURL)
		}
		return s, nil
	default:
		return &model.VisitorSender{Kind: model.VisitorSenderKindBot}, nil
	}
}

func (r *Resolver) startVisitorSession(ctx context.Context, channelKey string, v *model.VisitorInput) (*model.VisitorSession, error) {
	in := visitor.Input{}
	if v != nil {
		in = visitor.Input{
			Name: deref(v.Name), Email: deref(v.Email), Phone: deref(v.Phone),
			ExternalID: deref(v.ExternalID), IdentityHash: deref(v.IdentityHash),
		}
	}
	s, err := r.Visitors.Start(ctx, channelKey, in, viewer.FromContext(ctx))
	if err != nil {
		return nil, err
	}
	viewer.Become(ctx, s.Actor) // the session's fields resolve as the visitor
	return visitorSession(s), nil
}

func visitorSession(s *visitor.Session) *model.VisitorSession {
	return &model.VisitorSession{Token: s.Token, ExpiresAt: s.ExpiresAt, Verified: s.Verified, Actor: s.Actor}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// webChannelMayChange runs once the request's transaction commits, when
// it changed channel id (or created one: id ""). This instance reads web
// chat channels' allowed origins again (other instances notice within
// seconds, see visitor.Origins), and every instance re-authenticates the
// website visitors' websockets on the channel at once: disabling it, or
// no longer allowing their origin, ends their subscriptions.
func (r *Resolver) webChannelMayChange(ctx context.Context, id gid.ID) {
	r.Events.AfterCommit(ctx, r.Visitors.Origins.Forget)
	if a := viewer.FromContext(ctx); a != nil && id != "" {
		auth.SignalCredentialsChanged(ctx, r.Events, a.WorkspaceID, auth.CredentialsChanged{ChannelID: id})
	}
}

// receiversMayChange has this instance's receivers look at the channels
// again once the change commits (others notice within their scan).
func (r *Resolver) receiversMayChange(ctx context.Context) {
	if r.Receivers != nil {
		r.Events.AfterCommit(ctx, r.Receivers.Kick)
	}
}
