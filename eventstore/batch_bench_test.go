package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookstream/hookstream"
)

// BenchmarkAppend64 measures 1 KB appends from 64 concurrent appenders on an
// embedded server with SyncAlways and its file store on the real disk
// (t.TempDir): a plain Store.Append, an async publish, and the Batcher with
// several sizes and windows. It reports msgs/s and p50/p99 latency:
//
//	go test -run '^$' -bench BenchmarkAppend64 -benchtime 20000x ./eventstore/
//
// The numbers and the choice of defaults are in the package doc.
func BenchmarkAppend64(b *testing.B) {
	const appenders = 64
	type appendFunc func(ctx context.Context, st *Store, ev *hookstream.Event) error
	plain := func(ctx context.Context, st *Store, ev *hookstream.Event) error {
		_, err := st.Append(ctx, ev, AppendOptions{})
		return err
	}
	async := func(ctx context.Context, st *Store, ev *hookstream.Event) error {
		msg, err := st.message(ev, AppendOptions{})
		if err != nil {
			return err
		}
		fut, err := st.js.PublishMsgAsync(msg)
		if err != nil {
			return err
		}
		select {
		case <-fut.Ok():
			return nil
		case err := <-fut.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	batched := func(cfg BatcherConfig) (appendFunc, func(st *Store) func()) {
		var bt *Batcher
		return func(ctx context.Context, _ *Store, ev *hookstream.Event) error {
				_, err := bt.Append(ctx, ev, AppendOptions{})
				return err
			}, func(st *Store) func() {
				bt = NewBatcher(st, cfg)
				if err := bt.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				return bt.Stop
			}
	}
	type variant struct {
		name  string
		fn    appendFunc
		setup func(st *Store) func()
	}
	variants := []variant{{name: "plain", fn: plain}, {name: "async", fn: async}}
	for _, c := range []BatcherConfig{
		{MaxBatch: 64, Window: -1, MaxInFlight: 1},
		{MaxBatch: 64, Window: -1, MaxInFlight: 4},
		{MaxBatch: 256, Window: -1, MaxInFlight: 1},
		{MaxBatch: 256, Window: -1, MaxInFlight: 4},
		{MaxBatch: 256, Window: time.Millisecond, MaxInFlight: 4},
		{MaxBatch: 256, Window: 2 * time.Millisecond, MaxInFlight: 4},
		{MaxBatch: 256, Window: time.Millisecond, MaxInFlight: 8},
		{MaxBatch: 1000, Window: time.Millisecond, MaxInFlight: 4},
	} {
		fn, setup := batched(c)
		name := fmt.Sprintf("batch-max%d-win%s-inflight%d", c.MaxBatch, c.Window, c.MaxInFlight)
		if c.Window < 0 {
			name = fmt.Sprintf("batch-max%d-win0-inflight%d", c.MaxBatch, c.MaxInFlight)
		}
		variants = append(variants, variant{name: name, fn: fn, setup: setup})
	}
	payload := json.RawMessage(`{"body":"` + strings.Repeat("x", 1000) + `"}`)
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			st := openTestStore(b)
			if v.setup != nil {
				defer v.setup(st)()
			}
			ctx := context.Background()
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range appenders {
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						ev := NewEvent(hookstream.EventWebhookReceived)
						ev.TenantID, ev.WebhookID = batchTenant, batchWebhook
						ev.Data = payload
						t0 := time.Now()
						if err := v.fn(ctx, st, ev); err != nil {
							failed.Add(1)
						}
						lat[i] = time.Since(t0)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d appends failed", f)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
			_, msgs, err := st.StreamInfo(ctx, StreamHooks)
			if err != nil || msgs != uint64(b.N) {
				b.Fatalf("stream holds %d messages, want %d (%v)", msgs, b.N, err)
			}
		})
	}
}
