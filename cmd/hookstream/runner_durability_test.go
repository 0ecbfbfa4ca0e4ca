package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// sink is the destination of the executions: it records every request's
// Idempotency-Key and answers 200 after a short random delay, so requests
// are in flight when the server is killed.
type sink struct {
	mu   sync.Mutex
	keys map[string]int
	hits atomic.Int64
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	s.keys[key]++
	s.mu.Unlock()
	s.hits.Add(1)
	select {
	case <-time.After(time.Duration(20+rand.IntN(150)) * time.Millisecond):
	case <-r.Context().Done():
	}
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func apiDo(t *testing.T, base, token, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		require.NoError(t, json.Unmarshal(raw, out), string(raw))
	}
	return resp.StatusCode
}

// TestExecutionsSurviveKills: the real binary runs 200 executions (two
// http steps around a durable delay) and is SIGKILLed at random moments at
// least 5 times, restarting on the same data directory. Every execution
// ends exactly once, no step completes twice, and the destination saw
// every (execution, step) at least once — exactly once by Idempotency-Key.
func TestExecutionsSurviveKills(t *testing.T) {
	if testing.Short() {
		t.Skip("durability test: builds and kills the real binary")
	}
	t.Parallel()
	const executions, kills = 200, 5
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookstream")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	dest := &sink{keys: map[string]int{}}
	destSrv := httptest.NewServer(dest)
	t.Cleanup(destSrv.Close)

	logs, err := os.Create(filepath.Join(dir, "server.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logs.Close() })
	port := freeTCPPort(t)
	token := projections.NewToken()
	dataDir := filepath.Join(dir, "data")
	srv := &binaryServer{t: t, bin: bin, logs: logs, url: fmt.Sprintf("http://127.0.0.1:%d", port), env: []string{
		fmt.Sprintf("HOOKSTREAM_HTTP_ADDR=127.0.0.1:%d", port),
		"HOOKSTREAM_DATA_DIR=" + dataDir,
		"HOOKSTREAM_DATABASE_URL=" + pgtest.DSN(t, migrations.Migrate),
		"HOOKSTREAM_BOOTSTRAP_TOKEN=" + token,
		"HOOKSTREAM_LOG_LEVEL=warn",
		"HOOKSTREAM_OUTBOUND_ALLOW_CIDRS=127.0.0.1/32",
		"HOOKSTREAM_RUNNER_WORKERS=8",
		"HOOKSTREAM_RUNNER_ACK_WAIT=3s",
	}}
	t.Cleanup(func() {
		if srv.cmd != nil {
			_ = srv.cmd.Process.Kill()
			_ = srv.cmd.Wait()
		}
	})
	srv.start()

	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, apiDo(t, srv.url, token, "POST", "/api/v1/workflows", map[string]any{
		"name": "durable", "steps": []any{
			map[string]any{"type": "http", "url": destSrv.URL + "/a/{{.Body.n}}", "body": "{{json .Body}}"},
			map[string]any{"type": "delay", "ms": 300},
			map[string]any{"type": "http", "url": destSrv.URL + "/b/{{.Body.n}}"},
		},
		"retry": map[string]any{"maxAttempts": 20, "initialIntervalMs": 50, "maxIntervalMs": 500},
	}, &wf))
	var wh struct{ ID string }
	require.Equal(t, http.StatusCreated, apiDo(t, srv.url, token, "POST", "/api/v1/webhooks", map[string]any{
		"path": "runner-durability", "authType": "none", "workflowId": wf.ID,
	}, &wh))
	for n := range executions {
		req, err := http.NewRequestWithContext(t.Context(), "POST", srv.url+"/api/v1/webhooks/runner-durability", strings.NewReader(fmt.Sprintf(`{"n":%d}`, n)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	}

	// Kill at random moments: after a random number of further requests
	// reached the destination (so some are always in flight).
	for i := range kills {
		target := dest.hits.Load() + 5 + rand.Int64N(40)
		poll(t, 3*time.Minute, 5*time.Millisecond, func() bool { return dest.hits.Load() >= target },
			func() string { return fmt.Sprintf("destination saw %d requests, want %d", dest.hits.Load(), target) })
		srv.kill()
		srv.start()
		t.Logf("kill %d after %d destination requests", i+1, dest.hits.Load())
	}

	// Every execution ends (the read model follows the stream).
	poll(t, 4*time.Minute, 100*time.Millisecond, func() bool {
		var page struct {
			Executions []struct{ Status string } `json:"executions"`
		}
		if apiDo(t, srv.url, token, "GET", "/api/v1/executions?limit=500&workflowId="+wf.ID, nil, &page) != http.StatusOK {
			return false
		}
		ended := 0
		for _, e := range page.Executions {
			if e.Status == "completed" || e.Status == "failed" {
				ended++
			}
		}
		return ended == executions
	}, func() string { return "not every execution ended; logs in " + logs.Name() })
	srv.stop()

	// The stream, read on the data directory.
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: filepath.Join(dataDir, "nats")})
	require.NoError(t, err)
	t.Cleanup(emb.Shutdown)
	nc, err := emb.Connect("runner-durability-check")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	st, err := eventstore.Open(t.Context(), nc, eventstore.Config{})
	require.NoError(t, err)

	triggered := map[string]bool{}
	require.NoError(t, st.Read(t.Context(), eventstore.ReadOptions{Stream: eventstore.StreamHooks}, func(ev *hookstream.Event) error {
		if ev.Type == hookstream.EventWorkflowTriggered {
			var d hookstream.TriggeredData
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			triggered[d.ExecutionID] = true
		}
		return nil
	}))
	require.Len(t, triggered, executions)
	ends := map[string]int{}
	completedSteps := map[string]int{}
	completedExec := 0
	require.NoError(t, st.Read(t.Context(), eventstore.ReadOptions{Stream: eventstore.StreamExec}, func(ev *hookstream.Event) error {
		switch ev.Type {
		case hookstream.EventExecutionCompleted, hookstream.EventExecutionFailed:
			ends[ev.Subject]++
			if ev.Type == hookstream.EventExecutionCompleted {
				completedExec++
			}
		case hookstream.EventStepCompleted:
			var d hookstream.StepEventData
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			completedSteps[fmt.Sprintf("%s-%d", d.ExecutionID, d.StepIndex)]++
		}
		return nil
	}))
	for id := range triggered {
		require.Equal(t, 1, ends[id], "execution %s ended %d times", id, ends[id])
	}
	require.Len(t, ends, executions)
	for k, n := range completedSteps {
		require.Equal(t, 1, n, "step %s completed %d times", k, n)
	}
	require.Equal(t, executions, completedExec, "every execution completed")

	dest.mu.Lock()
	defer dest.mu.Unlock()
	repeats := 0
	for id := range triggered {
		for _, step := range []int{0, 2} {
			key := fmt.Sprintf("%s-%d", id, step)
			require.GreaterOrEqual(t, dest.keys[key], 1, "destination never saw %s", key)
			repeats += dest.keys[key] - 1
		}
	}
	require.Len(t, dest.keys, 2*executions, "distinct Idempotency-Keys = (execution, http step) pairs")
	t.Logf("executions=%d kills=%d destination requests=%d repeats (same Idempotency-Key)=%d", executions, kills, dest.hits.Load(), repeats)
}
