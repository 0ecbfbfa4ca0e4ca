package projections_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// TestDeliveryLogOutcomeDecidedAtIngest: a webhook.received carrying
// ingest's decision becomes a row in its final status (processed, or
// filtered with the reason), with no derived event; one without stays
// received until the pipeline's events arrive. Applied one at a time and
// in one batch, so the decision does not depend on batching.
func TestDeliveryLogOutcomeDecidedAtIngest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, size := range []int{1, 10} {
		pool, err := projections.Connect(ctx, pgtest.DSN(t, migrations.Migrate))
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		tenant, hook := eventstore.NewID(), eventstore.NewID()
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		mk := func(seq uint64, outcome string, d hookstream.ReceivedData) *hookstream.Event {
			ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
			ev.TenantID, ev.WebhookID, ev.Sequence, ev.Time, ev.Outcome = tenant, hook, seq, at, outcome
			ev.Data, _ = json.Marshal(d)
			return ev
		}
		processed := mk(1, hookstream.OutcomeProcessed, hookstream.ReceivedData{Method: "POST", Body: json.RawMessage(`{"a":1}`)})
		filtered := mk(2, hookstream.OutcomeFiltered, hookstream.ReceivedData{Method: "POST", Body: json.RawMessage(`{"a":2}`),
			FilteredReason: `$.a equals 1: got 2`})
		undecided := mk(3, "", hookstream.ReceivedData{Method: "POST"})
		applyInBatches(t, pool, []*hookstream.Event{processed, filtered, undecided}, size)

		row := func(id string) (status, reason string, processedAt *time.Time, ms *float64) {
			require.NoError(t, pool.QueryRow(ctx, `SELECT status, filtered_reason, processed_at, processing_time_ms
				FROM webhook_events WHERE id = $1`, id).Scan(&status, &reason, &processedAt, &ms))
			return
		}
		status, reason, pat, ms := row(processed.ID)
		require.Equal(t, "processed", status)
		require.Empty(t, reason)
		require.NotNil(t, pat)
		require.True(t, pat.Equal(at))
		require.NotNil(t, ms)
		require.InDelta(t, 0, *ms, 1e-9)
		status, reason, pat, _ = row(filtered.ID)
		require.Equal(t, "filtered", status)
		require.Equal(t, `$.a equals 1: got 2`, reason)
		require.NotNil(t, pat)
		status, _, pat, _ = row(undecided.ID)
		require.Equal(t, "received", status)
		require.Nil(t, pat)

		var count int64
		require.NoError(t, pool.QueryRow(ctx, `SELECT trigger_count FROM webhook_stats WHERE webhook_id = $1`, hook).Scan(&count))
		require.Equal(t, int64(3), count, "every accepted delivery counts, decided or not")
	}
}
