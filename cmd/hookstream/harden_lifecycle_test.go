package main

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestEveryComponentHasOneLifecycle: every component the server wired
// (pipeline, projection manager, replay jobs, retention, webhook caches,
// batcher, …) follows hookstream.StartStop's contract: a second Start on a
// running component is a no-op that starts nothing, and Stop waits for
// what it started.
func TestEveryComponentHasOneLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	s.Main.mu.Lock()
	comps := append([]Component(nil), s.Main.components...)
	s.Main.mu.Unlock()
	require.NotEmpty(t, comps)
	for _, c := range comps {
		require.NoError(t, c.Start(t.Context()), "second Start of %T", c)
	}
	// Stopping every component (in reverse, as Close does) and starting it
	// again works; Close then stops everything once more.
	for i := len(comps) - 1; i >= 0; i-- {
		comps[i].Stop()
		comps[i].Stop() // idempotent
	}
	for _, c := range comps {
		require.NoError(t, c.Start(t.Context()), "Start after Stop of %T", c)
	}
	h := s.createHook(map[string]any{"path": "lifecycle", "authType": "none"})
	st, out := s.post(h.Path, nil, `{"after":"restart"}`)
	require.Equal(t, 202, st, out)
	var ev map[string]any
	s.waitStatus("/api/v1/events/"+out["eventId"].(string), 200, &ev, nil)
	before := runtime.NumGoroutine()
	s.Main.Close()
	poll(t, 30*time.Second, 20*time.Millisecond, func() bool { return runtime.NumGoroutine() < before },
		func() string {
			return fmt.Sprintf("goroutines: %d before Close, %d after", before, runtime.NumGoroutine())
		})
}
