package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pglocal"
)

// managedPostmaster returns the managed postmaster's pid from /readyz?verbose.
func managedPostmaster(t *testing.T, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/readyz?verbose", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var ready struct {
		Components []struct{ Name, Detail string } `json:"components"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ready))
	for _, c := range ready.Components {
		if m := regexp.MustCompile(`pid (\d+)`).FindStringSubmatch(c.Detail); c.Name == "managed_postgres" && m != nil {
			pid, _ := strconv.Atoi(m[1])
			return pid
		}
	}
	t.Fatalf("no managed_postgres pid in /readyz?verbose: %+v", ready)
	return 0
}

// alive reports whether pid is a live, non-zombie process.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// TestManagedPostgresDoesNotOutliveAKill: the real binary with its managed
// PostgreSQL is SIGKILLed; its postgres does not run on without a parent,
// the next start owns the cluster, and SIGTERM leaves no postgres behind
// (2.6/7 defect 3).
func TestManagedPostgresDoesNotOutliveAKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookstream")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	logs, err := os.Create(filepath.Join(dir, "server.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logs.Close() })
	dataDir := filepath.Join(dir, "data")
	t.Cleanup(func() {
		_ = pglocal.Shutdown(t.Context(), pglocal.Config{Dir: filepath.Join(dataDir, "pg")})
		_ = pglocal.Remove(filepath.Join(dataDir, "pg"))
	})
	port := freeTCPPort(t)
	srv := &binaryServer{t: t, bin: bin, logs: logs, url: fmt.Sprintf("http://127.0.0.1:%d", port), env: []string{
		fmt.Sprintf("HOOKSTREAM_HTTP_ADDR=127.0.0.1:%d", port),
		"HOOKSTREAM_DATA_DIR=" + dataDir,
		"HOOKSTREAM_DATABASE_URL=",
		"HOOKSTREAM_BOOTSTRAP_TOKEN=" + projections.NewToken(),
		"HOOKSTREAM_LOG_LEVEL=info",
	}}
	t.Cleanup(func() {
		if srv.cmd != nil {
			_ = srv.cmd.Process.Kill()
			_ = srv.cmd.Wait()
		}
	})
	srv.start()
	first := managedPostmaster(t, srv.url)
	srv.kill()
	eventstoretest.Poll(t, 2*time.Minute, 50*time.Millisecond, func() bool { return !alive(first) },
		func() string { return fmt.Sprintf("postgres %d outlived the SIGKILLed hookstream", first) })

	srv.start()
	second := managedPostmaster(t, srv.url)
	require.NotEqual(t, first, second)
	srv.stop()
	require.False(t, alive(second), "Ctrl-C/SIGTERM must stop the managed PostgreSQL")
}
