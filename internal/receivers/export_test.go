package receivers

import "context"

// Scan runs one scan, for tests.
func (r *Runner) Scan(ctx context.Context) error { return r.scan(ctx, r.kinds()) }

// Stop stops every receiver this Runner runs, for tests.
func (r *Runner) Stop() { r.stopAll() }

// Holder is this Runner's lease holder name, for tests.
func (r *Runner) Holder() string { return r.holder }

// NoInstance is the error Status shows for a lapsed lease.
const NoInstance = noInstance
