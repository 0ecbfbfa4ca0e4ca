package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
)

// Defaults of RetentionConfig.
const (
	RetentionIntervalDefault  = time.Hour
	RetentionBatchSizeDefault = 5000
)

// RetentionConfig configures the retention job.
type RetentionConfig struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Registry, when set, receives hookstream_retention_deleted_total.
	Registry prometheus.Registerer
	// Interval between sweeps; default 1 h (the first sweep runs at start).
	Interval time.Duration
	// BatchSize is the most rows one DELETE removes; default 5000, so no
	// statement holds its locks for long.
	BatchSize int
	// WaitReadyFunc blocks until PostgreSQL is migrated; nil: ready.
	WaitReadyFunc func(ctx context.Context) bool
	// NowFunc is the clock; default time.Now.
	NowFunc func() time.Time
}

// Retention deletes delivery-log rows older than each tenant's
// retentionDays, in batches, every Interval. (The stream side of retention
// is each message's Nats-TTL, set at append.)
type Retention struct {
	cfg     RetentionConfig
	deleted prometheus.Counter
	runs    prometheus.Counter

	lc hookstream.StartStop
}

// NewRetention returns a stopped retention job.
func NewRetention(cfg RetentionConfig) (*Retention, error) {
	if cfg.Pool == nil {
		return nil, errors.New("projections: retention needs a Pool")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = RetentionIntervalDefault
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = RetentionBatchSizeDefault
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	r := &Retention{
		cfg: cfg,
		deleted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookstream_retention_deleted_total", Help: "Delivery-log rows deleted by retention.",
		}),
		runs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookstream_retention_runs_total", Help: "Retention sweeps completed.",
		}),
	}
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(r.deleted, r.runs)
	}
	return r, nil
}

// Start runs the job in the background.
func (r *Retention) Start(ctx context.Context) error {
	runCtx, ok := r.lc.StartInit(ctx)
	if !ok {
		return nil
	}
	r.lc.Go(func() { r.loop(runCtx) })
	return nil
}

func (r *Retention) loop(ctx context.Context) {
	if r.cfg.WaitReadyFunc != nil && !r.cfg.WaitReadyFunc(ctx) {
		return
	}
	for {
		if _, err := r.Sweep(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.WarnContext(ctx, "retention sweep failed", slog.String("error", err.Error()))
		}
		if !hookstream.Sleep(ctx, r.cfg.Interval) {
			return
		}
	}
}

// Stop stops the job and waits for it.
func (r *Retention) Stop() { r.lc.Stop() }

// Sweep deletes, tenant by tenant, the rows older than the tenant's
// retention, at most BatchSize per statement, and returns how many.
func (r *Retention) Sweep(ctx context.Context) (int64, error) {
	rows, err := r.cfg.Pool.Query(ctx, q("RetentionTenants"))
	if err != nil {
		return 0, fmt.Errorf("retention tenants: %w", err)
	}
	type tenant struct {
		id   string
		days int
	}
	var tenants []tenant
	for rows.Next() {
		var t tenant
		if err := rows.Scan(&t.id, &t.days); err != nil {
			rows.Close()
			return 0, err
		}
		tenants = append(tenants, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var total int64
	now := r.cfg.NowFunc().UTC()
	for _, t := range tenants {
		cutoff := now.Add(-time.Duration(t.days) * 24 * time.Hour)
		var n int64
		for {
			tag, err := r.cfg.Pool.Exec(ctx, q("RetentionDeleteBatch"), t.id, cutoff, r.cfg.BatchSize)
			if err != nil {
				return total, fmt.Errorf("retention delete: %w", err)
			}
			n += tag.RowsAffected()
			r.deleted.Add(float64(tag.RowsAffected()))
			if tag.RowsAffected() < int64(r.cfg.BatchSize) {
				break
			}
		}
		total += n
		if n > 0 {
			if _, err := r.cfg.Pool.Exec(ctx, q("RecordRetentionRun"), t.id, now, cutoff, n); err != nil {
				return total, fmt.Errorf("retention record: %w", err)
			}
			r.cfg.Logger.InfoContext(ctx, "retention deleted delivery-log rows",
				slog.String("tenant_id", t.id), slog.Int64("deleted", n), slog.Time("cutoff", cutoff))
		}
	}
	r.runs.Inc()
	return total, nil
}
