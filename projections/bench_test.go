package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// The query benchmarks share one database of HOOKSTREAM_BENCH_ROWS
// delivery-log rows (default 1 000 000) across 5 tenants, generated in
// PostgreSQL with generate_series. It is built only when a benchmark runs
// (go test -bench), never by go test.

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
	return 1_000_000
}

func benchDB(b *testing.B) (*pgxpool.Pool, []string) {
	b.Helper()
	bench.once.Do(func() {
		ctx := context.Background()
		dsn := pgtest.DSN(b, migrations.Migrate)
		bench.pool, bench.err = projections.Connect(ctx, dsn)
		if bench.err != nil {
			return
		}
		bench.rows = benchRows()
		for i := range 5 {
			bench.tenants = append(bench.tenants, fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1))
		}
		start := time.Now()
		_, bench.err = bench.pool.Exec(ctx, `
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
        'amount', g % 10000, 'customer', 'customer-' || g), 'id', 'evt_' || g, 'note', md5(g::text)) AS b) body`, bench.rows)
		if bench.err == nil {
			_, bench.err = bench.pool.Exec(ctx, `ANALYZE webhook_events`)
		}
		fmt.Fprintf(os.Stderr, "bench: generated %d rows in %s\n", bench.rows, time.Since(start).Round(time.Millisecond))
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.pool, bench.tenants
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
	b.ReportMetric(vmHWM(), "peakRSS_MB")
	b.ReportMetric(before, "RSSbefore_MB")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkProjectionThroughput appends b.N webhook.received events (plus
// one derived event for every second one) and measures how fast the
// delivery-log runner applies them.
func BenchmarkProjectionThroughput(b *testing.B) {
	ctx := context.Background()
	pool, err := projections.Connect(ctx, pgtest.DSN(b, migrations.Migrate))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	es := newBenchStore(b)
	tenant := "00000000-0000-4000-8000-000000000001"
	hook := eventstore.NewID()
	n := max(b.N, 1000)
	total := 0
	for i := range n {
		ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
		ev.TenantID, ev.WebhookID = tenant, hook
		ev.Data, _ = json.Marshal(hookstream.ReceivedData{Method: "POST", ContentType: "application/json",
			Body: json.RawMessage(fmt.Sprintf(`{"data":{"status":"paid","n":%d}}`, i))})
		if _, err := es.Append(ctx, ev, eventstore.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
		total++
		if i%2 == 0 {
			d := eventstore.NewEvent(hookstream.EventWebhookProcessed)
			d.TenantID, d.WebhookID = tenant, hook
			d.Data, _ = json.Marshal(map[string]string{"eventId": ev.ID})
			if _, err := es.Append(ctx, d, eventstore.AppendOptions{}); err != nil {
				b.Fatal(err)
			}
			total++
		}
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
	for r.Status(ctx).Lag > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	el := time.Since(start)
	r.Stop()
	b.ReportMetric(float64(total)/el.Seconds(), "events/s")
}

func newBenchStore(b *testing.B) *eventstore.Store {
	b.Helper()
	return eventstoretest.New(b).Store
}
