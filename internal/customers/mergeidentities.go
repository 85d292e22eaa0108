package customers

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/internal/gid"
)

// mergedIdentities decides which identities a merge moves so that the
// primary holds each identity (kind, value, channel) once: the
// secondary's identities the primary lacks move; one the primary already
// has stays with the secondary's tombstone, unless only the secondary's
// copy is verified, in which case that copy moves and the primary's claim
// is displaced to the tombstone. Unmerging reverses both.
func (s *Service) mergedIdentities(ctx context.Context, primaryID, secondaryID gid.ID) (move, displaced []gid.ID, err error) {
	c := s.db(ctx)
	rows, err := c.CustomerIdentity.Query().
		Where(customeridentity.CustomerIDIn(primaryID, secondaryID)).
		Order(ent.Asc(customeridentity.FieldID)).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	type key struct {
		kind    customeridentity.Kind
		value   string
		channel gid.ID
	}
	keyOf := func(r *ent.CustomerIdentity) key {
		k := key{kind: r.Kind, value: r.Value}
		if r.ChannelID != nil {
			k.channel = *r.ChannelID
		}
		return k
	}
	primary := map[key][]*ent.CustomerIdentity{}
	for _, r := range rows {
		if r.CustomerID == primaryID {
			primary[keyOf(r)] = append(primary[keyOf(r)], r)
		}
	}
	taken := map[key]bool{}
	for _, r := range rows {
		if r.CustomerID != secondaryID {
			continue
		}
		k := keyOf(r)
		have := primary[k]
		switch {
		case taken[k]:
			// The secondary itself held it twice: the first copy moved.
		case len(have) == 0:
			move, taken[k] = append(move, r.ID), true
		case r.Verified && !anyVerified(have):
			move, taken[k] = append(move, r.ID), true
			for _, h := range have {
				displaced = append(displaced, h.ID)
			}
		}
	}
	return move, displaced, nil
}

func anyVerified(rows []*ent.CustomerIdentity) bool {
	for _, r := range rows {
		if r.Verified {
			return true
		}
	}
	return false
}

func (s *Service) moveIdentities(ctx context.Context, ids []gid.ID, to gid.ID) error {
	c := s.db(ctx)
	if len(ids) == 0 {
		return nil
	}
	return c.CustomerIdentity.Update().Where(customeridentity.IDIn(ids...)).SetCustomerID(to).Exec(ctx)
}
