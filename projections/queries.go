package projections

import (
	"embed"

	"github.com/hookstream/hookstream"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// queries maps a name to its SQL. Each .sql file holds sections introduced
// by a line "-- name: Name"; the SQL lives in files, not in Go strings.
var queries = hookstream.MustParseQueries(queryFiles, "queries/*.sql")

// q returns the named query; a missing name is a programming error.
func q(name string) string {
	s, ok := queries[name]
	if !ok {
		panic("unknown query " + name)
	}
	return s
}
