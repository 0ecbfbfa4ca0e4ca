package pglocal_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hookstream/hookstream/projections/pglocal"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type testBundle struct {
	cfg pglocal.Config
}

// setup returns a config for a fresh cluster under t.TempDir() (whose 0700 parent makes root runs
// relocate the cluster) and makes sure nothing is left running or on disk afterwards.
func setup(t *testing.T) *testBundle {
	t.Helper()
	cfg := pglocal.Config{
		Dir:    filepath.Join(t.TempDir(), "pg"),
		NoSync: true,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		require.NoError(t, pglocal.Shutdown(ctx, cfg))
		require.NoError(t, pglocal.Remove(cfg.Dir))
	})
	return &testBundle{cfg: cfg}
}

func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	ctx := t.Context()

	began := time.Now()
	srv, err := pglocal.Start(ctx, bundle.cfg)
	require.NoError(t, err)
	t.Logf("first start (initdb + start + create database) took %s", time.Since(began))
	require.True(t, srv.Owned())
	require.NotZero(t, srv.PID())
	require.True(t, postgresRunning(srv.PID()))
	port := srv.Port()
	require.Equal(t, "postgres://hookstream@127.0.0.1:"+strconv.Itoa(port)+"/hookstream?sslmode=disable",
		srv.DSN("hookstream"))
	if os.Geteuid() == 0 {
		require.NotEqual(t, bundle.cfg.Dir, srv.DataDir(), "root: a 0700 t.TempDir() is not reachable, expect relocation")
		loc, err := os.ReadFile(filepath.Join(bundle.cfg.Dir, "location"))
		require.NoError(t, err)
		require.Equal(t, srv.DataDir(), strings.TrimSpace(string(loc)))
	} else {
		require.Equal(t, bundle.cfg.Dir, srv.DataDir())
	}

	exec1(t, srv, "CREATE TABLE kept (v text)")
	exec1(t, srv, "INSERT INTO kept VALUES ('hello')")

	// A second Start while running connects to the running server and does not own it.
	other, err := pglocal.Start(ctx, bundle.cfg)
	require.NoError(t, err)
	require.False(t, other.Owned())
	require.Equal(t, port, other.Port())
	require.Equal(t, srv.PID(), other.PID())
	require.NoError(t, other.Stop(ctx))
	require.True(t, postgresRunning(srv.PID()), "non-owned Stop must not stop the server")

	pid := srv.PID()
	require.NoError(t, srv.Stop(ctx))
	require.Zero(t, srv.PID())
	require.False(t, postgresRunning(pid))
	require.Empty(t, processesIn(t, srv.DataDir()), "postgres processes left behind")
	require.NoError(t, srv.Stop(ctx), "Stop is idempotent")

	// A stale postmaster.pid (its process is gone) does not block the next start.
	dead := exec.CommandContext(ctx, "true")
	require.NoError(t, dead.Run())
	stale := strconv.Itoa(dead.Process.Pid) + "\n" + srv.DataDir() + "\n0\n" + strconv.Itoa(port) + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(srv.DataDir(), "postmaster.pid"), []byte(stale), 0o600))

	began = time.Now()
	again, err := pglocal.Start(ctx, bundle.cfg)
	require.NoError(t, err)
	t.Logf("restart took %s", time.Since(began))
	require.True(t, again.Owned())
	require.Equal(t, port, again.Port(), "restart reuses the persisted port")
	var v string
	require.NoError(t, query(t, again, "SELECT v FROM kept", &v))
	require.Equal(t, "hello", v)

	// Stop and Start on the same Server.
	require.NoError(t, again.Stop(ctx))
	require.NoError(t, again.Start(ctx))
	require.Equal(t, port, again.Port())
	require.NoError(t, query(t, again, "SELECT v FROM kept", &v))
	pid = again.PID()
	require.NoError(t, again.Stop(ctx))
	require.False(t, postgresRunning(pid))
	require.Empty(t, processesIn(t, again.DataDir()))
}

func TestShutdownOrphan(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	ctx := t.Context()
	bundle.cfg.Port = freePort(t)

	srv, err := pglocal.Start(ctx, bundle.cfg)
	require.NoError(t, err)
	require.Equal(t, bundle.cfg.Port, srv.Port())
	pid := srv.PID()

	// As if the owner had died: another process shuts the cluster down by its directory.
	require.NoError(t, pglocal.Shutdown(ctx, bundle.cfg))
	require.False(t, postgresRunning(pid))
	require.Empty(t, processesIn(t, srv.DataDir()))
	require.NoError(t, srv.Stop(ctx), "stopping a server that is already gone is fine")
	require.NoError(t, pglocal.Shutdown(ctx, bundle.cfg), "Shutdown of a stopped cluster is a no-op")
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	_, err := pglocal.Start(ctx, pglocal.Config{})
	require.ErrorContains(t, err, "Dir is required")

	_, err = pglocal.Start(ctx, pglocal.Config{Dir: t.TempDir(), BinDir: t.TempDir()})
	require.ErrorContains(t, err, "lacks initdb")

	if os.Geteuid() == 0 {
		_, err = pglocal.Start(ctx, pglocal.Config{Dir: t.TempDir(), User: "no-such-user-hookstream"})
		require.ErrorContains(t, err, `user "no-such-user-hookstream" does not exist`)
	}
}

func exec1(t *testing.T, srv *pglocal.Server, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), srv.DSN(pglocal.DatabaseName))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), sql)
	require.NoError(t, err)
}

func query(t *testing.T, srv *pglocal.Server, sql string, dest ...any) error {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), srv.DSN(pglocal.DatabaseName))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	return conn.QueryRow(t.Context(), sql).Scan(dest...)
}

// postgresRunning reports whether pid is a live (non-zombie) process.
func postgresRunning(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	state := s[strings.LastIndexByte(s, ')')+2]
	return state != 'Z' && state != 'X'
}

// processesIn lists live processes whose working directory is dir: postgres runs in its data
// directory, the postmaster and every backend and auxiliary process alike.
func processesIn(t *testing.T, dir string) []string {
	t.Helper()
	resolved, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var found []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd"); err == nil && cwd == resolved && postgresRunning(pid) {
			cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			found = append(found, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return found
}

func freePort(t *testing.T) int {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
