package graph

import (
	"context"

	"entgo.io/contrib/entgql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/gid"
)

// searchCustomers lists customers, merged ones left out, matching the
// search text as customers.Service.Search says.
func (r *Resolver) searchCustomers(ctx context.Context, after *entgql.Cursor[gid.ID], first *int, before *entgql.Cursor[gid.ID], last *int,
	orderBy *ent.CustomerOrder, where *ent.CustomerWhereInput, search *string,
) (*ent.CustomerConnection, error) {
	q := r.Client.Customer.Query().Where(customer.MergedIntoIDIsNil())
	if search != nil {
		p, err := r.Customers.Search(ctx, *search)
		if err != nil {
			return nil, err
		}
		if p != nil {
			q.Where(p)
		}
	}
	return q.Paginate(ctx, after, first, before, last, ent.WithCustomerOrder(orderBy), ent.WithCustomerFilter(where.Filter))
}

func (r *Resolver) upsertCustomerByIdentity(ctx context.Context, identities []*model.IdentityInput, input *ent.UpdateCustomerInput) (*ent.Customer, error) {
	ids := make([]customers.UpsertIdentity, len(identities))
	for i, id := range identities {
		ids[i] = customers.UpsertIdentity{Kind: id.Kind, Value: id.Value}
	}
	return r.Customers.Upsert(ctx, ids, input)
}

// createCustomer creates a customer with typed custom attributes.
func (r *Resolver) createCustomer(ctx context.Context, input ent.CreateCustomerInput) (*ent.Customer, error) {
	return r.Customers.Create(ctx, input)
}

// updateCustomer changes a customer; customAttributes are merged by key
// into the customer's (null removes a key), each checked against its
// definition.
func (r *Resolver) updateCustomer(ctx context.Context, id gid.ID, input ent.UpdateCustomerInput) (*ent.Customer, error) {
	return r.Customers.Update(ctx, id, input)
}
