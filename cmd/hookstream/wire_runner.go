package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookstream/hookstream/handlers"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/runner"
)

// The executions area (SPEC §6): the workflow runner (unless another
// executor runs workflows), redrives, and the executions, dead letters,
// breakers and SLA routes. The executions read models run under the
// projections manager (wire_projections.go).
func init() {
	addWiring(Wiring{Name: "runner", Order: 55, Build: buildRunner})
}

var (
	_ runner.WorkflowSource = (*projections.Workflows)(nil)
	_ runner.SLASource      = (*projections.ExecutionStore)(nil)
	_ runner.RedriveStore   = (*projections.ExecutionStore)(nil)
)

func buildRunner(_ context.Context, m *Main) ([]handlers.Module, []Component, error) {
	executor := strings.ToLower(strings.TrimSpace(m.Config.Executor))
	switch executor {
	case "", "local", "sqs":
	default:
		return nil, nil, fmt.Errorf("HOOKSTREAM_EXECUTOR: want local or sqs, got %q", m.Config.Executor)
	}
	allow, err := runner.ParseCIDRs(m.Config.OutboundAllowCIDRs)
	if err != nil {
		return nil, nil, fmt.Errorf("HOOKSTREAM_OUTBOUND_ALLOW_CIDRS: %w", err)
	}
	appender, err := m.Appender()
	if err != nil {
		return nil, nil, err
	}
	store := projections.NewExecutionStore(m.Pool())
	logger := m.Logger().With("component", "runner")
	redriver, err := runner.NewRedriver(runner.RedriverConfig{
		Store: m.Store(), Appender: appender, Jobs: store, Logger: logger, WaitReadyFunc: m.WaitPostgres,
	})
	if err != nil {
		return nil, nil, err
	}
	mod := &handlers.ExecutionsModule{Store: store, Jobs: store, Redriver: redriver}
	comps := []Component{redriver}
	if executor != "sqs" {
		r, err := runner.New(runner.Config{
			Store: m.Store(), Appender: appender, Workflows: projections.NewWorkflows(m.Pool()), SLA: store,
			Logger: logger, Workers: m.Config.RunnerWorkers, AckWait: m.Config.RunnerAckWait, AllowCIDRs: allow,
			Registerer: m.Registry(), TTLFunc: newRetentionTTL(m.Accounts()).TTL,
		})
		if err != nil {
			return nil, nil, err
		}
		mod.BreakersFunc = r.Breakers
		comps = append(comps, r)
	}
	return []handlers.Module{mod}, comps, nil
}
