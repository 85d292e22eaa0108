package store

import (
	"strconv"
	"strings"
)

// Rebind rewrites a raw statement's ? placeholders as PostgreSQL's $1,
// $2, ... when postgres is true (SQLite takes ? as written). For the few
// statements written by hand (the event log's, ingest's lookup); the rest
// go through ent's builders. The statement must hold no ? of its own (in
// string literals or operators).
func Rebind(postgres bool, q string) string {
	if !postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
