package pglocal_test

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/projections/pglocal"
)

// TestSupervisorRestartsAKilledPostmaster: a postmaster that dies
// (SIGKILL) is restarted with backoff and keeps its data; Status reports
// the restart; Stop leaves nothing running (2.6/7 defect 2).
func TestSupervisorRestartsAKilledPostmaster(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	ctx := t.Context()
	srv, err := pglocal.Start(ctx, bundle.cfg)
	require.NoError(t, err)
	exec1(t, srv, "CREATE TABLE kept (v text)")
	exec1(t, srv, "INSERT INTO kept VALUES ('survives')")
	exec1(t, srv, "CHECKPOINT") // NoSync commits asynchronously: make the rows durable before the kill
	first := srv.PID()
	require.Equal(t, pglocal.Status{Running: true, PID: first}, srv.Status())

	require.NoError(t, syscall.Kill(first, syscall.SIGKILL))
	eventstoretest.Poll(t, 2*time.Minute, 50*time.Millisecond, func() bool {
		st := srv.Status()
		return st.Running && st.Restarts == 1 && st.PID != first
	}, func() string { return "not restarted: " + strconv.Quote(srv.Status().LastExit) })
	st := srv.Status()
	require.Contains(t, st.LastExit, "killed")
	var v string
	require.NoError(t, query(t, srv, "SELECT v FROM kept", &v))
	require.Equal(t, "survives", v)

	pid := srv.PID()
	require.NoError(t, srv.Stop(ctx))
	require.False(t, postgresRunning(pid))
	require.Empty(t, processesIn(t, srv.DataDir()), "postgres processes left behind")
	require.False(t, srv.Status().Running)
}

// TestStartStopsAnOrphanedPostmaster: a postmaster whose owner died is not
// adopted as a foreign server: Start stops it and starts its own, which
// Stop then stops (2.6/7 defect 3).
func TestStartStopsAnOrphanedPostmaster(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	ctx := t.Context()
	old, err := pglocal.Start(ctx, bundle.cfg)
	require.NoError(t, err)
	orphan := old.PID()
	// As if the owner had died: it records a pid that is gone.
	dead := exec1Process(t)
	require.NoError(t, os.WriteFile(filepath.Join(bundle.cfg.Dir, "hookstream-owner"), []byte(strconv.Itoa(dead)+" "+strconv.Itoa(orphan)+"\n"), 0o600))

	srv, err := pglocal.Start(ctx, bundle.cfg)
	require.NoError(t, err)
	require.True(t, srv.Owned(), "the cluster in its own directory is owned")
	require.NotEqual(t, orphan, srv.PID())
	require.False(t, postgresRunning(orphan))
	require.NoError(t, old.Stop(ctx), "the old owner's Stop finds its postmaster gone")

	// The same process starting again while it runs attaches (a CLI).
	other, err := pglocal.Start(ctx, bundle.cfg)
	require.NoError(t, err)
	require.False(t, other.Owned())

	pid := srv.PID()
	require.NoError(t, srv.Stop(ctx))
	require.False(t, postgresRunning(pid))
	require.Empty(t, processesIn(t, srv.DataDir()))
}

// exec1Process returns the pid of a process that has exited.
func exec1Process(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	require.NoError(t, err)
	_, err = p.Wait()
	require.NoError(t, err)
	return p.Pid
}
