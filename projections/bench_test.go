package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// The query benchmarks share one database of HOOKSTREAM_BENCH_ROWS
// delivery-log rows (default 1 000 000, 100 000 with -short) across 5
// tenants and 50 webhooks over 29 days. It is generated in PostgreSQL by
// one INSERT … SELECT FROM generate_series with the secondary indexes of
// webhook_events dropped, which are then recreated (as the migrations
// define them) and the table analysed. It is built only when a benchmark
// runs (go test -bench), never by go test.

var bench struct {
	once    sync.Once
	pool    *pgxpool.Pool
	tenants []string
	rows    int
	err     error
}

func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("HOOKSTREAM_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	if testing.Short() {
		return 100_000
	}
	return 1_000_000
}

func benchDB(b *testing.B) (*pgxpool.Pool, []string) {
	b.Helper()
	bench.once.Do(func() {
		ctx := context.Background()
		bench.pool, bench.err = projections.Connect(ctx, pgtest.DSN(b, migrations.Migrate))
		if bench.err != nil {
			return
		}
		bench.rows = benchRows()
		for i := range 5 {
			bench.tenants = append(bench.tenants, fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1))
		}
		start := time.Now()
		bench.err = generateRows(ctx, bench.pool, bench.rows)
		fmt.Fprintf(os.Stderr, "bench: generated %d delivery-log rows in %s\n", bench.rows, time.Since(start).Round(time.Millisecond))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.pool, bench.tenants
}

// generateRows fills webhook_events with n rows: indexes dropped, one
// INSERT … SELECT, indexes recreated, ANALYZE.
func generateRows(ctx context.Context, pool *pgxpool.Pool, n int) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	rows, err := conn.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i WHERE i.indrelid = 'webhook_events'::regclass AND NOT i.indisprimary`)
	if err != nil {
		return err
	}
	type index struct{ name, def string }
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var x index
		return x, r.Scan(&x.name, &x.def)
	})
	if err != nil {
		return err
	}
	for _, x := range idx {
		if _, err := conn.Exec(ctx, "DROP INDEX "+x.name); err != nil {
			return err
		}
	}
	for _, set := range []string{"SET synchronous_commit = off", "SET maintenance_work_mem = '512MB'",
		"SET max_parallel_maintenance_workers = 2"} {
		if _, err := conn.Exec(ctx, set); err != nil {
			return err
		}
	}
	_, err = conn.Exec(ctx, `
INSERT INTO webhook_events (id, tenant_id, webhook_id, method, headers, body, body_text, content_type, status,
    stream_seq, created_at, metadata)
SELECT gen_random_uuid(),
       ('00000000-0000-4000-8000-' || lpad((1 + g % 5)::text, 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad((g % 50)::text, 12, '0'))::uuid,
       'POST', '{"content-type":["application/json"]}',
       b, lower(b::text), 'application/json',
       (ARRAY['received','processed','filtered','failed','rejected'])[1 + (g / 5) % 5],
       g, now() - make_interval(secs => g * 2.5), '{"sourceIp":"10.0.0.1"}'
FROM generate_series(1, $1::int) g,
LATERAL (SELECT jsonb_build_object('data', jsonb_build_object('status', (ARRAY['paid','open','void'])[1 + g % 3],
        'amount', g % 10000, 'customer', 'customer-' || g), 'id', 'evt_' || g, 'note', md5(g::text)) AS b) body`, n)
	if err != nil {
		return err
	}
	for _, x := range idx {
		if _, err := conn.Exec(ctx, x.def); err != nil {
			return err
		}
	}
	_, err = conn.Exec(ctx, `ANALYZE webhook_events`)
	return err
}

// BenchmarkEventsQuery runs the query benchmarks as sub-benchmarks of one
// parent, so the generated database lives until the last of them.
func BenchmarkEventsQuery(b *testing.B) {
	b.Cleanup(func() {
		if bench.pool != nil {
			bench.pool.Close()
		}
	})
	benchDB(b) // on the parent: its database outlives the sub-benchmarks
	b.Run("LatestPage", benchLatestPage)
	b.Run("Q", benchQ)
	b.Run("Path", benchPath)
	b.Run("Export", benchExport)
}

func benchQuery(b *testing.B, f func(tenant string) projections.EventFilter) {
	pool, tenants := benchDB(b)
	ev := projections.NewEvents(pool)
	ctx := context.Background()
	if os.Getenv("HOOKSTREAM_BENCH_EXPLAIN") != "" {
		explain(b, pool, ev, f(tenants[0]))
	}
	b.ResetTimer()
	var n int
	for i := 0; b.Loop(); i++ {
		out, _, err := ev.ListEvents(ctx, f(tenants[i%len(tenants)]))
		if err != nil {
			b.Fatal(err)
		}
		n += len(out)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/query")
	b.ReportMetric(float64(n)/float64(b.N), "rows/query")
	b.ReportMetric(float64(bench.rows), "table_rows")
}

// BenchmarkEventsQueryLatestPage: the latest 50 of one tenant, filtered by
// status and a 7-day range.
func benchLatestPage(b *testing.B) {
	now := time.Now()
	benchQuery(b, func(tenant string) projections.EventFilter {
		return projections.EventFilter{TenantID: tenant, Statuses: []string{"failed"}, From: now.Add(-7 * 24 * time.Hour), To: now, Limit: 50}
	})
}

// BenchmarkEventsQueryQ: a case-insensitive body substring (pg_trgm).
func benchQ(b *testing.B) {
	benchQuery(b, func(tenant string) projections.EventFilter {
		return projections.EventFilter{TenantID: tenant, Q: "CUSTOMER-77777", Limit: 50}
	})
}

// BenchmarkEventsQueryPath: a JSONPath predicate (jsonb_path_ops).
func benchPath(b *testing.B) {
	benchQuery(b, func(tenant string) projections.EventFilter {
		return projections.EventFilter{TenantID: tenant, Path: `$.data.amount == 4242`, Limit: 50}
	})
}

// explain prints the plan of f's query (HOOKSTREAM_BENCH_EXPLAIN=1).
func explain(b *testing.B, pool *pgxpool.Pool, ev *projections.Events, f projections.EventFilter) {
	ctx := context.Background()
	sql, args, err := ev.EventsSQL(ctx, f, f.Limit+1)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "%s\n%s\n  %s\n", b.Name(), sql, strings.Join(lines, "\n  "))
}

func vmHWM() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkEventsExport: every row of every tenant, encoded as NDJSON to a
// discarding writer; reports rows/s and the process's peak RSS.
func benchExport(b *testing.B) {
	pool, tenants := benchDB(b)
	ev := projections.NewEvents(pool)
	ctx := context.Background()
	// Reset the peak (Linux: "5" resets VmHWM to the current RSS), so the
	// peak is the export's, not the setup's.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	before := vmHWM()
	b.ResetTimer()
	var rows int
	for b.Loop() {
		for _, t := range tenants {
			enc := json.NewEncoder(discard{})
			err := ev.ExportEvents(ctx, projections.EventFilter{TenantID: t}, func(e *projections.DeliveryEvent) error {
				rows++
				return enc.Encode(e)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/export")
	b.ReportMetric(vmHWM(), "MB-peak-rss")
	b.ReportMetric(before, "MB-rss-before")
	b.ReportMetric(float64(bench.rows), "table_rows")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkProjectionThroughput appends HOOKSTREAM_BENCH_EVENTS events
// (default 30 000, 10 000 with -short): webhook.received events, and a
// webhook.processed event after every second one; then it measures how
// fast the delivery-log runner applies them (events/s, from its start to
// a zero lag).
func BenchmarkProjectionThroughput(b *testing.B) {
	ctx := context.Background()
	pool, err := projections.Connect(ctx, pgtest.DSN(b, migrations.Migrate))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	es := newBenchStore(b)
	total := 30_000
	if testing.Short() {
		total = 10_000
	}
	if n, err := strconv.Atoi(os.Getenv("HOOKSTREAM_BENCH_EVENTS")); err == nil && n > 0 {
		total = n
	}
	tenant := "00000000-0000-4000-8000-000000000001"
	hooks := []string{eventstore.NewID(), eventstore.NewID(), eventstore.NewID(), eventstore.NewID()}
	received := total * 2 / 3
	var wg sync.WaitGroup
	var appendErr atomic.Value
	const appenders = 16
	for w := range appenders {
		wg.Go(func() {
			for i := w; i < received; i += appenders {
				ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
				ev.TenantID, ev.WebhookID = tenant, hooks[i%len(hooks)]
				ev.Data, _ = json.Marshal(hookstream.ReceivedData{Method: "POST", ContentType: "application/json",
					Headers: map[string][]string{"Content-Type": {"application/json"}},
					Body:    json.RawMessage(fmt.Sprintf(`{"data":{"status":"paid","n":%d,"customer":"customer-%d"}}`, i, i))})
				if _, err := es.Append(ctx, ev, eventstore.AppendOptions{}); err != nil {
					appendErr.Store(err)
					return
				}
				if i%2 == 0 {
					d := eventstore.NewEvent(hookstream.EventWebhookProcessed)
					d.TenantID, d.WebhookID = tenant, ev.WebhookID
					d.Data, _ = json.Marshal(map[string]string{"eventId": ev.ID, "executionId": "x-" + ev.ID})
					if _, err := es.Append(ctx, d, eventstore.AppendOptions{}); err != nil {
						appendErr.Store(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if err := appendErr.Load(); err != nil {
		b.Fatal(err)
	}
	head, _, err := es.StreamInfo(ctx, eventstore.StreamHooks)
	if err != nil {
		b.Fatal(err)
	}
	r, err := projections.NewRunner(projections.RunnerConfig{Pool: pool, Store: es, Projection: projections.DeliveryLog{}, FetchWait: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	if err := r.Start(ctx); err != nil {
		b.Fatal(err)
	}
	eventstoretest.Poll(b, 10*time.Minute, 10*time.Millisecond, func() bool { return r.Status(ctx).Checkpoint >= head },
		func() string { return "projection did not reach the stream head" })
	el := time.Since(start)
	b.StopTimer()
	r.Stop()
	b.ReportMetric(float64(head)/el.Seconds(), "events/s")
	b.ReportMetric(float64(head), "events")
}

func newBenchStore(b *testing.B) *eventstore.Store {
	b.Helper()
	return eventstoretest.New(b).Store
}
