package webhooks

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/schema"
)

//go:embed queries.sql
var queryFile embed.FS

// queries maps "-- name: X" sections of queries.sql to their SQL.
var queries = hookstream.MustParseQueries(queryFile, "queries.sql")

// PGSchemas reads event types from PostgreSQL's event_types table.
type PGSchemas struct {
	Pool *pgxpool.Pool
}

var _ SchemaSource = PGSchemas{}

// EventType implements SchemaSource. PostgreSQL down: EUNAVAILABLE.
func (p PGSchemas) EventType(ctx context.Context, tenantID, name string, version int) (schema.Type, error) {
	var t schema.Type
	var examples []byte
	err := p.Pool.QueryRow(ctx, queries["EventTypeVersion"], tenantID, name, version).
		Scan(&t.Name, &t.Version, &t.Schema, &t.Description, &examples, &t.TenantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, hookstream.ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("event type %s: %w: %w", name, &hookstream.Error{Code: hookstream.EUNAVAILABLE, Message: "event type registry unavailable", RetryAfter: 5}, err)
	}
	_ = json.Unmarshal(examples, &t.Examples)
	return t, nil
}

// RetentionConfig configures a Retention cache.
type RetentionConfig struct {
	Pool *pgxpool.Pool
	// Refresh is how often the cache is reloaded; default 30 s.
	Refresh time.Duration
	Logger  *slog.Logger
}

// Retention caches each tenant's retention in memory, so that ingest sets
// Nats-TTL without a PostgreSQL query per request (and while PostgreSQL is
// down). Unknown tenants get the default (30 days).
type Retention struct {
	cfg  RetentionConfig
	mu   sync.RWMutex
	days map[string]int
	lc   hookstream.StartStop
}

// NewRetention returns an unstarted Retention cache.
func NewRetention(cfg RetentionConfig) *Retention {
	if cfg.Refresh <= 0 {
		cfg.Refresh = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Retention{cfg: cfg, days: map[string]int{}}
}

// TTL is the tenant's retention as a message TTL.
func (r *Retention) TTL(tenantID string) time.Duration {
	r.mu.RLock()
	d, ok := r.days[tenantID]
	r.mu.RUnlock()
	if !ok || d <= 0 {
		d = hookstream.RetentionDaysDefault
	}
	return time.Duration(d) * 24 * time.Hour
}

// Set records a tenant's retention (used after a change on this node).
func (r *Retention) Set(tenantID string, days int) {
	r.mu.Lock()
	r.days[tenantID] = days
	r.mu.Unlock()
}

// Start loads once (best effort: PostgreSQL may be down) and refreshes
// periodically until Stop.
func (r *Retention) Start(ctx context.Context) error {
	runCtx, ok := r.lc.StartInit(ctx)
	if !ok {
		return nil
	}
	r.refresh(runCtx)
	r.lc.Go(func() {
		t := time.NewTicker(r.cfg.Refresh)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				r.refresh(runCtx)
			}
		}
	})
	return nil
}

// Stop ends the refresh loop and waits for it.
func (r *Retention) Stop() { r.lc.Stop() }

func (r *Retention) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rows, err := r.cfg.Pool.Query(ctx, queries["TenantRetention"])
	if err != nil {
		r.cfg.Logger.DebugContext(ctx, "retention refresh failed", slog.String("error", err.Error()))
		return
	}
	days := map[string]int{}
	for rows.Next() {
		var id string
		var d int
		if err := rows.Scan(&id, &d); err != nil {
			rows.Close()
			return
		}
		days[id] = d
	}
	if rows.Err() != nil {
		return
	}
	r.mu.Lock()
	r.days = days
	r.mu.Unlock()
}
