package server_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/testenv"
)

// addressable gives a customer a verified external id, which the api
// channel can send to when the customer has no identity on it yet: the
// tests that start conversations with customers made through the API need
// one, or there would be nobody to send to.
func addressable(t testing.TB, s *testenv.Server, tok, customerID string) {
	t.Helper()
	s.MustDo(t, tok, `mutation($c: ID!, $v: String!) { addCustomerIdentity(customerID: $c, kind: EXTERNAL_ID, value: $v, verified: true) { id } }`,
		map[string]any{"c": customerID, "v": "ext-" + customerID}, nil)
}
