package pglocal

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfQuote(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", "''"},
		{"/tmp/pg", "'/tmp/pg'"},
		{"it's", "'it''s'"},
		{`a\b`, `'a\\b'`},
	} {
		require.Equal(t, tt.want, confQuote(tt.in), tt.in)
	}
}

func TestSettingsSocketDir(t *testing.T) {
	t.Parallel()
	short := &Server{cluster: "/data/pg"}
	require.Contains(t, short.settings(5432), "unix_socket_directories = '/data/pg'\n")
	require.Contains(t, short.settings(5432), "port = 5432\n")
	require.NotContains(t, short.settings(5432), "fsync")

	// /long/.s.PGSQL.5432 must fit in 107 bytes, else sockets are off.
	long := &Server{cluster: "/" + strings.Repeat("x", 107-len("/.s.PGSQL.5432")-1), cfg: Config{NoSync: true}}
	require.Contains(t, long.settings(5432), "unix_socket_directories = '"+long.cluster+"'\n")
	long.cluster += "x"
	require.Contains(t, long.settings(5432), "unix_socket_directories = ''\n")
	require.Contains(t, long.settings(5432), "fsync = off\n")
}
