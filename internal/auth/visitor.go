package auth

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/channel"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/viewer"
	"github.com/switchboard/switchboard/internal/webchat"
)

// A visitor token names a visitor id on one web chat channel. The visitor
// id is a verified CHANNEL_USER identity of that channel, so the token
// follows its customer through merges, and stops working when the identity
// goes, the channel is disabled, or the browser's origin is not allowed.

// NewVisitorID returns a new random visitor id.
func NewVisitorID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("auth: reading random bytes: " + err.Error())
	}
	return "v_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// IssueVisitorToken signs a visitor token valid for ttl.
func (s *Service) IssueVisitorToken(workspaceID, channelID gid.ID, visitorID string, ttl time.Duration) (string, time.Time, error) {
	return s.sign(visitorID, visitorAudience, workspaceID, channelID, 0, ttl)
}

var errOrigin = apperr.New(apperr.Forbidden, "this website chat does not allow requests from this origin")

func (s *Service) authenticateVisitor(ctx context.Context, c *claims) (*viewer.Actor, error) {
	chID, wsID := gid.ID(c.ChannelID), gid.ID(c.WorkspaceID)
	if !chID.Valid() {
		return nil, errUnauthenticated
	}
	ch, err := s.client.Channel.Query().
		Where(channel.ID(chID), channel.WorkspaceID(wsID), channel.Kind(webchat.Kind), channel.Enabled(true)).
		Only(system(ctx))
	if ent.IsNotFound(err) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load visitor channel: %w", err)
	}
	if o := Origin(ctx); o != "" && !webchat.OriginAllowed(ch.Settings, o) {
		return nil, errOrigin
	}
	ident, err := s.client.CustomerIdentity.Query().
		Where(customeridentity.KindEQ(customeridentity.KindCHANNEL_USER), customeridentity.ChannelID(chID),
			customeridentity.Value(c.Subject), customeridentity.Verified(true)).
		WithCustomer().
		Only(system(ctx))
	if ent.IsNotFound(err) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load visitor: %w", err)
	}
	customerID := ident.CustomerID
	if cu := ident.Edges.Customer; cu != nil && cu.MergedIntoID != nil {
		customerID = *cu.MergedIntoID
	}
	return &viewer.Actor{
		Kind: viewer.KindVisitor, WorkspaceID: wsID, ChannelID: chID, CustomerID: customerID, VisitorID: c.Subject,
	}, nil
}
