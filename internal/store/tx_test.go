package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/testenv"
)

// customers counts the workspace's customers (the rows the tests write).
func customers(t *testing.T, ctx context.Context, c *ent.Client) int {
	t.Helper()
	n, err := c.Customer.Query().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// create writes one customer with the transaction's client.
func create(ctx context.Context, base *ent.Client) error {
	_, err := store.Client(ctx, base).Customer.Create().SetName("C").Save(ctx)
	return err
}

// A transaction whose first attempt meets a genuine conflict of the
// database under test runs fn again, and only the second attempt's write
// is committed: on PostgreSQL a serialization failure (SQLSTATE 40001)
// raised by the server, on SQLite a write refused with SQLITE_BUSY because
// InTx's immediate transaction holds the write lock.
func TestInTxRetriesConflict(t *testing.T) {
	ctx, c, db := testenv.Workspace(t)
	conflict := func(ctx context.Context) error {
		_, err := db.SQL.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'serialization_failure'; END $$`)
		return err
	}
	if db.URL == "" {
		other, err := sql.Open("sqlite", "file:"+db.Path+"?_pragma=busy_timeout(0)&_txlock=immediate")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		conflict = func(ctx context.Context) error {
			_, err := other.ExecContext(ctx, `UPDATE workspaces SET name = 'X'`)
			return err
		}
	}
	attempts := 0
	err := store.InTx(ctx, c, func(ctx context.Context) error {
		attempts++
		if err := create(ctx, c); err != nil {
			return err
		}
		if attempts > 1 {
			return nil
		}
		err := conflict(ctx)
		if err == nil {
			t.Fatal("the forced conflict did not fail")
		}
		if !store.Conflict(err) {
			t.Fatalf("not a conflict: %v", err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wantRuns(t, ctx, c, attempts, 2, 1)
}

// wantRuns checks how many times fn ran and how many customers it left.
func wantRuns(t *testing.T, ctx context.Context, c *ent.Client, attempts, wantAttempts, wantCustomers int) {
	t.Helper()
	if attempts != wantAttempts {
		t.Errorf("attempts = %d, want %d", attempts, wantAttempts)
	}
	if n := customers(t, ctx, c); n != wantCustomers {
		t.Errorf("customers = %d, want %d", n, wantCustomers)
	}
}

// An ordinary error is returned at once and rolls the transaction back.
func TestInTxOrdinaryErrorRollsBack(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	boom := errors.New("boom")
	attempts := 0
	err := store.InTx(ctx, c, func(ctx context.Context) error {
		attempts++
		if err := create(ctx, c); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	wantRuns(t, ctx, c, attempts, 1, 0) // rolled back, not retried
}

// A nested InTx joins the outer transaction: its writes are rolled back
// with the outer's, and a conflict in it is retried by the outer owner.
func TestInTxNestedJoinsOuter(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	boom := errors.New("boom")
	err := store.InTx(ctx, c, func(ctx context.Context) error {
		outer := ent.TxFromContext(ctx)
		if outer == nil {
			t.Fatal("no transaction in fn's context")
		}
		if err := create(ctx, c); err != nil {
			return err
		}
		err := store.InTx(ctx, c, func(ctx context.Context) error {
			if ent.TxFromContext(ctx) != outer {
				t.Error("the nested InTx opened a transaction of its own")
			}
			return create(ctx, c)
		})
		if err != nil {
			return err
		}
		if n := customers(t, ctx, store.Client(ctx, c)); n != 2 {
			t.Errorf("customers inside = %d, want 2", n)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if n := customers(t, ctx, c); n != 0 {
		t.Errorf("customers = %d, want 0 (the nested write rolled back with the outer)", n)
	}

	outerAttempts, innerAttempts := 0, 0
	err = store.InTx(ctx, c, func(ctx context.Context) error {
		outerAttempts++
		return store.InTx(ctx, c, func(ctx context.Context) error {
			innerAttempts++
			if err := create(ctx, c); err != nil {
				return err
			}
			if innerAttempts == 1 {
				return store.Raced(errors.New("raced"))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if outerAttempts != 2 || innerAttempts != 2 {
		t.Errorf("attempts = %d outer, %d inner; want 2, 2 (the owner retries)", outerAttempts, innerAttempts)
	}
	if n := customers(t, ctx, c); n != 1 {
		t.Errorf("customers = %d, want 1", n)
	}
}

// Commit hooks run once, after the commit, and never for an attempt that
// was rolled back or a transaction that failed.
func TestInTxCommitHooks(t *testing.T) {
	ctx, c, _ := testenv.Workspace(t)
	ran := 0
	hook := func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			ran++
			return nil
		})
	}
	attempts := 0
	err := store.InTx(ctx, c, func(ctx context.Context) error {
		attempts++
		ent.TxFromContext(ctx).OnCommit(hook)
		if err := create(ctx, c); err != nil {
			return err
		}
		if ran != 0 {
			t.Errorf("a commit hook ran before the commit (%d)", ran)
		}
		if attempts == 1 {
			return store.Raced(errors.New("raced"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("attempts = %d, want 2", attempts)
	}
	if ran != 1 {
		t.Errorf("commit hooks ran %d times, want 1", ran)
	}

	ran = 0
	err = store.InTx(ctx, c, func(ctx context.Context) error {
		ent.TxFromContext(ctx).OnCommit(hook)
		return errors.New("boom")
	})
	if err == nil {
		t.Fatal("want boom")
	}
	if ran != 0 {
		t.Errorf("commit hooks of a failed transaction ran %d times", ran)
	}
}
