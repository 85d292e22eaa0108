package customers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/identity"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// MaxUpsertIdentities bounds the identities of one upsert.
const MaxUpsertIdentities = 20

// UpsertIdentity is an identity an integrator knows a customer by.
type UpsertIdentity struct {
	Kind  customeridentity.Kind
	Value string
}

// Create creates a customer, its custom attributes checked against the
// workspace's definitions (null values are left out).
func (s *Service) Create(ctx context.Context, in ent.CreateCustomerInput) (*ent.Customer, error) {
	c := s.db(ctx)
	if in.CustomAttributes != nil {
		attrs, err := s.ApplyAttributes(ctx, nil, in.CustomAttributes)
		if err != nil {
			return nil, err
		}
		in.CustomAttributes = attrs
	}
	return c.Customer.Create().SetInput(in).Save(ctx)
}

// Update changes a customer (a merged customer's id stands for the
// customer it was merged into) and records customer.updated. Custom
// attributes are merged by key into the customer's: a null value removes
// a key, keys not given stay, clearCustomAttributes empties the map before
// the given ones apply; every value is checked against its definition.
func (s *Service) Update(ctx context.Context, id gid.ID, in ent.UpdateCustomerInput) (*ent.Customer, error) {
	c := s.db(ctx)
	cust, err := s.lockedPrimary(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.ClearCustomAttributes || in.CustomAttributes != nil {
		base := cust.CustomAttributes
		if in.ClearCustomAttributes {
			base = nil
		}
		attrs, err := s.ApplyAttributes(ctx, base, in.CustomAttributes)
		if err != nil {
			return nil, err
		}
		in.CustomAttributes, in.ClearCustomAttributes = attrs, attrs == nil
	}
	updated, err := c.Customer.UpdateOne(cust).SetInput(in).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, errCustomerNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("customers: update: %w", err)
	}
	if err := s.updated(ctx, updated.ID); err != nil {
		return nil, err
	}
	return updated, nil
}

// lockedPrimary loads a customer following merges; on PostgreSQL its row is
// locked for the rest of the transaction, so that concurrent changes of
// its attributes do not lose each other's keys.
func (s *Service) lockedPrimary(ctx context.Context, id gid.ID) (*ent.Customer, error) {
	c := s.db(ctx)
	cust, err := s.primary(ctx, id)
	if err != nil || !s.lockRows {
		return cust, err
	}
	cust, err = c.Customer.Query().Where(customer.ID(cust.ID)).ForUpdate().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, errCustomerNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("customers: lock customer: %w", err)
	}
	return cust, nil
}

