package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Appender is the one append interface (hookstream.Appender): *eventstore.Store
// or, with group commit, *eventstore.Batcher.
type Appender = hookstream.Appender

var (
	_ Appender = (*eventstore.Store)(nil)
	_ Appender = (*eventstore.Batcher)(nil)
	_ Appender = (*eventstore.Retrier)(nil)
)

// Appender returns what ingest appends through: the group-commit Batcher
// when HOOKSTREAM_GROUP_COMMIT is "on" (the default), the Store when "off",
// behind an eventstore.Retrier that waits out a leader election for up to
// HOOKSTREAM_INGEST_RETRY_DEADLINE.
// Call it from a Wiring's Build. The Batcher is started on the first call
// and registered as a Component at that point, so it stops after the HTTP
// server and after every component added later (whose appends it still
// answers), and before NATS closes.
func (m *Main) Appender() (Appender, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.retrier != nil {
		return m.retrier, nil
	}
	retry := eventstore.RetryConfig{Deadline: m.Config.IngestRetryDeadline, Registerer: m.registry, Logger: m.logger}
	if retry.Deadline == 0 {
		retry.Deadline = -1 // 0s: no waiting
	}
	switch strings.ToLower(m.Config.GroupCommit) {
	case "off", "false", "0":
		m.retrier = eventstore.NewRetrier(m.store, m.store, retry)
		return m.retrier, nil
	case "", "on", "true", "1":
	default:
		return nil, fmt.Errorf("HOOKSTREAM_GROUP_COMMIT: want on or off, got %q", m.Config.GroupCommit)
	}
	b := eventstore.NewBatcher(m.store, eventstore.BatcherConfig{Registerer: m.registry, Logger: m.logger})
	if err := b.Start(context.Background()); err != nil {
		return nil, err
	}
	m.batcher = b
	m.components = append(m.components, b)
	m.retrier = eventstore.NewRetrier(b, m.store, retry)
	return m.retrier, nil
}
