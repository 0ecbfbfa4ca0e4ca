package main

import (
	"context"
	"encoding/json"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/handlers"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/replay"
	"github.com/hookstream/hookstream/streams/schema"
)

// The replay area: single and batch replays, the replay audit projection,
// job progress and the live tail (SPEC §7, §10).
func init() {
	addWiring(Wiring{Name: "replay", Order: 70, Build: buildReplay})
}

var (
	_ replay.Locator  = (*projections.Replays)(nil)
	_ replay.JobStore = (*projections.Replays)(nil)
)

func buildReplay(ctx context.Context, m *Main) ([]handlers.Module, []Component, error) {
	// Edited bodies are validated with the webhook's compiled event type,
	// from a registry following the webhook configuration bucket.
	registry, err := m.Webhooks(ctx)
	if err != nil {
		return nil, nil, err
	}
	lookup := func(tenantID, webhookID string) (hookstream.Webhook, *schema.Validator, bool) {
		e, ok := registry.Entry(tenantID, webhookID)
		if !ok {
			return hookstream.Webhook{}, nil, false
		}
		return e.Webhook, e.Validator, true
	}
	replays := projections.NewReplays(m.Pool())
	logger := m.Logger().With("component", "replay")
	appender, err := m.Appender()
	if err != nil {
		return nil, nil, err
	}
	svc, err := replay.NewService(ctx, replay.Config{
		Store: m.Store(), Appender: appender, Locator: replays, Tenants: m.Accounts(), LookupWebhook: lookup, Logger: logger,
	})
	if err != nil {
		return nil, nil, err
	}
	jobs, err := replay.NewJobs(replay.JobsConfig{
		Service: svc, Store: replays, Logger: logger, WaitReadyFunc: m.WaitPostgres,
	})
	if err != nil {
		return nil, nil, err
	}
	// The replay_audit projection runs with the others under the
	// projections manager (wire_projections.go).
	mask := func(tenantID, webhookID string, data json.RawMessage) json.RawMessage {
		e, ok := registry.Entry(tenantID, webhookID)
		if !ok || len(e.MaskPaths) == 0 {
			return data
		}
		var d map[string]json.RawMessage
		if json.Unmarshal(data, &d) != nil || len(d["body"]) == 0 || len(d["bodyEncoding"]) > 0 {
			return data
		}
		masked, changed := projections.MaskJSON(d["body"], e.MaskPaths)
		if !changed {
			return data
		}
		d["body"] = masked
		out, err := json.Marshal(d)
		if err != nil {
			return data
		}
		return out
	}
	mod := &handlers.ReplayModule{Service: svc, Jobs: jobs, Audit: replays, Store: m.Store(), MaskFunc: mask}
	return []handlers.Module{mod}, []Component{jobs}, nil
}
