package main

import (
	"context"
	"encoding/json"

	"github.com/hookstream/hookstream/handlers"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/feed"
	"github.com/hookstream/hookstream/streams/webhooks"
)

// The feed area: the live feed over WebSocket (SPEC §6) — one hub per node
// following HOOKS and EXEC, single-use tickets and the cursor key in KV
// buckets any node reads.
func init() {
	addWiring(Wiring{Name: "feed", Order: 80, Build: buildFeed})
}

// KV buckets of the feed.
const (
	feedTicketBucket = "feed_tickets"
	feedKeyBucket    = "feed_keys"
)

func buildFeed(ctx context.Context, m *Main) ([]handlers.Module, []Component, error) {
	registry, err := m.Webhooks(ctx)
	if err != nil {
		return nil, nil, err
	}
	keys, err := m.Store().KeyValueTTL(ctx, feedKeyBucket, 1, 0)
	if err != nil {
		return nil, nil, err
	}
	cursors, err := feed.LoadCursors(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	// The bucket's TTL only sweeps; a ticket's own expiry (60 s) is checked
	// when it is redeemed.
	ticketKV, err := m.Store().KeyValueTTL(ctx, feedTicketBucket, 1, 2*feed.TicketTTLDefault)
	if err != nil {
		return nil, nil, err
	}
	hub, err := feed.NewHub(feed.Config{
		Store: m.Store(), Cursors: cursors, MaskFunc: maskFunc(registry),
		QueueSize: m.Config.FeedQueueSize, Registerer: m.Registry(),
		Logger: m.Logger().With("component", "feed"),
	})
	if err != nil {
		return nil, nil, err
	}
	mod := &handlers.FeedModule{Hub: hub, Tickets: feed.NewTickets(ticketKV, 0), PingInterval: m.Config.FeedPingInterval,
		WriteTimeout: m.Config.FeedWriteTimeout,
	}
	return []handlers.Module{mod, handlers.OpenAPIModule{}}, []Component{hub}, nil
}

// maskFunc masks the body fields named by a webhook's maskPaths in an
// event's data (SPEC §3.6): what leaves the server is masked.
func maskFunc(registry *webhooks.Registry) feed.MaskDataFunc {
	return func(tenantID, webhookID string, data json.RawMessage) json.RawMessage {
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
}
