package eventstore_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
)

// TestClusterAnonymousRefused: a cluster node's listener refuses a client
// without credentials and accepts the generated nkey.
func TestClusterAnonymousRefused(t *testing.T) {
	t.Parallel()
	c := eventstoretest.NewCluster(t)
	url := strings.Split(c.ClientURLs(), ",")[0]
	_, err := nats.Connect(url, nats.NoReconnect())
	require.ErrorIs(t, err, nats.ErrAuthorization)
	opt, err := eventstore.CredsOption(c.SeedFile())
	require.NoError(t, err)
	nc, err := nats.Connect(url, opt)
	require.NoError(t, err)
	nc.Close()
}

// TestClusterAppendRidesOutLeaderKill: group-committed appends through the
// Retrier under concurrent load all succeed while the node leading HOOKS
// is killed, and each is stored exactly once.
func TestClusterAppendRidesOutLeaderKill(t *testing.T) {
	t.Parallel()
	c := eventstoretest.NewCluster(t)
	nc := c.Conn("append")
	st := c.Store(nc)
	b := eventstore.NewBatcher(st, eventstore.BatcherConfig{})
	require.NoError(t, b.Start(t.Context()))
	defer b.Stop()
	r := eventstore.NewRetrier(b, st, eventstore.RetryConfig{})

	var (
		mu       sync.Mutex
		ids      = map[string]uint64{}
		failures atomic.Int64
		acked    atomic.Int64
		maxWait  atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				ev := received(tenantA, webhook1, w*1_000_000+n)
				start := time.Now()
				res, err := r.Append(context.Background(), ev, eventstore.AppendOptions{})
				if d := time.Since(start); int64(d) > maxWait.Load() {
					maxWait.Store(int64(d))
				}
				if err != nil {
					failures.Add(1)
					t.Errorf("append failed: %v", err)
					continue
				}
				if res.Duplicate {
					t.Errorf("append %s answered duplicate", ev.ID)
				}
				mu.Lock()
				ids[ev.ID] = res.Seq
				mu.Unlock()
				acked.Add(1)
			}
		})
	}
	waitAcked := func(n int64) {
		target := acked.Load() + n
		eventstoretest.Poll(t, time.Minute, 5*time.Millisecond, func() bool { return acked.Load() >= target },
			func() string { return "appends stalled" })
	}
	waitAcked(100)
	leader := c.WaitStreamLeader(nc, eventstore.StreamHooks, 30*time.Second)
	killed := time.Now()
	c.Kill(leader)
	waitAcked(200)
	t.Logf("killed %s; 200 appends acknowledged %s later", c.Name(leader), time.Since(killed))
	c.RestartNode(leader)
	waitAcked(100)
	close(stop)
	wg.Wait()
	require.Zero(t, failures.Load())

	// Each acknowledged event is at the sequence its PubAck named, and the
	// stream holds nothing else: stored exactly once.
	for id, seq := range ids {
		ev, err := st.Get(t.Context(), eventstore.StreamHooks, seq)
		require.NoError(t, err)
		require.Equal(t, id, ev.ID, "seq %d", seq)
	}
	_, msgs, err := st.StreamInfo(t.Context(), eventstore.StreamHooks)
	require.NoError(t, err)
	require.Equal(t, uint64(len(ids)), msgs)
	stored := map[string]int{}
	err = st.Read(t.Context(), eventstore.ReadOptions{Stream: eventstore.StreamHooks}, func(ev *hookstream.Event) error {
		stored[ev.ID]++
		return nil
	})
	require.NoError(t, err)
	for id := range ids {
		require.Equal(t, 1, stored[id], "event %s read %d times", id, stored[id])
	}
	t.Logf("acknowledged=%d stored=%d longest append=%s", len(ids), len(stored), time.Duration(maxWait.Load()))
}
