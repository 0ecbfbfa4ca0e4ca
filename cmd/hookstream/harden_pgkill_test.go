package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/projections/pglocal"
)

// startManaged runs Main with the managed PostgreSQL in its data dir.
func startManaged(t *testing.T) *testServer {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { _ = pglocal.Remove(filepath.Join(dir, "pg")) })
	return startServer(t, func(c *Config) { c.DataDir, c.DatabaseURL = dir, "" })
}

// TestManagedPostgresKilledIsRestarted: SIGKILL of the managed postmaster
// under a running server: the supervisor restarts it, /readyz?verbose and
// /metrics report the restart, and the read models catch up with what was
// ingested meanwhile (2.6/7 defect 2).
func TestManagedPostgresKilledIsRestarted(t *testing.T) {
	t.Parallel()
	s := startManaged(t)
	h := s.createHook(map[string]any{"path": "pg-kill", "authType": "none"})
	st, out := s.post(h.Path, nil, `{"before":true}`)
	require.Equal(t, http.StatusAccepted, st)
	var ev map[string]any
	s.waitStatus("/api/v1/events/"+out["eventId"].(string), http.StatusOK, &ev, nil)

	pid := s.Main.pg.PID()
	require.NotZero(t, pid)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	// Ingest does not need PostgreSQL: deliveries are acknowledged meanwhile.
	var ids []string
	for i := range 5 {
		st, out := s.post(h.Path, nil, `{"during":`+string(rune('0'+i))+`}`)
		require.Equal(t, http.StatusAccepted, st, out)
		ids = append(ids, out["eventId"].(string))
	}
	for _, id := range ids {
		s.waitStatus("/api/v1/events/"+id, http.StatusOK, &ev, nil)
	}
	require.NotEqual(t, pid, s.Main.pg.PID())
	require.Contains(t, s.Logs.String(), "PostgreSQL exited; restarting it")

	var ready struct {
		Components []struct{ Name, Status, Detail string } `json:"components"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/readyz?verbose", "", nil, &ready))
	found := false
	for _, c := range ready.Components {
		if c.Name == "managed_postgres" {
			found = true
			require.Equal(t, "ok", c.Status)
			require.Contains(t, c.Detail, "restarted 1 times")
		}
	}
	require.True(t, found, "managed_postgres in /readyz?verbose: %+v", ready)
	req, err := http.NewRequestWithContext(context.Background(), "GET", s.URL+"/metrics", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(metrics), "hookstream_postgres_restarts_total 1")
	require.Contains(t, string(metrics), "hookstream_postgres_up 1")
}
