package customers

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// AddIdentity gives a customer an identity.
func (s *Service) AddIdentity(ctx context.Context, c *ent.Client, customerID gid.ID, kind customeridentity.Kind, value string, verified bool) (*ent.CustomerIdentity, error) {
	return nil, apperr.New(apperr.Internal, "identities are being built")
}

// RemoveIdentity removes an identity.
func (s *Service) RemoveIdentity(ctx context.Context, c *ent.Client, id gid.ID) (gid.ID, error) {
	return "", apperr.New(apperr.Internal, "identities are being built")
}

// CreateAttributeDefinition declares a typed custom attribute.
func (s *Service) CreateAttributeDefinition(ctx context.Context, c *ent.Client, in ent.CreateAttributeDefinitionInput) (*ent.AttributeDefinition, error) {
	return c.AttributeDefinition.Create().SetInput(in).Save(ctx)
}
