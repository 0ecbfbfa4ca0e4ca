package projections_test

import (
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// TestListEventsBuildsEachFilter pages through every filter combination
// the query builder knows (one status, several statuses as merged
// branches, webhook, q, path, range) and compares with a plain query.
func TestListEventsBuildsEachFilter(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := projections.Connect(ctx, pgtest.DSN(t, migrations.Migrate))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	tenant, other := eventstore.NewID(), eventstore.NewID()
	hooks := []string{eventstore.NewID(), eventstore.NewID()}
	evs := deliveryHistory(rand.New(rand.NewPCG(3, 4)), tenant, other, hooks, 600)
	applyInBatches(t, pool, evs, 50)
	mid := evs[len(evs)/2].Time

	want := func(where string, args ...any) []string {
		rows, err := pool.Query(ctx, `SELECT id::text FROM webhook_events WHERE tenant_id = $1 AND `+where+
			` ORDER BY created_at DESC, id DESC`, append([]any{tenant}, args...)...)
		require.NoError(t, err)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return ids
	}
	for _, tc := range []struct {
		name  string
		f     projections.EventFilter
		where string
		args  []any
	}{
		{"all", projections.EventFilter{}, "true", nil},
		{"one status", projections.EventFilter{Statuses: []string{"failed"}}, "status = 'failed'", nil},
		{"statuses", projections.EventFilter{Statuses: []string{"processed", "rejected", "processed"}}, "status IN ('processed', 'rejected')", nil},
		{"webhook and statuses", projections.EventFilter{WebhookID: hooks[1], Statuses: []string{"received", "filtered"}},
			"webhook_id = $2 AND status IN ('received', 'filtered')", []any{hooks[1]}},
		{"range", projections.EventFilter{From: evs[100].Time, To: mid}, "created_at >= $2 AND created_at < $3", []any{evs[100].Time, mid}},
		{"q", projections.EventFilter{Q: "HELLO 1"}, "body_text LIKE '%hello 1%'", nil},
		{"path", projections.EventFilter{Path: `$.n < 300`, Statuses: []string{"failed", "processed"}},
			"body @@ '$.n < 300' AND status IN ('failed', 'processed')", nil},
		{"filter path", projections.EventFilter{Path: `$ ? (@.s like_regex "^Hello 2")`}, `body @? '$ ? (@.s like_regex "^Hello 2")'`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expected := want(tc.where, tc.args...)
			require.NotEmpty(t, expected)
			ev := projections.NewEvents(pool)
			f := tc.f
			f.TenantID, f.Limit = tenant, 7
			var got []string
			for {
				page, next, err := ev.ListEvents(ctx, f)
				require.NoError(t, err)
				for _, e := range page {
					got = append(got, e.ID)
				}
				if next == "" {
					break
				}
				f.Cursor = next
			}
			require.Equal(t, expected, got)
			f.Cursor = ""
			var exported []string
			require.NoError(t, ev.ExportEvents(ctx, f, func(e *projections.DeliveryEvent) error {
				exported = append(exported, e.ID)
				return nil
			}))
			require.Equal(t, expected, exported)
		})
	}
}
