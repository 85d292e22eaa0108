package customers_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/attributedefinition"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/customers"
)

func (f *fixture) define(t *testing.T, name string, typ attributedefinition.Type) {
	t.Helper()
	if err := f.tx(t, func(ctx context.Context) error {
		_, err := f.svc.CreateAttributeDefinition(ctx, ent.CreateAttributeDefinitionInput{Name: name, Type: typ})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestApplyAttributes: every key must be defined and its value of the
// definition's type, stored in one form per type (NUMBER a float64, DATE
// "YYYY-MM-DD"); a null removes a key, defined or not; keys not named
// stay; nothing left is nil. Refusals are INVALID_INPUT for
// "customAttributes.<key>".
func TestApplyAttributes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.define(t, "plan", attributedefinition.TypeSTRING)
	f.define(t, "seats", attributedefinition.TypeNUMBER)
	f.define(t, "beta", attributedefinition.TypeBOOLEAN)
	f.define(t, "renews", attributedefinition.TypeDATE)
	for _, tc := range []struct {
		name             string
		current, changes map[string]any
		want             map[string]any
		field            string // of the INVALID_INPUT refusal
	}{
		{"string", nil, map[string]any{"plan": "pro"}, map[string]any{"plan": "pro"}, ""},
		{"json number", nil, map[string]any{"seats": json.Number("12")}, map[string]any{"seats": 12.0}, ""},
		{"int number", nil, map[string]any{"seats": int64(3)}, map[string]any{"seats": 3.0}, ""},
		{"boolean", nil, map[string]any{"beta": false}, map[string]any{"beta": false}, ""},
		{"date", nil, map[string]any{"renews": " 2026-03-01 "}, map[string]any{"renews": "2026-03-01"}, ""},
		{"time reduced to its own date", nil, map[string]any{"renews": "2026-03-01T23:30:00-05:00"}, map[string]any{"renews": "2026-03-01"}, ""},
		{"keys not named stay", map[string]any{"plan": "pro"}, map[string]any{"beta": true}, map[string]any{"plan": "pro", "beta": true}, ""},
		{"null removes", map[string]any{"plan": "pro", "beta": true}, map[string]any{"plan": nil}, map[string]any{"beta": true}, ""},
		{"null removes an undefined key", map[string]any{"legacy": "x"}, map[string]any{"legacy": nil}, nil, ""},
		{"null of an absent defined key", nil, map[string]any{"plan": nil}, nil, ""},
		{"undefined key", nil, map[string]any{"nope": "x"}, nil, "customAttributes.nope"},
		{"string is not a number", nil, map[string]any{"seats": "12"}, nil, "customAttributes.seats"},
		{"NaN is not a number", nil, map[string]any{"seats": json.Number("NaN")}, nil, "customAttributes.seats"},
		{"number is not a string", nil, map[string]any{"plan": 1.0}, nil, "customAttributes.plan"},
		{"string is not a boolean", nil, map[string]any{"beta": "true"}, nil, "customAttributes.beta"},
		{"not a date", nil, map[string]any{"renews": "March 1"}, nil, "customAttributes.renews"},
		{"string too long", nil, map[string]any{"plan": strings.Repeat("é", customers.MaxStringAttribute+1)}, nil, "customAttributes.plan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.svc.ApplyAttributes(f.ctx, tc.current, tc.changes)
			if tc.field != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Code != apperr.InvalidInput || ae.Field != tc.field {
					t.Fatalf("ApplyAttributes = %v, %v; want INVALID_INPUT for %s", got, err, tc.field)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ApplyAttributes = %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
	if _, err := f.svc.ApplyAttributes(f.ctx, nil, map[string]any{"plan": strings.Repeat("a", customers.MaxStringAttribute)}); err != nil {
		t.Fatalf("a string of the longest length: %v", err)
	}
}

// TestAttributeDefinitionsAndCustomers: a definition's name is unique
// (CONFLICT); Create and Update check values against definitions and
// store them; Update merges keys, clearCustomAttributes empties first.
func TestAttributeDefinitionsAndCustomers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.define(t, "plan", attributedefinition.TypeSTRING)
	f.define(t, "seats", attributedefinition.TypeNUMBER)
	err := f.tx(t, func(ctx context.Context) error {
		_, err := f.svc.CreateAttributeDefinition(ctx, ent.CreateAttributeDefinitionInput{Name: "plan", Type: attributedefinition.TypeNUMBER})
		return err
	})
	wantCode(t, err, apperr.Conflict)

	err = f.tx(t, func(ctx context.Context) error {
		_, err := f.svc.Create(ctx, ent.CreateCustomerInput{CustomAttributes: map[string]any{"seats": "many"}})
		return err
	})
	wantCode(t, err, apperr.InvalidInput)
	if n := f.c.Customer.Query().CountX(f.ctx); n != 0 {
		t.Fatalf("%d customers after a refused create", n)
	}

	var cust *ent.Customer
	if err := f.tx(t, func(ctx context.Context) (err error) {
		cust, err = f.svc.Create(ctx, ent.CreateCustomerInput{CustomAttributes: map[string]any{"plan": "pro", "seats": nil}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   ent.UpdateCustomerInput
		want map[string]any
		code apperr.Code
	}{
		{"merge keys", ent.UpdateCustomerInput{CustomAttributes: map[string]any{"seats": json.Number("5")}}, map[string]any{"plan": "pro", "seats": 5.0}, ""},
		{"wrong type refused", ent.UpdateCustomerInput{CustomAttributes: map[string]any{"plan": true}}, map[string]any{"plan": "pro", "seats": 5.0}, apperr.InvalidInput},
		{"clear then set", ent.UpdateCustomerInput{ClearCustomAttributes: true, CustomAttributes: map[string]any{"plan": "free"}}, map[string]any{"plan": "free"}, ""},
		{"remove the last key", ent.UpdateCustomerInput{CustomAttributes: map[string]any{"plan": nil}}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.tx(t, func(ctx context.Context) error {
				_, err := f.svc.Update(ctx, cust.ID, tc.in)
				return err
			})
			if tc.code != "" {
				wantCode(t, err, tc.code)
			} else if err != nil {
				t.Fatal(err)
			}
			got := f.c.Customer.GetX(f.ctx, cust.ID).CustomAttributes
			if len(got) == 0 && tc.want == nil {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("stored %#v, want %#v", got, tc.want)
			}
		})
	}
}
