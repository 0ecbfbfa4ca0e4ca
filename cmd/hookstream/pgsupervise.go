package main

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// The managed PostgreSQL's supervision (pglocal restarts a postmaster that
// dies) is reported in /readyz?verbose as "managed_postgres" and in
// /metrics as hookstream_postgres_up and hookstream_postgres_restarts_total.

// managedPostgresCheck describes the supervised postmaster; an error while
// it is down (restarting). Informational: ingest does not need PostgreSQL.
func (m *Main) managedPostgresCheck(context.Context) (string, error) {
	st := m.pg.Status()
	if !st.Running {
		if st.Err != nil {
			return "", fmt.Errorf("down (last exit: %s), restarting: %w", st.LastExit, st.Err)
		}
		return "", fmt.Errorf("down (last exit: %s)", st.LastExit)
	}
	if st.Restarts == 0 {
		return fmt.Sprintf("running, pid %d", st.PID), nil
	}
	return fmt.Sprintf("running, pid %d, restarted %d times (last exit: %s)", st.PID, st.Restarts, st.LastExit), nil
}

func (m *Main) registerPostgresMetrics() {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookstream_postgres_up",
			Help: "1 while the managed PostgreSQL's postmaster runs, 0 while it is down or restarting.",
		}, func() float64 {
			if m.pg.Status().Running {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookstream_postgres_restarts_total",
			Help: "Times the managed PostgreSQL was restarted after it died.",
		}, func() float64 { return float64(m.pg.Status().Restarts) }),
	)
}
