package presence

import (
	"context"
	"sync"

	"github.com/switchboard/switchboard/ent"
)

// commitQueue holds what to do after each open transaction commits, in
// the order it was asked for (ent runs commit hooks innermost first).
type commitQueue struct {
	mu sync.Mutex
	m  map[*ent.Tx][]func()
}

// afterCommit runs fn once the transaction of ctx has committed (never if
// it rolls back), or now when ctx has none.
func (s *Service) afterCommit(ctx context.Context, fn func()) {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		fn()
		return
	}
	q := &s.pending
	q.mu.Lock()
	if q.m == nil {
		q.m = map[*ent.Tx][]func(){}
	}
	fns, registered := q.m[tx]
	q.m[tx] = append(fns, fn)
	q.mu.Unlock()
	if registered {
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, t *ent.Tx) error {
			err := next.Commit(ctx, t)
			fns := q.take(tx)
			if err != nil {
				return err
			}
			for _, fn := range fns {
				fn()
			}
			return nil
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, t *ent.Tx) error {
			q.take(tx)
			return next.Rollback(ctx, t)
		})
	})
}

func (q *commitQueue) take(tx *ent.Tx) []func() {
	q.mu.Lock()
	defer q.mu.Unlock()
	fns := q.m[tx]
	delete(q.m, tx)
	return fns
}
