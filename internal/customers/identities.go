package customers

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/attributedefinition"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/identity"
	"github.com/switchboard/switchboard/internal/viewer"
)

var (
	errCustomerNotFound = apperr.NotFoundf("customer not found")
	errIdentityNotFound = apperr.NotFoundf("identity not found")
)

// maxMergeHops bounds how far a chain of merges is followed.
const maxMergeHops = 16

// AddIdentity gives a customer an identity, normalised in the workspace's
// phone region. An API token's identities are verified (source
// INTEGRATION); an agent's are claims unless verified is true (source
// AGENT). Channel-scoped ids are recorded by their channels only. A
// verified identity that another customer holds verified is a CONFLICT:
// they are one person and should be merged. Adding an identity the
// customer has returns it, verified now when asked. A merged customer's id
// stands for the customer it was merged into.
func (s *Service) AddIdentity(ctx context.Context, customerID gid.ID, kind customeridentity.Kind, value string, verified bool) (*ent.CustomerIdentity, error) {
	if kind == customeridentity.KindCHANNEL_USER || kind == customeridentity.KindPLATFORM_USER {
		return nil, apperr.Invalid("kind", "channel and platform user ids are recorded by their channels; add an email, a phone number or an external id")
	}
	source := sourceOf(viewer.FromContext(ctx))
	if source == customeridentity.SourceINTEGRATION {
		verified = true
	}
	cust, err := s.primary(ctx, customerID)
	if err != nil {
		return nil, err
	}
	region, err := s.PhoneRegion(ctx)
	if err != nil {
		return nil, err
	}
	value, err = identity.Normalize("value", kind, value, region)
	if err != nil {
		return nil, err
	}
	ident, changed, err := s.addIdentity(ctx, cust.ID, kind, value, verified, source)
	if err != nil {
		return nil, err
	}
	if changed {
		if err := s.updated(ctx, cust.ID); err != nil {
			return nil, err
		}
	}
	return ident, nil
}

// addIdentity records a normalised identity on a customer unless it has it
// already; a verified one upgrades the customer's own claim of the value.
// It reports whether anything changed.
func (s *Service) addIdentity(ctx context.Context, cust gid.ID, kind customeridentity.Kind, value string, verified bool, source customeridentity.Source) (*ent.CustomerIdentity, bool, error) {
	c := s.db(ctx)
	have, err := c.CustomerIdentity.Query().
		Where(customeridentity.CustomerID(cust), customeridentity.KindEQ(kind), customeridentity.Value(value),
			customeridentity.ChannelIDIsNil()).
		Order(ent.Desc(customeridentity.FieldVerified), ent.Asc(customeridentity.FieldID)).
		First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, false, fmt.Errorf("customers: find identity: %w", err)
	}
	if have != nil && (have.Verified || !verified) {
		return have, false, nil
	}
	if verified {
		if err := s.checkVerifiable(ctx, cust, kind, value); err != nil {
			return nil, false, err
		}
	}
	if have != nil {
		// The claim becomes verified by whoever vouches for it now.
		up, err := c.CustomerIdentity.UpdateOne(have).SetVerified(true).SetSource(source).Save(ctx)
		if ent.IsConstraintError(err) {
			return nil, false, errVerifiedElsewhere(kind, value, "")
		}
		if err != nil {
			return nil, false, fmt.Errorf("customers: verify identity: %w", err)
		}
		return up, true, nil
	}
	created, err := c.CustomerIdentity.Create().SetCustomerID(cust).SetKind(kind).SetValue(value).
		SetVerified(verified).SetSource(source).Save(ctx)
	if verified && ent.IsConstraintError(err) {
		// Another transaction verified it on another customer meanwhile.
		return nil, false, errVerifiedElsewhere(kind, value, "")
	}
	if err != nil {
		return nil, false, fmt.Errorf("customers: add identity: %w", err)
	}
	return created, true, nil
}

// checkVerifiable refuses a verified identity that another customer holds
// verified.
func (s *Service) checkVerifiable(ctx context.Context, cust gid.ID, kind customeridentity.Kind, value string) error {
	c := s.db(ctx)
	other, err := c.CustomerIdentity.Query().
		Where(customeridentity.KindEQ(kind), customeridentity.Value(value), customeridentity.ChannelIDIsNil(),
			customeridentity.Verified(true), customeridentity.CustomerIDNEQ(cust)).
		First(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("customers: find verified identity: %w", err)
	}
	return errVerifiedElsewhere(kind, value, other.CustomerID)
}

