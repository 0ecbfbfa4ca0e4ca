package main

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/handlers"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/pipeline"
	"github.com/hookstream/hookstream/streams/schema"
)

// The pipeline area: the event type registry, filters and workflows APIs,
// and the pipeline consumer (streams/pipeline).
func init() {
	addWiring(Wiring{Name: "pipeline", Order: 50, Build: buildPipeline})
}

func buildPipeline(ctx context.Context, m *Main) ([]handlers.Module, []Component, error) {
	// The pipeline follows the webhook configuration bucket with a registry
	// of its own: it starts (fully loaded) before the consumer, and stays
	// current through the bucket's KV watch like every node's.
	registry, err := m.Webhooks(ctx)
	if err != nil {
		return nil, nil, err
	}
	appender, err := m.Appender()
	if err != nil {
		return nil, nil, err
	}

	types := projections.NewEventTypes(m.Pool())
	filters := projections.NewFilters(m.Pool())
	schemas := pipeline.NewSchemas(eventTypeSource{types})
	p, err := pipeline.New(pipeline.Config{
		Store:    m.Store(),
		Appender: appender,
		Webhooks: registry,
		Filters:  filterSource{filters},
		Schemas:  schemas,
		Logger:   m.Logger().With("component", "pipeline"),
		TTLFunc:  newRetentionTTL(m.Accounts()).TTL,
	})
	if err != nil {
		return nil, nil, err
	}
	decider, err := m.Decider(ctx)
	if err != nil {
		return nil, nil, err
	}
	var changed func(string)
	if decider != nil {
		changed = decider.Invalidate
	}
	modules := []handlers.Module{
		handlers.NewEventTypes(handlers.EventTypesConfig{Store: types, Schemas: schemas}),
		handlers.NewFilters(handlers.FiltersConfig{Store: filters, Webhooks: registry, Changed: changed}),
		handlers.NewWorkflows(projections.NewWorkflows(m.Pool())),
	}
	return modules, []Component{p}, nil
}

// eventTypeSource adapts projections.EventTypes to pipeline.EventTypeSource.
type eventTypeSource struct{ s *projections.EventTypes }

func toSchemaType(et projections.EventTypeVersion) schema.Type {
	return schema.Type{TenantID: et.TenantID, Name: et.Name, Version: et.Version, Schema: et.Schema, Description: et.Description, Examples: et.Examples}
}

func (a eventTypeSource) Type(ctx context.Context, tenantID, name string, version int) (schema.Type, error) {
	et, err := a.s.Version(ctx, tenantID, name, version)
	if err != nil {
		return schema.Type{}, err
	}
	return toSchemaType(et), nil
}

func (a eventTypeSource) Resolvable(ctx context.Context, tenantID string) ([]schema.Type, error) {
	all, err := a.s.Resolvable(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]schema.Type, 0, len(all))
	for _, et := range all {
		out = append(out, toSchemaType(et))
	}
	return out, nil
}

// filterSource adapts projections.Filters to pipeline.FilterStore.
type filterSource struct{ s *projections.Filters }

func (a filterSource) Versions(ctx context.Context, ids []string) (map[string]time.Time, error) {
	return a.s.Versions(ctx, ids)
}

func (a filterSource) RuleSet(ctx context.Context, webhookID string) (json.RawMessage, time.Time, error) {
	f, err := a.s.ByWebhook(ctx, webhookID)
	return f.RuleSet, f.UpdatedAt, err
}

// retentionTTL gives derived events their tenant's retention as Nats-TTL,
// like the received event they come from; tenants are cached for a minute.
type retentionTTL struct {
	accounts *projections.Accounts
	mu       sync.Mutex
	cache    map[string]ttlEntry
}

type ttlEntry struct {
	ttl     time.Duration
	expires time.Time
}

func newRetentionTTL(a *projections.Accounts) *retentionTTL {
	return &retentionTTL{accounts: a, cache: map[string]ttlEntry{}}
}

func (r *retentionTTL) TTL(ctx context.Context, tenantID string) (time.Duration, error) {
	now := time.Now()
	r.mu.Lock()
	e, ok := r.cache[tenantID]
	r.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.ttl, nil
	}
	t, err := r.accounts.Tenant(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	days := t.RetentionDays
	if days <= 0 {
		days = hookstream.RetentionDaysDefault
	}
	ttl := time.Duration(days) * 24 * time.Hour
	r.mu.Lock()
	if len(r.cache) > 10000 {
		clear(r.cache)
	}
	r.cache[tenantID] = ttlEntry{ttl: ttl, expires: now.Add(time.Minute)}
	r.mu.Unlock()
	return ttl, nil
}
