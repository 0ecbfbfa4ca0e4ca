package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
)

// Stats answers webhook statistics: trigger count and last trigger (from
// webhook_stats, projected from webhook.received) and the error rate over
// the last hour and day ((rejected + failed) / all deliveries, from the
// delivery log).
type Stats struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewStats returns a Stats over pool.
func NewStats(pool *pgxpool.Pool) *Stats { return &Stats{pool: pool, now: time.Now} }

// WebhookStats returns the statistics of the tenant's webhooks among ids;
// ids without any delivery get zero statistics.
func (s *Stats) WebhookStats(ctx context.Context, tenantID string, ids []string) (map[string]hookstream.WebhookStats, error) {
	out := make(map[string]hookstream.WebhookStats, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	for _, id := range ids {
		out[id] = hookstream.WebhookStats{}
	}
	now := s.now().UTC()
	rows, err := s.pool.Query(ctx, q("WebhookStats"), tenantID, ids, now.Add(-time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("webhook stats: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var st hookstream.WebhookStats
		var errH, allH, errD, allD int64
		if err := rows.Scan(&id, &st.TriggerCount, &st.LastTriggeredAt, &errH, &allH, &errD, &allD); err != nil {
			return nil, fmt.Errorf("webhook stats: %w", err)
		}
		st.ErrorRate = hookstream.ErrorRate{LastHour: ratio(errH, allH), Last24h: ratio(errD, allD)}
		if st.LastTriggeredAt != nil {
			t := st.LastTriggeredAt.UTC()
			st.LastTriggeredAt = &t
		}
		out[id] = st
	}
	return out, rows.Err()
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// WebhookStatsDetail is GET /api/v1/webhooks/{id}/stats.
type WebhookStatsDetail struct {
	TriggerCount    int64                `json:"triggerCount"`
	LastTriggeredAt *time.Time           `json:"lastTriggeredAt"`
	ErrorRate       hookstream.ErrorRate `json:"errorRate"`
	// Counts are the delivery log's rows by status (within retention).
	Counts map[string]int64 `json:"counts"`
}

// WebhookStatsDetail returns one webhook's statistics with its counts by
// status; hookstream.ErrNotFound when the tenant has no such webhook.
func (s *Stats) WebhookStatsDetail(ctx context.Context, tenantID, id string) (WebhookStatsDetail, error) {
	var known bool
	if err := s.pool.QueryRow(ctx, q("WebhookKnown"), tenantID, id).Scan(&known); err != nil {
		return WebhookStatsDetail{}, fmt.Errorf("webhook stats: %w", translate(err))
	}
	if !known {
		return WebhookStatsDetail{}, hookstream.ErrNotFound
	}
	all, err := s.WebhookStats(ctx, tenantID, []string{id})
	if err != nil {
		return WebhookStatsDetail{}, err
	}
	st := all[id]
	d := WebhookStatsDetail{TriggerCount: st.TriggerCount, LastTriggeredAt: st.LastTriggeredAt, ErrorRate: st.ErrorRate, Counts: map[string]int64{}}
	for _, s := range DeliveryStatuses {
		d.Counts[s] = 0
	}
	rows, err := s.pool.Query(ctx, q("WebhookStatusCounts"), tenantID, id)
	if err != nil {
		return d, fmt.Errorf("webhook stats: %w", translate(err))
	}
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct {
		s string
		n int64
	}, error) {
		var v struct {
			s string
			n int64
		}
		err := r.Scan(&v.s, &v.n)
		return v, err
	})
	if err != nil {
		return d, fmt.Errorf("webhook stats: %w", err)
	}
	for _, c := range counts {
		d.Counts[c.s] = c.n
	}
	return d, nil
}
