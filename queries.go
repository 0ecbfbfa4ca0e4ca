package hookstream

import (
	"fmt"
	"io/fs"
	"strings"
)

// ParseQueries reads SQL files matching pattern in fsys and returns their
// statements by name. A file holds sections introduced by a line
// "-- name: Name" (STYLE §7: SQL lives in .sql files). A name defined twice
// is an error.
func ParseQueries(fsys fs.FS, pattern string) (map[string]string, error) {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("glob %s: %w", pattern, err)
	}
	out := map[string]string{}
	for _, f := range files {
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var name string
		var b strings.Builder
		flush := func() error {
			if name != "" {
				if _, dup := out[name]; dup {
					return fmt.Errorf("query %s defined twice", name)
				}
				out[name] = strings.TrimSpace(b.String())
			}
			b.Reset()
			return nil
		}
		for line := range strings.Lines(string(raw)) {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
				if err := flush(); err != nil {
					return nil, err
				}
				name = strings.TrimSpace(rest)
				continue
			}
			b.WriteString(line)
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MustParseQueries is ParseQueries for embedded files, where an error is a
// programming error.
func MustParseQueries(fsys fs.FS, pattern string) map[string]string {
	q, err := ParseQueries(fsys, pattern)
	if err != nil {
		panic(err)
	}
	return q
}
