package customers

import (
	"context"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customerduplicate"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/identity"
	"github.com/switchboard/switchboard/internal/schematype"
)

// Revealed is an identity an inbound message shows for its sender,
// already normalised.
type Revealed struct {
	Kind     customeridentity.Kind
	Value    string
	Verified bool
	Source   customeridentity.Source
}

// Owner returns the customer holding a global identity verified, following
// merges, or "".
func (s *Service) Owner(ctx context.Context, kind customeridentity.Kind, value string) (gid.ID, error) {
	c := s.db(ctx)
	ident, err := c.CustomerIdentity.Query().
		Where(customeridentity.KindEQ(kind), customeridentity.Value(value),
			customeridentity.ChannelIDIsNil(), customeridentity.Verified(true)).
		Only(ctx)
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return s.PrimaryID(ctx, ident.CustomerID)
}

// Link attaches identities an inbound message revealed to the sender's
// customer, in c's transaction, and returns the customer the message
// belongs to afterwards:
//   - an identity the customer has already is upgraded to verified when
//     it now is;
//   - a verified identity that another customer holds verified merges the
//     sender's customer into that one automatically when it is safe (see
//     safeToMerge), and the other customer is returned;
//   - otherwise an identity that another customer holds (verified or
//     claimed) records a duplicate suggestion, and the identity is kept as
//     a claim on the sender's customer.
func (s *Service) Link(ctx context.Context, cust gid.ID, revealed []Revealed) (gid.ID, error) {
	for _, r := range revealed {
		if r.Value == "" {
			continue
		}
		next, err := s.link(ctx, cust, r)
		if err != nil {
			return "", err
		}
		cust = next
	}
	return cust, nil
}

func (s *Service) link(ctx context.Context, cust gid.ID, r Revealed) (gid.ID, error) {
	c := s.db(ctx)
	same := []predicate.CustomerIdentity{
		customeridentity.KindEQ(r.Kind), customeridentity.Value(r.Value), customeridentity.ChannelIDIsNil(),
	}
	holders, err := c.CustomerIdentity.Query().Where(same...).All(ctx)
	if err != nil {
		return "", err
	}
	var mine *ent.CustomerIdentity
	var verifiedOwner gid.ID
	others := map[gid.ID]*ent.CustomerIdentity{}
	for _, h := range holders {
		owner, err := s.PrimaryID(ctx, h.CustomerID)
		if err != nil {
			return "", err
		}
		switch {
		case owner == cust:
			mine = h
		case h.Verified:
			verifiedOwner = owner
			others[owner] = h
		default:
			if others[owner] == nil {
				others[owner] = h
			}
		}
	}
	if verifiedOwner != "" && r.Verified {
		ok, err := s.safeToMerge(ctx, verifiedOwner, cust, r)
		if err != nil {
			return "", err
		}
		if ok {
			if _, err := s.merge(ctx, verifiedOwner, cust, true); err != nil {
				return "", err
			}
			return verifiedOwner, nil
		}
	}
	// Keep the identity on the sender's customer: verified only when no
	// one else holds it verified (verified identities are unique).
	verified := r.Verified && verifiedOwner == ""
	switch {
	case mine == nil:
		err := c.CustomerIdentity.Create().SetCustomerID(cust).SetKind(r.Kind).SetValue(r.Value).
			SetVerified(verified).SetSource(r.Source).Exec(ctx)
		if err != nil {
			return "", err
		}
	case verified && !mine.Verified:
		if err := c.CustomerIdentity.UpdateOne(mine).SetVerified(true).SetSource(r.Source).Exec(ctx); err != nil {
			return "", err
		}
	}
	for owner, h := range others {
		ev := schematype.Evidence{Kind: string(r.Kind), Value: r.Value, CustomerVerified: h.Verified, DuplicateVerified: verified}
		if err := s.suggest(ctx, owner, cust, ev); err != nil {
			return "", err
		}
	}
	return cust, nil
}

// suggest records (or adds evidence to) a suggestion that dup is the same
// person as cust, unless that pair was dismissed or merged before.
func (s *Service) suggest(ctx context.Context, cust, dup gid.ID, ev schematype.Evidence) error {
	c := s.db(ctx)
	d, err := c.CustomerDuplicate.Query().Where(pairOf(cust, dup)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return c.CustomerDuplicate.Create().SetCustomerID(cust).SetDuplicateID(dup).
			SetEvidence([]schematype.Evidence{ev}).Exec(ctx)
	case err != nil:
		return err
	case d.Status != customerduplicate.StatusOPEN:
		return nil // decided already
	}
	for _, e := range d.Evidence {
		if e.Kind == ev.Kind && e.Value == ev.Value {
			return nil
		}
	}
	return c.CustomerDuplicate.UpdateOne(d).SetEvidence(append(d.Evidence, ev)).Exec(ctx)
}

// safeToMerge reports whether the sender's customer may merge into the
// customer who holds a verified identity it revealed (verified too): no
// exclusive kind conflicts. Apart from the shared identity, two different
// verified external ids, two different verified emails, or two different
// ids on one channel mean two people.
func (s *Service) safeToMerge(ctx context.Context, owner, cust gid.ID, shared Revealed) (bool, error) {
	c := s.db(ctx)
	sets := func(id gid.ID) (map[string][]string, error) {
		rows, err := c.CustomerIdentity.Query().Where(customeridentity.CustomerID(id), customeridentity.Verified(true)).All(ctx)
		if err != nil {
			return nil, err
		}
		out := map[string][]string{}
		for _, r := range rows {
			if r.Kind == shared.Kind && r.Value == shared.Value && r.ChannelID == nil {
				continue
			}
			key := string(r.Kind)
			switch {
			case r.Kind == customeridentity.KindCHANNEL_USER && r.ChannelID != nil:
				key += ":" + string(*r.ChannelID)
			case !identity.Exclusive(r.Kind) && r.Kind != customeridentity.KindEMAIL:
				continue
			}
			out[key] = append(out[key], r.Value)
		}
		for k := range out {
			slices.Sort(out[k])
		}
		return out, nil
	}
	a, err := sets(owner)
	if err != nil {
		return false, err
	}
	b, err := sets(cust)
	if err != nil {
		return false, err
	}
	for k, av := range a {
		if bv, ok := b[k]; ok && !slices.Equal(av, bv) {
			return false, nil
		}
	}
	return true, nil
}

// ResolveNew finds the customer for a sender a channel has not seen before
// (no CHANNEL_USER identity yet): the one customer who holds one of the
// revealed verified identities, when giving them this channel identity is
// safe; or "" when a new customer is needed.
func (s *Service) ResolveNew(ctx context.Context, channelID gid.ID, revealed []Revealed) (gid.ID, error) {
	c := s.db(ctx)
	var found gid.ID
	for _, r := range revealed {
		if !r.Verified || r.Value == "" {
			continue
		}
		owner, err := s.Owner(ctx, r.Kind, r.Value)
		if err != nil {
			return "", err
		}
		if owner == "" {
			continue
		}
		if found != "" && owner != found {
			return "", nil // two customers: a new one, and suggestions through Link
		}
		found = owner
	}
	if found == "" {
		return "", nil
	}
	// Another account of the same person on this channel would be a
	// second id on one channel: not safe.
	other, err := c.CustomerIdentity.Query().Where(customeridentity.CustomerID(found),
		customeridentity.KindEQ(customeridentity.KindCHANNEL_USER), customeridentity.ChannelID(channelID)).Exist(ctx)
	if err != nil || other {
		return "", err
	}
	return found, nil
}