// Upsert is for integrators: it finds the customer holding any of the
// identities verified (following merges), or creates one, records all the
// identities on it as verified (source INTEGRATION for API tokens, AGENT
// for agents), applies input as Update does, and records
// customer.updated. Identities verified on different customers are a
// CONFLICT: they have to be merged first.
//
// Upsert runs in its own transactions, not the caller's: two concurrent
// upserts of one new identity race on the unique index of verified
// identities, and the loser is retried and then finds the winner's
// customer, so none is created twice.
func (s *Service) Upsert(ctx context.Context, identities []UpsertIdentity, input *ent.UpdateCustomerInput) (*ent.Customer, error) {
	a := viewer.FromContext(ctx)
	switch {
	case a == nil:
		return nil, apperr.New(apperr.Unauthenticated, "sign in or give an API token")
	case a.Kind != viewer.KindAPIToken && a.Kind != viewer.KindAgent, !a.CanWrite():
		return nil, apperr.New(apperr.Forbidden, "upserting customers needs an agent or an API token that may write")
	}
	region, err := s.PhoneRegion(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := normalizeAll(identities, region)
	if err != nil {
		return nil, err
	}
	if input == nil {
		input = &ent.UpdateCustomerInput{}
	}
	source := sourceOf(a)
	var cust *ent.Customer
	err = store.InTx(ctx, s.client, func(ctx context.Context) (err error) {
		cust, err = s.upsertOnce(ctx, ids, source, *input)
		return err
	})
	if err == nil {
		return cust, nil
	}
	var raced *store.RacedError
	switch {
	case errors.As(err, &raced):
		return nil, raced.Err
	case ent.IsConstraintError(err):
		return nil, apperr.New(apperr.Conflict, "the customer kept changing concurrently; try again")
	}
	return nil, err
}

// normalizeAll checks and normalises an upsert's identities, dropping
// repeats.
func normalizeAll(in []UpsertIdentity, region string) ([]UpsertIdentity, error) {
	switch {
	case len(in) == 0:
		return nil, apperr.Invalid("identities", "give at least one identity")
	case len(in) > MaxUpsertIdentities:
		return nil, apperr.Invalid("identities", "give at most %d identities", MaxUpsertIdentities)
	}
	out := make([]UpsertIdentity, 0, len(in))
	for i, id := range in {
		if id.Kind == customeridentity.KindCHANNEL_USER || id.Kind == customeridentity.KindPLATFORM_USER {
			return nil, apperr.Invalid(fmt.Sprintf("identities[%d].kind", i), "channel and platform user ids are recorded by their channels; give an email, a phone number or an external id")
		}
		v, err := identity.Normalize(fmt.Sprintf("identities[%d].value", i), id.Kind, id.Value, region)
		if err != nil {
			return nil, err
		}
		n := UpsertIdentity{Kind: id.Kind, Value: v}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// upsertOnce is one attempt of an upsert, in the transaction ctx carries.
func (s *Service) upsertOnce(ctx context.Context, ids []UpsertIdentity, source customeridentity.Source, input ent.UpdateCustomerInput) (*ent.Customer, error) {
	id, err := s.upsertTarget(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, ui := range ids {
		if _, _, err := s.addIdentity(ctx, id, ui.Kind, ui.Value, true, source); err != nil {
			if apperr.CodeOf(err) == apperr.Conflict {
				// No one held it verified when the target was chosen: a
				// concurrent upsert (or agent) has verified it since.
				return nil, store.Raced(err)
			}
			return nil, err
		}
	}
	cust, err := s.Update(ctx, id, input)
	if err != nil {
		return nil, err
	}
	return cust.Unwrap(), nil
}

// upsertTarget returns the one customer holding any of ids verified, or a
// new customer when none does.
func (s *Service) upsertTarget(ctx context.Context, ids []UpsertIdentity) (gid.ID, error) {
	c := s.db(ctx)
	match := make([]predicate.CustomerIdentity, len(ids))
	for i, ui := range ids {
		match[i] = customeridentity.And(customeridentity.KindEQ(ui.Kind), customeridentity.Value(ui.Value))
	}
	holders, err := c.CustomerIdentity.Query().
		Where(customeridentity.Verified(true), customeridentity.ChannelIDIsNil(), customeridentity.Or(match...)).
		All(ctx)
	if err != nil {
		return "", fmt.Errorf("customers: upsert: find identities: %w", err)
	}
	var owners []gid.ID
	for _, h := range holders {
		p, err := s.PrimaryID(ctx, h.CustomerID)
		if err != nil {
			return "", err
		}
		if !slices.Contains(owners, p) {
			owners = append(owners, p)
		}
	}
	switch len(owners) {
	case 0:
		cust, err := c.Customer.Create().Save(ctx)
		if err != nil {
			return "", fmt.Errorf("customers: upsert: create: %w", err)
		}
		return cust.ID, nil
	case 1:
		return owners[0], nil
	}
	slices.Sort(owners)
	names := make([]string, len(owners))
	for i, o := range owners {
		names[i] = string(o)
	}
	return "", apperr.New(apperr.Conflict, "the identities belong to different customers (%s); merge them first", strings.Join(names, ", "))
}
