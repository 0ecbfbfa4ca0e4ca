package main

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/projections"
)

// Accessors for wire_*.go files: the opened stores and shared services.

// Store is the event store.
func (m *Main) Store() *eventstore.Store { return m.store }

// Pool is the PostgreSQL pool; queries fail while PostgreSQL is down.
func (m *Main) Pool() *pgxpool.Pool { return m.pool }

// Sealer seals secrets under the master key.
func (m *Main) Sealer() *hookstream.Sealer { return m.sealer }

// Logger is the process logger.
func (m *Main) Logger() *slog.Logger { return m.logger }

// Registry is the Prometheus registry served at /metrics.
func (m *Main) Registry() *prometheus.Registry { return m.registry }

// Accounts are tenants and tokens.
func (m *Main) Accounts() *projections.Accounts { return m.accounts }
