package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AllVersions returns the version (UpdatedAt) of every stored rule set,
// keyed by webhook id: ingest's filter cache (streams/pipeline.Decider)
// polls it to know, without a query per request, which webhooks have rule
// sets and which changed.
func (s *Filters) AllVersions(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.pool.Query(ctx, q("AllFilterVersions"))
	if err != nil {
		return nil, fmt.Errorf("all filter versions: %w", translate(err))
	}
	out := map[string]time.Time{}
	var (
		id string
		at time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &at}, func() error {
		out[id] = at
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("all filter versions: %w", translate(err))
	}
	return out, nil
}
