package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// TestAdminTokenPrintedOnlyWhenGenerated: the first start prints the
// generated admin token; later starts say where it is kept and never print
// it again (2.6/7 defect 10).
func TestAdminTokenPrintedOnlyWhenGenerated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dsn := pgtest.DSN(t, migrations.Migrate)
	mutate := func(c *Config) { c.DataDir, c.DatabaseURL, c.BootstrapToken = dir, dsn, "" }

	s1 := startServer(t, mutate)
	token := s1.Main.AdminToken
	require.NotEmpty(t, token)
	s1.Main.Banner()
	require.Contains(t, s1.Logs.String(), token, "the first start shows the generated token")
	s1.Main.Close()

	s2 := startServer(t, mutate)
	require.Equal(t, token, s2.Main.AdminToken)
	s2.Main.Banner()
	out := s2.Logs.String()
	require.NotContains(t, out, token, "a later start must not print the token")
	require.Contains(t, out, filepath.Join(dir, "admin-token"), "a later start says where the token is kept")

	// A configured bootstrap token is the operator's own: never printed.
	s3 := startServer(t, nil)
	s3.Main.Banner()
	require.False(t, strings.Contains(s3.Logs.String(), s3.Token))
}
