package projections

import "context"

// EventsSQL returns the SQL and parameters ListEvents (limit > 0) or
// ExportEvents (limit 0) runs for f, for EXPLAIN in benchmarks.
func (e *Events) EventsSQL(ctx context.Context, f EventFilter, limit int) (string, []any, error) {
	eq, err := e.validate(ctx, f)
	if err != nil {
		return "", nil, err
	}
	sql, args := eq.sql(nil, limit)
	return sql, args, nil
}
