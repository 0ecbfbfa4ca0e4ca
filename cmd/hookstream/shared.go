package main

import (
	"context"

	"github.com/hookstream/hookstream/streams/webhooks"
)

// Webhooks returns the node's one webhook registry (the in-memory mirror of
// the webhook configuration bucket: ingest, the pipeline and replay read
// it). It is started, fully loaded, on the first call and registered as a
// Component, so it stops after everything wired later.
func (m *Main) Webhooks(ctx context.Context) (*webhooks.Registry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.webhookRegistry != nil {
		return m.webhookRegistry, nil
	}
	kv, err := m.store.KeyValue(ctx, webhooks.BucketDefault)
	if err != nil {
		return nil, err
	}
	r := webhooks.NewRegistry(webhooks.RegistryConfig{KV: kv, Sealer: m.sealer, Logger: m.logger})
	if err := r.Start(ctx); err != nil {
		return nil, err
	}
	m.webhookRegistry = r
	m.components = append(m.components, r)
	return r, nil
}
