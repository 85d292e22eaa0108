package customers

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/identity"
)

// MaxSearch is the longest search text, in characters.
const MaxSearch = 255

// Search is the predicate of customers matching a search text (nil for
// blank text): a name containing the text (any case), an email starting
// with it (any case), the phone number it is (in any format, national
// numbers read in the workspace's region), or the external id or channel
// user id it is.
func (s *Service) Search(ctx context.Context, text string) (predicate.Customer, error) {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > MaxSearch {
		return nil, apperr.Invalid("search", "must be at most %d characters", MaxSearch)
	}
	if text == "" {
		return nil, nil
	}
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
		region, err := s.PhoneRegion(ctx)
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
