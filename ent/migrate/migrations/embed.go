// Package migrations holds Switchboard's versioned schema migrations, one
// directory per dialect, written by `go run ./ent/migrate/gen` (and by hand
// for data migrations, followed by `go run ./ent/migrate/gen -rehash`).
// internal/store applies them.
package migrations

import "embed"

// FS holds postgres/*.sql, sqlite/*.sql and each directory's atlas.sum.
//
//go:embed postgres sqlite
var FS embed.FS
