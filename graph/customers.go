package graph

import (
	"context"
	"strings"
	"unicode/utf8"

	"entgo.io/contrib/entgql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/customers"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/identity"
)

// maxSearch is the longest customers(search:) text, in characters.
const maxSearch = 255

// searchCustomers lists customers, merged ones left out. A search matches
// a name containing the text (any case), an email starting with it (any
// case), the phone number it is (in any format, national numbers read in
// the workspace's region), or the external id or channel user id it is.
func (r *Resolver) searchCustomers(ctx context.Context, after *entgql.Cursor[gid.ID], first *int, before *entgql.Cursor[gid.ID], last *int,
	orderBy *ent.CustomerOrder, where *ent.CustomerWhereInput, search *string,
) (*ent.CustomerConnection, error) {
	q := r.Client.Customer.Query().Where(customer.MergedIntoIDIsNil())
	if search != nil {
		text := strings.TrimSpace(*search)
		if utf8.RuneCountInString(text) > maxSearch {
			return nil, apperr.Invalid("search", "must be at most %d characters", maxSearch)
		}
		if text != "" {
			p, err := r.customerSearch(ctx, text)
			if err != nil {
				return nil, err
			}
			q.Where(p)
		}
	}
	return q.Paginate(ctx, after, first, before, last, ent.WithCustomerOrder(orderBy), ent.WithCustomerFilter(where.Filter))
}

// customerSearch is the predicate of a non-empty search text.
func (r *Resolver) customerSearch(ctx context.Context, text string) (predicate.Customer, error) {
	preds := []predicate.Customer{
		customer.NameContainsFold(text),
		customer.HasIdentitiesWith(customeridentity.KindEQ(customeridentity.KindEMAIL),
			customeridentity.ValueHasPrefix(strings.ToLower(text))),
		// An external id, or a sender's id on a channel (the api
		// channel's sender.externalID, a messenger's user id).
		customer.HasIdentitiesWith(customeridentity.KindIn(customeridentity.KindEXTERNAL_ID, customeridentity.KindCHANNEL_USER),
			customeridentity.Value(text)),
	}
	if strings.ContainsAny(text, "0123456789") {
		region, err := r.Customers.PhoneRegion(ctx)
		if err != nil {
			return nil, err
		}
		if phone, ok := identity.Phone(text, region); ok {
			preds = append(preds, customer.HasIdentitiesWith(customeridentity.KindEQ(customeridentity.KindPHONE),
				customeridentity.Value(phone)))
		}
	}
	return customer.Or(preds...), nil
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
