package gid

import (
	"testing"
	"time"
)

func TestNewIDsAreTypedOrderedAndUnique(t *testing.T) {
	seen := map[ID]bool{}
	var prev ID
	for i := 0; i < 1000; i++ {
		id := New("Conversation")
		if typ, err := id.Type(); err != nil || typ != "Conversation" {
			t.Fatalf("%s: type %q, %v", id, typ, err)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		if i%100 == 0 {
			if prev != "" && id[4:14] < prev[4:14] {
				t.Fatalf("time prefix went backwards: %s after %s", id, prev)
			}
			prev = id
			time.Sleep(time.Millisecond) // let the clock move on, so the time prefix changes
		}
	}
}

func TestMalformed(t *testing.T) {
	good := New("Customer")
	for _, s := range []string{"", "cus", "cus_", "xyz_01m887z71rkpawshjf6prwft2t", string(good) + "0",
		"cus_01m887z71rkpawshjf6prwft2u", "cus_01M887Z71RKPAWSHJF6PRWFT2T", "1"} {
		var id ID
		if err := id.UnmarshalGQL(s); err == nil {
			t.Errorf("UnmarshalGQL(%q) accepted", s)
		}
	}
	var id ID
	if err := id.UnmarshalGQL(string(good)); err != nil || id != good {
		t.Fatalf("UnmarshalGQL(%q) = %v", good, err)
	}
	if err := id.UnmarshalGQL(42); err == nil {
		t.Fatal("numbers are not ids")
	}
}
