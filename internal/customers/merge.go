package customers

import (
	"context"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

var errTODO = apperr.New(apperr.Internal, "merging is being built")

// Merge merges secondary into primary.
func (s *Service) Merge(ctx context.Context, c *ent.Client, primaryID, secondaryID gid.ID) (*ent.CustomerMerge, error) {
	return nil, errTODO
}

// Unmerge undoes a merge.
func (s *Service) Unmerge(ctx context.Context, c *ent.Client, mergeID gid.ID) ([]*ent.Customer, error) {
	return nil, errTODO
}

// AcceptDuplicate merges a suggested duplicate.
func (s *Service) AcceptDuplicate(ctx context.Context, c *ent.Client, id gid.ID) (*ent.CustomerMerge, error) {
	return nil, errTODO
}

// DismissDuplicate dismisses a suggestion.
func (s *Service) DismissDuplicate(ctx context.Context, c *ent.Client, id gid.ID) (gid.ID, error) {
	return "", errTODO
}
