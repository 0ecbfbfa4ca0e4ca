package pgtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/projections/pglocal"
)

func TestSweepOrphans(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	// A pgtest directory whose owner died with its server running.
	dir, err := newDir()
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cfg := pglocal.Config{Dir: filepath.Join(dir, clusterDir), NoSync: true}
	seedFromCache(ctx, cfg.Dir)
	srv, err := pglocal.Start(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pglocal.Shutdown(t.Context(), cfg) })
	dead := exec.CommandContext(ctx, "true")
	require.NoError(t, dead.Run())
	require.NoError(t, os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(dead.Process.Pid)), 0o644))

	// One with a live owner (us) is left alone.
	live, err := newDir()
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(live) })

	sweepOrphans(ctx)
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoFileExists(t, filepath.Join(srv.DataDir(), "postmaster.pid"))
	require.DirExists(t, live)
}
