package channelstest

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/switchboard/switchboard/channels"
)

// Result is how one check went, run by RunRecorded.
type Result struct {
	mu       sync.Mutex
	Failed   bool
	Skipped  bool
	Log      []string
	cleanups []func()
}

func (r *Result) note(failed bool, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Failed = r.Failed || failed
	r.Log = append(r.Log, fmt.Sprintf(format, args...))
}

func (r *Result) Helper()                           {}
func (r *Result) Logf(format string, args ...any)   { r.note(false, format, args...) }
func (r *Result) Errorf(format string, args ...any) { r.note(true, format, args...) }
func (r *Result) Fatalf(format string, args ...any) { r.note(true, format, args...); runtime.Goexit() }
func (r *Result) Skipf(format string, args ...any) {
	r.note(false, format, args...)
	r.mu.Lock()
	r.Skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *Result) Cleanup(f func()) { r.mu.Lock(); r.cleanups = append(r.cleanups, f); r.mu.Unlock() }

// RunRecorded runs every check against a TB that records instead of
// failing the test, so that a test can assert that a broken adapter fails.
func RunRecorded(a channels.Adapter, f Fake) map[string]*Result {
	out := map[string]*Result{}
	for _, c := range checks {
		r := &Result{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				for i := len(r.cleanups) - 1; i >= 0; i-- {
					r.cleanups[i]()
				}
			}()
			c.run(r, a, f)
		}()
		<-done
		out[c.name] = r
	}
	return out
}
