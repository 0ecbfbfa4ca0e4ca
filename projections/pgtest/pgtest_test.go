package pgtest_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/projections/pglocal"
	"github.com/hookstream/hookstream/projections/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m)
}

var migrations atomic.Int64

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	migrations.Add(1)
	_, err := pool.Exec(ctx, "CREATE TABLE items (name text PRIMARY KEY)")
	return err
}

func TestNewDBIsolated(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	a := pgtest.NewDB(t, migrate)
	b := pgtest.NewDB(t, migrate)

	_, err := a.Exec(ctx, "INSERT INTO items VALUES ('only in a')")
	require.NoError(t, err)

	var n int
	require.NoError(t, a.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n))
	require.Equal(t, 1, n)
	require.NoError(t, b.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n))
	require.Zero(t, n, "databases must be isolated")

	var nameA, nameB string
	require.NoError(t, a.QueryRow(ctx, "SELECT current_database()").Scan(&nameA))
	require.NoError(t, b.QueryRow(ctx, "SELECT current_database()").Scan(&nameB))
	require.NotEqual(t, nameA, nameB)
	require.Equal(t, int64(1), migrations.Load(), "the template is migrated once")
}

func TestNewDBParallel(t *testing.T) {
	t.Parallel()
	for range 4 {
		t.Run("clone", func(t *testing.T) {
			t.Parallel()
			pool := pgtest.NewDB(t, migrate)
			_, err := pool.Exec(t.Context(), "INSERT INTO items VALUES ('x')")
			require.NoError(t, err)
		})
	}
}

func TestDSNEmptyAndDropped(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	var name string
	t.Run("use", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, pgtest.DSN(t))
		require.NoError(t, err)
		defer conn.Close(context.Background())
		var tables int
		require.NoError(t, conn.QueryRow(ctx,
			"SELECT count(*) FROM pg_tables WHERE tablename = 'items'").Scan(&tables))
		require.Zero(t, tables, "DSN without a MigrateFunc is an empty database")
		require.NoError(t, conn.QueryRow(ctx, "SELECT current_database()").Scan(&name))
	})

	// After the subtest its database is gone.
	admin := pgtest.NewDB(t, nil)
	var exists bool
	require.NoError(t, admin.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	require.False(t, exists)
}

func TestNewServerRestart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	srv := pgtest.NewServer(t)
	require.True(t, srv.Owned())
	port := srv.Port()

	conn, err := pgx.Connect(ctx, srv.DSN(pglocal.DatabaseName))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)")
	require.NoError(t, err)

	require.NoError(t, srv.Stop(ctx))
	require.Error(t, conn.Ping(ctx), "PostgreSQL is down")
	require.NoError(t, conn.Close(ctx))

	require.NoError(t, srv.Start(ctx))
	require.Equal(t, port, srv.Port())
	conn, err = pgx.Connect(ctx, srv.DSN(pglocal.DatabaseName))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var v int
	require.NoError(t, conn.QueryRow(ctx, "SELECT v FROM t").Scan(&v))
	require.Equal(t, 42, v)
}
