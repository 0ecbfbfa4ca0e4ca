package projections

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed queries/*.sql
var queryFiles embed.FS

// queries maps a name to its SQL. Each .sql file holds sections introduced
// by a line "-- name: Name"; the SQL lives in files, not in Go strings.
var queries = mustLoadQueries(queryFiles)

func mustLoadQueries(fsys fs.FS) map[string]string {
	out := map[string]string{}
	files, err := fs.Glob(fsys, "queries/*.sql")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			panic(err)
		}
		var name string
		var b strings.Builder
		flush := func() {
			if name != "" {
				if _, dup := out[name]; dup {
					panic(fmt.Sprintf("query %s defined twice", name))
				}
				out[name] = strings.TrimSpace(b.String())
			}
			b.Reset()
		}
		for line := range strings.Lines(string(raw)) {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
				flush()
				name = strings.TrimSpace(rest)
				continue
			}
			b.WriteString(line)
		}
		flush()
	}
	return out
}

// q returns the named query; a missing name is a programming error.
func q(name string) string {
	s, ok := queries[name]
	if !ok {
		panic("unknown query " + name)
	}
	return s
}
