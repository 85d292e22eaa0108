package graph

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/file"
	"github.com/switchboard/switchboard/internal/gid"
)

// Message.attachments for a page of messages is one statement, not one
// per message: gqlgen resolves the page's fields concurrently, and the
// messages that ask within fileBatchWait of the first share a query.
const (
	fileBatchWait = time.Millisecond
	fileBatchMax  = 200
)

type fileLoader struct {
	mu  sync.Mutex
	cur *fileBatch
}

type fileBatch struct {
	ids    []gid.ID
	done   chan struct{}
	result map[gid.ID][]*ent.File
	err    error
}

// messageFiles are a message's attachments in order, loaded with those of
// the other messages of the response.
func (r *Resolver) messageFiles(ctx context.Context, id gid.ID) ([]*ent.File, error) {
	loads, _ := ctx.Value(listLoadsKey{}).(*listLoads)
	if loads == nil {
		m, err := r.loadMessageFiles(ctx, []gid.ID{id})
		return m[id], err
	}
	l := &loads.files
	l.mu.Lock()
	b := l.cur
	if b == nil {
		b = &fileBatch{done: make(chan struct{})}
		l.cur = b
		time.AfterFunc(fileBatchWait, func() { r.runFileBatch(ctx, l, b) })
	}
	b.ids = append(b.ids, id)
	if len(b.ids) >= fileBatchMax {
		l.cur = nil
		go r.runFileBatch(ctx, l, b)
	}
	l.mu.Unlock()
	<-b.done
	return b.result[id], b.err
}

func (r *Resolver) runFileBatch(ctx context.Context, l *fileLoader, b *fileBatch) {
	l.mu.Lock()
	if l.cur == b {
		l.cur = nil
	}
	ids := b.ids
	l.mu.Unlock()
	b.result, b.err = r.loadMessageFiles(ctx, ids)
	close(b.done)
}

func (r *Resolver) loadMessageFiles(ctx context.Context, ids []gid.ID) (map[gid.ID][]*ent.File, error) {
	fs, err := r.db(ctx).File.Query().Where(file.MessageIDIn(ids...)).
		Order(ent.Asc(file.FieldPosition), ent.Asc(file.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[gid.ID][]*ent.File, len(ids))
	for _, id := range ids {
		out[id] = []*ent.File{}
	}
	for _, f := range fs {
		out[*f.MessageID] = append(out[*f.MessageID], f)
	}
	return out, nil
}
