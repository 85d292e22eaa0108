package graph

import (
	"context"

	"entgo.io/contrib/entgql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/gid"
)

// searchCustomers lists customers, merged ones left out.
func (r *Resolver) searchCustomers(ctx context.Context, after *entgql.Cursor[gid.ID], first *int, before *entgql.Cursor[gid.ID], last *int,
	orderBy *ent.CustomerOrder, where *ent.CustomerWhereInput, search *string,
) (*ent.CustomerConnection, error) {
	return r.Client.Customer.Query().Where(customer.MergedIntoIDIsNil()).
		Paginate(ctx, after, first, before, last, ent.WithCustomerOrder(orderBy), ent.WithCustomerFilter(where.Filter))
}

func (r *Resolver) upsertCustomerByIdentity(ctx context.Context, identities []*model.IdentityInput, input *ent.UpdateCustomerInput) (*ent.Customer, error) {
	return nil, apperr.New(apperr.Internal, "upsert is being built")
}
