package testenv

import (
	"errors"
	"testing"
	"time"
)

// Wait is how long Eventually and EventuallyErr wait before they fail.
const Wait = 15 * time.Second

// The one polling loop of the tests: every wait for something to happen
// elsewhere (a worker, a subscription, the database) goes through these.
//
//   - Eventually(t, cond, "what")       fails with "timed out waiting for what"
//   - EventuallyErr(t, cond)            fails with cond's last error, which
//     says what it saw (nil when done)
//   - EventuallyWithin(t, d, cond)      EventuallyErr with its own timeout
//   - Within(d, cond)                   does not fail: reports whether cond
//     held within d (for "stays so for a while" and best-effort retries)
//
// A condition may call t.Fatal: it runs on the test's goroutine. Values a
// caller needs (what was found) travel out through the closure.

// Eventually polls cond until it holds, failing the test after Wait with
// what it was waiting for.
func Eventually(t testing.TB, cond func() bool, waitingFor string) {
	t.Helper()
	if !Within(Wait, cond) {
		t.Fatalf("timed out waiting for %s", waitingFor)
	}
}

// EventuallyErr polls cond until it returns nil, failing the test after
// Wait with the last error it returned.
func EventuallyErr(t testing.TB, cond func() error) {
	t.Helper()
	EventuallyWithin(t, Wait, cond)
}

// EventuallyWithin polls cond until it returns nil, failing the test after
// d with the last error it returned.
func EventuallyWithin(t testing.TB, d time.Duration, cond func() error) {
	t.Helper()
	var last error
	if !Within(d, func() bool { last = cond(); return last == nil }) {
		if last == nil {
			last = errors.New("condition never checked")
		}
		t.Fatalf("timed out after %v: %v", d, last)
	}
}

// Within polls cond until it holds or d has passed, and reports whether it
// held. cond runs at least once; the pause between checks grows from 2ms to
// 25ms, so a quick condition is seen quickly and a slow one (a GraphQL
// query) does not load the server.
func Within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	pause := 2 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, 25*time.Millisecond)
	}
	return true
}
