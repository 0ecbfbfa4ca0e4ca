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
)

// Appender returns what ingest appends through: the group-commit Batcher
// when HOOKSTREAM_GROUP_COMMIT is "on" (the default), the Store when "off".
// Call it from a Wiring's Build. The Batcher is started on the first call
// and registered as a Component at that point, so it stops after the HTTP
// server and after every component added later (whose appends it still
// answers), and before NATS closes.
func (m *Main) Appender() (Appender, error) {
	switch strings.ToLower(m.Config.GroupCommit) {
	case "off", "false", "0":
		return m.store, nil
	case "", "on", "true", "1":
	default:
		return nil, fmt.Errorf("HOOKSTREAM_GROUP_COMMIT: want on or off, got %q", m.Config.GroupCommit)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.batcher != nil {
		return m.batcher, nil
	}
	b := eventstore.NewBatcher(m.store, eventstore.BatcherConfig{Registerer: m.registry, Logger: m.logger})
	if err := b.Start(context.Background()); err != nil {
		return nil, err
	}
	m.batcher = b
	m.components = append(m.components, b)
	return b, nil
}
