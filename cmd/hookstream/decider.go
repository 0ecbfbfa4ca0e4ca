package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/pipeline"
)

// contentMode is HOOKSTREAM_EVENT_MODE.
func (m *Main) contentMode() (eventstore.ContentMode, error) {
	switch mode := eventstore.ContentMode(strings.ToLower(m.Config.EventMode)); mode {
	case "", eventstore.ContentBinary:
		return eventstore.ContentBinary, nil
	case eventstore.ContentStructured:
		return mode, nil
	default:
		return "", fmt.Errorf("HOOKSTREAM_EVENT_MODE: want binary or structured, got %q", m.Config.EventMode)
	}
}

// Decider is the node's ingest filter cache (streams/pipeline.Decider),
// shared by ingest (which decides with it) and the filters API (which
// invalidates it); nil when HOOKSTREAM_INGEST_DECIDE is off.
func (m *Main) Decider(ctx context.Context) (*pipeline.Decider, error) {
	switch strings.ToLower(m.Config.IngestDecide) {
	case "off", "false", "0":
		return nil, nil
	case "", "on", "true", "1":
	default:
		return nil, fmt.Errorf("HOOKSTREAM_INGEST_DECIDE: want on or off, got %q", m.Config.IngestDecide)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.decider != nil {
		return m.decider, nil
	}
	d, err := pipeline.NewDecider(pipeline.DeciderConfig{
		Filters: filterCatalog{projections.NewFilters(m.Pool())},
		Logger:  m.Logger().With("component", "ingest-decider"),
	})
	if err != nil {
		return nil, err
	}
	if err := d.Start(ctx); err != nil {
		return nil, err
	}
	m.decider = d
	m.components = append(m.components, d)
	return d, nil
}

// filterCatalog adapts projections.Filters to pipeline.FilterCatalog.
type filterCatalog struct{ *projections.Filters }

func (a filterCatalog) RuleSet(ctx context.Context, webhookID string) (json.RawMessage, time.Time, error) {
	return filterSource{a.Filters}.RuleSet(ctx, webhookID)
}
