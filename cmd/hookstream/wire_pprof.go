package main

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/hookstream/hookstream/handlers"
)

// The Go profiler (handlers.PProf) is off unless HOOKSTREAM_PPROF=1: then
// admin tokens on loopback connections can fetch CPU, heap, … profiles at
// /api/v1/debug/pprof/ (what `go tool task bench` uses).
func init() {
	options = append(options, option{"pprof", "HOOKSTREAM_PPROF", "0",
		"serve Go profiles at /api/v1/debug/pprof/ (admin token, loopback clients only): 1 or 0",
		func(c *Config, v string) error {
			on, err := strconv.ParseBool(v)
			c.PProf = on
			return err
		}})
	addWiring(Wiring{Name: "pprof", Order: 1000, Build: func(ctx context.Context, m *Main) ([]handlers.Module, []Component, error) {
		if !m.Config.PProf {
			return nil, nil, nil
		}
		m.Logger().WarnContext(ctx, "profiling endpoints enabled (admin tokens, loopback clients)", slog.String("path", "/api/v1/debug/pprof/"))
		return []handlers.Module{handlers.NewPProf()}, nil, nil
	}})
}
