// Package schema holds the database migrations, embedded so the binary can apply them on start.
package schema

import "embed"

// FS holds the golang-migrate files (NNNNNN_name.up.sql / .down.sql).
//
//go:embed *.sql
var FS embed.FS
