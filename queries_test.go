package hookstream_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
)

func TestParseQueries(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"q/a.sql": {Data: []byte("-- name: One\nSELECT 1;\n\n-- name: Two\nSELECT\n  2;\n")},
		"q/b.sql": {Data: []byte("-- a comment before any name is ignored\n-- name: Three\nSELECT 3;")},
	}
	q, err := hookstream.ParseQueries(fsys, "q/*.sql")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"One": "SELECT 1;", "Two": "SELECT\n  2;", "Three": "SELECT 3;"}, q)

	fsys["q/c.sql"] = &fstest.MapFile{Data: []byte("-- name: One\nSELECT 4;")}
	_, err = hookstream.ParseQueries(fsys, "q/*.sql")
	require.ErrorContains(t, err, "One defined twice")
}
