package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// MetricsName is the metrics projection's name.
const MetricsName = "metrics"

// LatencyBucketBounds are the upper bounds (ms) of the ingest latency
// histogram: 0.05 ms × 1.25^k for k = 0…47 (about 0.05 ms to 1.8 s), and a
// last bucket for everything slower. A quantile read from it is the upper
// bound of the bucket that holds it, so it over-states by at most 25 %.
var LatencyBucketBounds = func() []float64 {
	b := make([]float64, 48)
	for k := range b {
		b[k] = 0.05 * math.Pow(1.25, float64(k))
	}
	return b
}()

// latencyBucket returns the histogram index of a latency in ms.
func latencyBucket(ms float64) int {
	i := sort.SearchFloat64s(LatencyBucketBounds, ms)
	return i // len(bounds) is the overflow bucket
}

// MetricsProjection projects the HOOKS stream into webhook_metrics_minute: per
// tenant, webhook and minute, deliveries accepted, rejected, filtered,
// processed and failed, and an ingest latency histogram (metadata.ingestMs
// of webhook.received). Test deliveries (the test console) are left out of
// the received count and the latency. Counts are additive, so applying a
// batch is one upsert per (tenant, webhook, minute) it touches; the runner
// applies each event once (checkpoint in the same transaction).
type MetricsProjection struct{}

// Name implements Projection.
func (MetricsProjection) Name() string { return MetricsName }

// Stream implements Projection.
func (MetricsProjection) Stream() string { return eventstore.StreamHooks }

// Reset implements Projection.
func (MetricsProjection) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, q("ResetMetrics"))
	return err
}

type metricsKey struct {
	tenant, webhook string
	minute          time.Time
}

type metricsAcc struct {
	received, rejected, filtered, processed, failed int64
	hist                                            []int64
}

type receivedMetrics struct {
	Test     bool `json:"test"`
	Metadata struct {
		IngestMs *float64 `json:"ingestMs"`
	} `json:"metadata"`
}

// Apply implements Projection.
func (MetricsProjection) Apply(ctx context.Context, tx pgx.Tx, events []*hookstream.Event) error {
	acc := map[metricsKey]*metricsAcc{}
	var order []metricsKey
	for _, ev := range events {
		if ev.TenantID == "" || ev.WebhookID == "" {
			continue
		}
		k := metricsKey{ev.TenantID, ev.WebhookID, ev.Time.UTC().Truncate(time.Minute)}
		get := func() *metricsAcc {
			a, ok := acc[k]
			if !ok {
				a = &metricsAcc{}
				acc[k] = a
				order = append(order, k)
			}
			return a
		}
		switch ev.Type {
		case hookstream.EventWebhookReceived:
			var d receivedMetrics
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return fmt.Errorf("%w: %s: %w", ErrPoison, ev.ID, err)
			}
			if d.Test {
				continue
			}
			a := get()
			a.received++
			// Decided at ingest (2.4/7): the outcome is on the delivery
			// itself, no webhook.processed / webhook.filtered follows.
			switch ev.Outcome {
			case hookstream.OutcomeProcessed:
				a.processed++
			case hookstream.OutcomeFiltered:
				a.filtered++
			}
			if ms := d.Metadata.IngestMs; ms != nil && *ms >= 0 {
				if a.hist == nil {
					a.hist = make([]int64, len(LatencyBucketBounds)+1)
				}
				a.hist[latencyBucket(*ms)]++
			}
		case hookstream.EventWebhookRejected:
			get().rejected++
		case hookstream.EventWebhookFiltered:
			get().filtered++
		case hookstream.EventWebhookProcessed:
			get().processed++
		case hookstream.EventWebhookFailed:
			get().failed++
		default:
		}
	}
	if len(order) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, k := range order {
		a := acc[k]
		hist := a.hist
		if hist == nil {
			hist = []int64{}
		}
		b.Queue(q("MetricsUpsert"), k.tenant, k.webhook, k.minute, a.received, a.rejected, a.filtered, a.processed, a.failed, hist)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("metrics upsert: %w", translate(err))
	}
	return nil
}

// TimeseriesRanges are the ranges of GET /api/v1/stats/timeseries and their step.
var TimeseriesRanges = map[string]struct{ Span, Step time.Duration }{
	"1h":  {time.Hour, time.Minute},
	"24h": {24 * time.Hour, 15 * time.Minute},
	"7d":  {7 * 24 * time.Hour, 2 * time.Hour},
}

// MetricsCounts are the counts of a bucket or of a whole range. Volume is
// every delivery that reached a webhook: accepted + rejected.
type MetricsCounts struct {
	Volume    int64    `json:"volume"`
	Accepted  int64    `json:"accepted"`
	Rejected  int64    `json:"rejected"`
	Filtered  int64    `json:"filtered"`
	Processed int64    `json:"processed"`
	Failed    int64    `json:"failed"`
	P50Ms     *float64 `json:"p50Ms"`
	P99Ms     *float64 `json:"p99Ms"`
}

// MetricsPoint is one bucket of a time series.
type MetricsPoint struct {
	T time.Time `json:"t"`
	MetricsCounts
}

