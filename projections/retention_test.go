package projections_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// TestRetentionDeletesOldRowsInBatches: each tenant keeps its own
// retention; older rows go in batches of BatchSize, counted in
// hookstream_retention_deleted_total; newer rows stay.
func TestRetentionDeletesOldRowsInBatches(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := projections.Connect(ctx, pgtest.DSN(t, migrations.Migrate))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	acc := projections.NewAccounts(pool)
	short, err := acc.CreateTenant(ctx, "short")
	require.NoError(t, err)
	_, err = acc.SetRetention(ctx, short.ID, 10)
	require.NoError(t, err)
	long, err := acc.CreateTenant(ctx, "long") // default: 30 days
	require.NoError(t, err)
	require.Equal(t, 30, long.RetentionDays)

	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var evs []*hookstream.Event
	add := func(tenant string, age time.Duration, n int) []string {
		var ids []string
		for range n {
			ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
			ev.TenantID, ev.WebhookID, ev.Time = tenant, eventstore.NewID(), now.Add(-age)
			ev.Data, _ = json.Marshal(hookstream.ReceivedData{Method: "POST", Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, len(evs)))})
			ev.Sequence = uint64(len(evs) + 1) // small
			evs = append(evs, ev)
			ids = append(ids, ev.ID)
		}
		return ids
	}
	add(short.ID, 20*24*time.Hour, 25)                         // older than 10 days: deleted
	add(short.ID, 10*24*time.Hour+time.Minute, 3)              // just older: deleted
	keepShort := add(short.ID, 10*24*time.Hour-time.Minute, 4) // just newer: kept
	keepShort = append(keepShort, add(short.ID, time.Hour, 5)...)
	keepLong := add(long.ID, 20*24*time.Hour, 12) // within 30 days: kept
	add(long.ID, 40*24*time.Hour, 9)              // deleted
	require.NoError(t, projections.InTx(ctx, pool, func(tx pgx.Tx) error {
		return projections.DeliveryLog{}.Apply(ctx, tx, evs)
	}))

	reg := prometheus.NewRegistry()
	ret, err := projections.NewRetention(projections.RetentionConfig{Pool: pool, Registry: reg, BatchSize: 4,
		NowFunc: func() time.Time { return now }})
	require.NoError(t, err)
	deleted, err := ret.Sweep(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 25+3+9, deleted)
	require.EqualValues(t, 25+3+9, counterValue(t, reg, "hookstream_retention_deleted_total"))
	require.EqualValues(t, 1, counterValue(t, reg, "hookstream_retention_runs_total"))

	left := func(tenant string) []string {
		rows, err := pool.Query(ctx, `SELECT id::text FROM webhook_events WHERE tenant_id = $1`, tenant)
		require.NoError(t, err)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return ids
	}
	require.ElementsMatch(t, keepShort, left(short.ID))
	require.ElementsMatch(t, keepLong, left(long.ID))

	var runs int
	var recorded int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*), coalesce(sum(deleted), 0) FROM retention_runs`).Scan(&runs, &recorded))
	require.Equal(t, 2, runs, "one run recorded per tenant that lost rows")
	require.EqualValues(t, 37, recorded)

	// A second sweep finds nothing; the counter stays.
	deleted, err = ret.Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, deleted)
	require.EqualValues(t, 37, counterValue(t, reg, "hookstream_retention_deleted_total"))
	require.EqualValues(t, 2, counterValue(t, reg, "hookstream_retention_runs_total"))
}
