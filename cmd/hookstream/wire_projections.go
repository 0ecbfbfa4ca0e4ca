package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookstream/hookstream/handlers"
	"github.com/hookstream/hookstream/projections"
)

// The read models: the projection runners (delivery log + webhook stats
// from HOOKS, the webhooks table from CONFIG), the retention job, and the
// events, stats and projection-admin routes.
func init() {
	addWiring(Wiring{Name: "projections", Order: 60, Build: buildProjections})
}

func buildProjections(ctx context.Context, m *Main) ([]handlers.Module, []Component, error) {
	mgr, err := projections.NewManager(projections.ManagerConfig{
		Runner: projections.RunnerConfig{
			Pool:          m.Pool(),
			Store:         m.Store(),
			Logger:        m.Logger(),
			WaitReadyFunc: m.WaitPostgres,
		},
		Projections: []projections.Projection{projections.DeliveryLog{}, projections.Webhooks{}, projections.ReplayAudit{},
			projections.Executions{}, projections.ExecutionTriggers{}, projections.MetricsProjection{}},
		Registry: m.Registry(),
	})
	if err != nil {
		return nil, nil, err
	}
	ret, err := projections.NewRetention(projections.RetentionConfig{
		Pool: m.Pool(), Logger: m.Logger(), Registry: m.Registry(), WaitReadyFunc: m.WaitPostgres,
	})
	if err != nil {
		return nil, nil, err
	}
	m.AddReadyCheck(handlers.ReadyCheck{Name: "projections", Check: func(ctx context.Context) (string, error) {
		statuses := mgr.Status(ctx)
		parts := make([]string, 0, len(statuses))
		for _, st := range statuses {
			parts = append(parts, fmt.Sprintf("%s lag %d (%s)", st.Name, st.Lag, st.State))
		}
		return strings.Join(parts, ", "), nil
	}})
	accounts := m.Accounts()
	hooks, err := m.Webhooks(ctx)
	if err != nil {
		return nil, nil, err
	}
	mods := []handlers.Module{
		&handlers.EventsModule{Events: projections.NewEvents(m.Pool())},
		&handlers.TimeseriesModule{
			Reader: projections.NewMetricsReader(m.Pool()),
			WebhookExists: func(tenantID, id string) bool {
				_, ok := hooks.Entry(tenantID, id)
				return ok
			},
		},
		&handlers.StatsModule{
			Stats:       projections.NewStats(m.Pool()),
			Projections: mgr,
			IsOperatorFunc: func(ctx context.Context, tenantID string) (bool, error) {
				t, err := accounts.Tenant(ctx, tenantID)
				if err != nil {
					return false, err
				}
				return t.Name == "default", nil
			},
		},
	}
	return mods, []Component{mgr, ret}, nil
}