// errVerifiedElsewhere is the CONFLICT of a verified identity that another
// customer (named when known) holds verified.
func errVerifiedElsewhere(kind customeridentity.Kind, value string, other gid.ID) error {
	if other == "" {
		return apperr.New(apperr.Conflict, "the verified %s %s belongs to another customer; merge them", kind, value)
	}
	return apperr.New(apperr.Conflict, "the verified %s %s belongs to another customer (%s); merge them", kind, value, other)
}

// RemoveIdentity removes an email, phone number or external id from its
// customer. Channel user ids are how channels find the customer, so they
// are not removed (CONFLICT); merging and unmerging move them.
func (s *Service) RemoveIdentity(ctx context.Context, id gid.ID) (gid.ID, error) {
	c := s.db(ctx)
	ident, err := c.CustomerIdentity.Get(ctx, id)
	if ent.IsNotFound(err) {
		return "", errIdentityNotFound
	}
	if err != nil {
		return "", fmt.Errorf("customers: load identity: %w", err)
	}
	if ident.Kind == customeridentity.KindCHANNEL_USER {
		return "", apperr.New(apperr.Conflict, "a channel user id is how its channel finds the customer and cannot be removed")
	}
	if err := c.CustomerIdentity.DeleteOne(ident).Exec(ctx); err != nil {
		if ent.IsNotFound(err) {
			return "", errIdentityNotFound
		}
		return "", fmt.Errorf("customers: remove identity: %w", err)
	}
	if err := s.updated(ctx, ident.CustomerID); err != nil {
		return "", err
	}
	return ident.ID, nil
}

// CreateAttributeDefinition declares a typed custom attribute; its name is
// unique in the workspace (CONFLICT).
func (s *Service) CreateAttributeDefinition(ctx context.Context, in ent.CreateAttributeDefinitionInput) (*ent.AttributeDefinition, error) {
	c := s.db(ctx)
	taken, err := c.AttributeDefinition.Query().Where(attributedefinition.Name(in.Name)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("customers: find attribute definition: %w", err)
	}
	if taken {
		return nil, errAttributeTaken(in.Name)
	}
	def, err := c.AttributeDefinition.Create().SetInput(in).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, errAttributeTaken(in.Name)
	}
	return def, err
}

func errAttributeTaken(name string) error {
	return apperr.New(apperr.Conflict, "an attribute named %q exists already", name)
}

// PrimaryID follows a customer's merges (reading only the link) to the
// customer that holds it now: id itself unless it was merged.
func (s *Service) PrimaryID(ctx context.Context, id gid.ID) (gid.ID, error) {
	c := s.db(ctx)
	for range maxMergeHops {
		row, err := c.Customer.Query().Where(customer.ID(id)).Select(customer.FieldMergedIntoID).Only(ctx)
		if ent.IsNotFound(err) {
			return "", errCustomerNotFound
		}
		if err != nil {
			return "", fmt.Errorf("customers: load customer: %w", err)
		}
		if row.MergedIntoID == nil {
			return id, nil
		}
		id = *row.MergedIntoID
	}
	return "", errors.New("customers: merges of customers form a loop")
}

// primary loads a customer, following merges to the customer it now is.
func (s *Service) primary(ctx context.Context, id gid.ID) (*ent.Customer, error) {
	c := s.db(ctx)
	id, err := s.PrimaryID(ctx, id)
	if err != nil {
		return nil, err
	}
	cust, err := c.Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, errCustomerNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("customers: load customer: %w", err)
	}
	return cust, nil
}

// phoneRegion is the region the actor's workspace reads national phone
// numbers in.
func (s *Service) PhoneRegion(ctx context.Context) (string, error) {
	c := s.db(ctx)
	ws, err := c.Workspace.Query().Only(ctx)
	if err != nil {
		return "", fmt.Errorf("customers: load workspace: %w", err)
	}
	return ws.DefaultPhoneRegion, nil
}

// sourceOf tells where identities the actor gives come from.
func sourceOf(a *viewer.Actor) customeridentity.Source {
	if a != nil && a.Kind == viewer.KindAPIToken {
		return customeridentity.SourceINTEGRATION
	}
	return customeridentity.SourceAGENT
}

// updated records that a customer changed, in ctx's transaction.
func (s *Service) updated(ctx context.Context, id gid.ID) error {
	if err := s.events.Record(ctx, events.Event{Type: events.CustomerUpdated, CustomerID: id}); err != nil {
		return fmt.Errorf("customers: record event: %w", err)
	}
	return nil
}
