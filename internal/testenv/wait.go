package testenv

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, failing the test after 15 seconds
// with what it was waiting for.
func Eventually(t testing.TB, cond func() bool, waitingFor string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", waitingFor)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
