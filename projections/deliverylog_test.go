package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// deliveryHistory is a stream of HOOKS events exercising every rule of
// the delivery log: each status move and its refusals (failed after
// processed, filtered after failed), failed → processed, duplicates,
// workflow links before and after processing, rejections, updates of
// unknown rows, another tenant's updates, and received rows whose updates
// come many events later.
func deliveryHistory(rng *rand.Rand, tenant, other string, hooks []string, n int) []*hookstream.Event {
	base := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	var out []*hookstream.Event
	var ids []string
	at := func() time.Time {
		return base.Add(time.Duration(len(out)) * 1700 * time.Microsecond).Add(time.Duration(rng.IntN(999)))
	}
	add := func(typ, tenantID, hook string, data any) *hookstream.Event {
		ev := eventstore.NewEvent(typ)
		ev.TenantID, ev.WebhookID, ev.Time = tenantID, hook, at()
		ev.Data, _ = json.Marshal(data)
		ev.Stream, ev.Sequence = eventstore.StreamHooks, uint64(len(out)+1) // small
		out = append(out, ev)
		return ev
	}
	for len(out) < n {
		hook := hooks[rng.IntN(len(hooks))]
		switch k := rng.IntN(10); {
		case k < 4 || len(ids) == 0:
			ev := add(hookstream.EventWebhookReceived, tenant, hook, hookstream.ReceivedData{
				Method: "POST", Headers: map[string][]string{"X-N": {fmt.Sprint(len(out))}}, ContentType: "application/json",
				Body:       json.RawMessage(fmt.Sprintf(`{"n":%d,"s":"Hello %d"}`, len(out), rng.IntN(50))),
				DeliveryID: fmt.Sprintf("d-%d", len(out)), Metadata: map[string]any{"k": len(out)},
			})
			ids = append(ids, ev.ID)
		case k == 4:
			add(hookstream.EventWebhookRejected, tenant, hook, hookstream.RejectedData{Status: 401, Reason: "bad signature", Method: "POST", Body: `{"x":1}`})
		default:
			target := ids[rng.IntN(len(ids))]
			if rng.IntN(20) == 0 {
				target = eventstore.NewID() // unknown
			}
			tenantID := tenant
			if rng.IntN(15) == 0 {
				tenantID = other // another tenant's event must not touch the row
			}
			switch rng.IntN(5) {
			case 0:
				add(hookstream.EventWebhookFiltered, tenantID, hook, map[string]string{"eventId": target, "reason": fmt.Sprint("rule ", rng.IntN(3))})
			case 1:
				add(hookstream.EventWebhookProcessed, tenantID, hook, map[string]string{"eventId": target, "executionId": fmt.Sprint("x-", len(out)), "workflowId": []string{"", "wf-p"}[rng.IntN(2)]})
			case 2:
				add(hookstream.EventWebhookFailed, tenantID, hook, map[string]string{"eventId": target, "error": fmt.Sprint("boom ", len(out))})
			case 3:
				add(hookstream.EventWebhookDuplicate, tenantID, hook, map[string]string{"originalEventId": target})
			case 4:
				add(hookstream.EventWorkflowTriggered, tenantID, hook, map[string]any{"executionId": fmt.Sprint("t-", len(out)), "workflowId": "wf-t", "trigger": map[string]string{"eventId": target}})
			}
		}
	}
	return out
}

func applyInBatches(t *testing.T, pool *pgxpool.Pool, evs []*hookstream.Event, size int) {
	t.Helper()
	for i := 0; i < len(evs); i += size {
		batch := evs[i:min(i+size, len(evs))]
		require.NoError(t, projections.InTx(t.Context(), pool, func(tx pgx.Tx) error {
			return projections.DeliveryLog{}.Apply(t.Context(), tx, batch)
		}))
	}
}

// TestDeliveryLogBatchingIsInvisible applies one history one event at a
// time (every update a statement of its own) and in batches of several
// sizes (most updates folded into the rows before they are written, the
// rest set-based): the tables must be identical.
func TestDeliveryLogBatchingIsInvisible(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tenant, other := eventstore.NewID(), eventstore.NewID()
	hooks := []string{eventstore.NewID(), eventstore.NewID(), eventstore.NewID()}
	evs := deliveryHistory(rand.New(rand.NewPCG(7, 9)), tenant, other, hooks, 1500)

	sums := map[int][2]string{}
	for _, size := range []int{1, 7, 100, 2000} {
		pool, err := projections.Connect(ctx, pgtest.DSN(t, migrations.Migrate))
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		applyInBatches(t, pool, evs, size)
		sums[size] = [2]string{checksum(t, pool, "webhook_events"), checksum(t, pool, "webhook_stats")}
		if size == 1 {
			var statuses, dupes, links int
			require.NoError(t, pool.QueryRow(ctx, `SELECT count(DISTINCT status), sum(duplicate_count),
				count(*) FILTER (WHERE execution_id LIKE 't-%') FROM webhook_events`).Scan(&statuses, &dupes, &links))
			require.Equal(t, 5, statuses, "the history reaches every status")
			require.Positive(t, dupes)
			require.Positive(t, links)
		}
	}
	for size, s := range sums {
		require.Equal(t, sums[1], s, "batches of %d", size)
	}
}

func TestDeliveryLogFoldsUpdatesOfItsOwnBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := projections.Connect(ctx, pgtest.DSN(t, migrations.Migrate))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	tenant, hook := eventstore.NewID(), eventstore.NewID()
	mk := func(seq uint64, typ string, data any) *hookstream.Event {
		ev := eventstore.NewEvent(typ)
		ev.TenantID, ev.WebhookID, ev.Sequence = tenant, hook, seq
		ev.Time = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seq) * 1500 * time.Microsecond)
		ev.Data, _ = json.Marshal(data)
		return ev
	}
	rec := mk(1, hookstream.EventWebhookReceived, hookstream.ReceivedData{Method: "POST", Body: json.RawMessage(`{"a":1}`)})
	early := mk(2, hookstream.EventWebhookProcessed, map[string]string{"eventId": eventstore.NewID()})
	later := mk(5, hookstream.EventWebhookReceived, hookstream.ReceivedData{Method: "POST"})
	// An update that precedes its row in the stream matches nothing.
	before := mk(4, hookstream.EventWebhookFailed, map[string]string{"eventId": later.ID, "error": "too early"})
	evs := []*hookstream.Event{rec, early,
		mk(3, hookstream.EventWebhookFailed, map[string]string{"eventId": rec.ID, "error": "boom"}),
		before, later,
		mk(6, hookstream.EventWebhookProcessed, map[string]string{"eventId": rec.ID, "executionId": "x1"}),
		mk(7, hookstream.EventWebhookFiltered, map[string]string{"eventId": rec.ID, "reason": "late"}),
	}
	applyInBatches(t, pool, evs, len(evs))
	var status, errMsg, exec, reason string
	var ms float64
	require.NoError(t, pool.QueryRow(ctx, `SELECT status, error_message, execution_id, filtered_reason, processing_time_ms
		FROM webhook_events WHERE id = $1`, rec.ID).Scan(&status, &errMsg, &exec, &reason, &ms))
	require.Equal(t, []any{"processed", "", "x1", ""}, []any{status, errMsg, exec, reason})
	require.InDelta(t, 7.5, ms, 1e-9, "processed 5 × 1.5 ms after it was received")
	require.NoError(t, pool.QueryRow(ctx, `SELECT status FROM webhook_events WHERE id = $1`, later.ID).Scan(&status))
	require.Equal(t, "received", status)
}