// Timeseries is GET /api/v1/stats/timeseries.
type Timeseries struct {
	Range       string         `json:"range"`
	WebhookID   *string        `json:"webhookId"`
	StepSeconds int            `json:"stepSeconds"`
	From        time.Time      `json:"from"`
	To          time.Time      `json:"to"`
	Points      []MetricsPoint `json:"points"`
	Totals      MetricsCounts  `json:"totals"`
}

// MetricsReader reads the metrics read model.
type MetricsReader struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewMetricsReader returns a MetricsReader over pool.
func NewMetricsReader(pool *pgxpool.Pool) *MetricsReader {
	return &MetricsReader{pool: pool, now: time.Now}
}

// quantile reads q (0..1) from a histogram; nil when it is empty.
func quantile(hist []int64, q float64) *float64 {
	var total int64
	for _, v := range hist {
		total += v
	}
	if total == 0 {
		return nil
	}
	rank := int64(math.Ceil(q * float64(total)))
	if rank < 1 {
		rank = 1
	}
	var cum int64
	for i, v := range hist {
		cum += v
		if cum >= rank {
			var ms float64
			if i < len(LatencyBucketBounds) {
				ms = LatencyBucketBounds[i]
			} else {
				ms = LatencyBucketBounds[len(LatencyBucketBounds)-1] * 1.25
			}
			ms = math.Round(ms*1000) / 1000
			return &ms
		}
	}
	return nil
}

// Timeseries returns the tenant's (or one webhook's) metrics over rng
// ("1h", "24h", "7d"), every bucket present (zeros where nothing happened).
// The caller checks that webhookID is the tenant's (the handler asks the
// webhook registry, which knows a webhook the moment it is created).
func (r *MetricsReader) Timeseries(ctx context.Context, tenantID, webhookID, rng string) (Timeseries, error) {
	spec, ok := TimeseriesRanges[rng]
	if !ok {
		return Timeseries{}, hookstream.Invalid(hookstream.EINVALID, "range must be 1h, 24h or 7d",
			hookstream.FieldError{Field: "range", Message: "must be 1h, 24h or 7d"})
	}
	to := r.now().UTC().Truncate(spec.Step).Add(spec.Step)
	from := to.Add(-spec.Span)
	step := int(spec.Step / time.Second)
	n := int(spec.Span / spec.Step)
	ts := Timeseries{Range: rng, StepSeconds: step, From: from, To: to, Points: make([]MetricsPoint, n)}
	if webhookID != "" {
		ts.WebhookID = &webhookID
	}
	hists := make([][]int64, n)
	for i := range ts.Points {
		ts.Points[i].T = from.Add(time.Duration(i) * spec.Step)
		hists[i] = make([]int64, len(LatencyBucketBounds)+1)
	}
	idx := func(t time.Time) int {
		i := int(t.Sub(from) / spec.Step)
		if i < 0 || i >= n {
			return -1
		}
		return i
	}
	rows, err := r.pool.Query(ctx, q("MetricsCounts"), tenantID, webhookID, from, to, step)
	if err != nil {
		return ts, fmt.Errorf("metrics counts: %w", translate(err))
	}
	for rows.Next() {
		var b time.Time
		var c MetricsCounts
		if err := rows.Scan(&b, &c.Accepted, &c.Rejected, &c.Filtered, &c.Processed, &c.Failed); err != nil {
			rows.Close()
			return ts, fmt.Errorf("metrics counts: %w", translate(err))
		}
		if i := idx(b); i >= 0 {
			c.Volume = c.Accepted + c.Rejected
			ts.Points[i].MetricsCounts = c
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ts, fmt.Errorf("metrics counts: %w", translate(err))
	}
	rows, err = r.pool.Query(ctx, q("MetricsLatency"), tenantID, webhookID, from, to, step)
	if err != nil {
		return ts, fmt.Errorf("metrics latency: %w", translate(err))
	}
	total := make([]int64, len(LatencyBucketBounds)+1)
	for rows.Next() {
		var b time.Time
		var k int
		var v int64
		if err := rows.Scan(&b, &k, &v); err != nil {
			rows.Close()
			return ts, fmt.Errorf("metrics latency: %w", translate(err))
		}
		k-- // WITH ORDINALITY counts from 1
		if i := idx(b); i >= 0 && k >= 0 && k < len(total) {
			hists[i][k] += v
			total[k] += v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ts, fmt.Errorf("metrics latency: %w", translate(err))
	}
	for i := range ts.Points {
		p := &ts.Points[i]
		p.P50Ms, p.P99Ms = quantile(hists[i], 0.5), quantile(hists[i], 0.99)
		ts.Totals.Volume += p.Volume
		ts.Totals.Accepted += p.Accepted
		ts.Totals.Rejected += p.Rejected
		ts.Totals.Filtered += p.Filtered
		ts.Totals.Processed += p.Processed
		ts.Totals.Failed += p.Failed
	}
	ts.Totals.P50Ms, ts.Totals.P99Ms = quantile(total, 0.5), quantile(total, 0.99)
	return ts, nil
}
