package replay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/streams/replay"
)

// appendBulk appends n ~1 KB deliveries concurrently (the pipelined
// appends of a busy ingest).
func (b *bundle) appendBulk(n int) {
	b.t.Helper()
	pad := make([]byte, 900)
	for i := range pad {
		pad[i] = 'x'
	}
	const workers = 32
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := w; i < n; i += workers {
				ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
				ev.TenantID, ev.WebhookID = b.tenant.ID, b.webhook
				ev.Data = json.RawMessage(fmt.Sprintf(`{"method":"POST","path":"/x","headers":{},"body":{"i":%d,"pad":"%s"},"bodyBytes":920,"auth":{"type":"none","verified":false}}`, i, pad))
				if _, err := b.store.Append(context.Background(), ev, eventstore.AppendOptions{}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		require.NoError(b.t, <-errs)
	}
}

// BenchmarkStreamReread measures the re-read of a webhook's deliveries by
// subject with an ordered consumer (what a batch job does before replaying).
func BenchmarkStreamReread(b *testing.B) {
	bb := setup(b)
	const n = 20_000
	bb.appendBulk(n)
	subjects := []string{eventstore.SubjectFilter(eventstore.StreamHooks, bb.tenant.ID, bb.webhook, hookstream.EventWebhookReceived)}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		seen := 0
		err := bb.store.Read(b.Context(), eventstore.ReadOptions{Stream: eventstore.StreamHooks, Subjects: subjects}, func(*hookstream.Event) error {
			seen++
			return nil
		})
		require.NoError(b, err)
		require.Equal(b, n, seen)
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkBatchReplay measures a batch replay job end to end (counter CAS,
// replay append, replay.requested append, progress saves) at an unbounded
// rate, SyncAlways.
func BenchmarkBatchReplay(b *testing.B) {
	bb := setup(b)
	_, err := bb.acc.SetMaxReplays(b.Context(), bb.tenant.ID, hookstream.MaxReplaysHardCap)
	require.NoError(b, err)
	const n = 3000
	bb.appendBulk(n)
	jobs := bb.newJobs("bench")
	require.NoError(b, jobs.Start(b.Context()))
	defer jobs.Stop()
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := jobs.Create(b.Context(), bb.admin, replay.BatchRequest{Filter: &replay.Filter{WebhookID: bb.webhook}, RatePerSec: replay.RatePerSecMax})
		require.NoError(b, err)
		job := bb.waitJob(res.JobID, func(j hookstream.ReplayJob) bool { return j.Status == replay.JobCompleted })
		total += time.Since(start)
		require.Equal(b, res.Matched, job.Replayed+job.Skipped)
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "events/s")
}
