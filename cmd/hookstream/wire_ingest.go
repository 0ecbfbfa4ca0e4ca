package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/hookstream/hookstream/handlers"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/streams/webhooks"
)

// The ingest area: the webhook configuration (KV bucket + in-memory
// registry), the management API of webhooks and the ingest endpoints.
// Ingest reads only the registry and in-memory caches: it keeps accepting
// webhooks while PostgreSQL is down.
func init() {
	addWiring(Wiring{Name: "ingest", Order: 10, Build: buildIngest})
}

func buildIngest(ctx context.Context, m *Main) ([]handlers.Module, []Component, error) {
	kv, err := m.Store().KeyValue(ctx, webhooks.BucketDefault)
	if err != nil {
		return nil, nil, err
	}
	registry, err := m.Webhooks(ctx)
	if err != nil {
		return nil, nil, err
	}
	m.AddReadyCheck(handlers.ReadyCheck{Name: "ingest-cache", Required: true, Check: func(context.Context) (string, error) {
		if err := registry.Ready(); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d webhooks", registry.Len()), nil
	}})
	retention := webhooks.NewRetention(webhooks.RetentionConfig{Pool: m.Pool(), Logger: m.Logger()})
	service := webhooks.NewService(webhooks.ServiceConfig{
		KV: kv, Sealer: m.Sealer(), Appender: m.Store(), Schemas: webhooks.PGSchemas{Pool: m.Pool()}, Registry: registry,
	})
	comps := []Component{retention}

	// Group commit: ingest appends through the Batcher (one atomic batch,
	// one fsync, for many concurrent requests) unless turned off.
	appender, err := m.Appender()
	if err != nil {
		return nil, nil, err
	}

	trusted, err := handlers.ParseCIDRList(m.Config.TrustedProxies)
	if err != nil {
		return nil, nil, fmt.Errorf("HOOKSTREAM_TRUSTED_PROXIES: %w", err)
	}
	var geo *maxminddb.Reader
	if m.Config.GeoIPDB != "" {
		if geo, err = maxminddb.Open(m.Config.GeoIPDB); err != nil {
			return nil, nil, fmt.Errorf("HOOKSTREAM_GEOIP_DB: %w", err)
		}
		comps = append(comps, closer{func() { _ = geo.Close() }})
	}
	var redact []string
	for h := range strings.SplitSeq(m.Config.RedactHeaders, ",") {
		if h = strings.TrimSpace(h); h != "" {
			redact = append(redact, h)
		}
	}
	decider, err := m.Decider(ctx)
	if err != nil {
		return nil, nil, err
	}
	var ingestDecider handlers.IngestDecider
	if decider != nil {
		ingestDecider = decider
	}
	ingest, err := handlers.NewIngest(handlers.IngestConfig{
		Registry: registry, Appender: appender, Events: m.Store(), Retention: retention,
		TrustedProxies: trusted, RedactHeaders: redact, GeoIP: geo,
		Registerer: m.Registry(), Logger: m.Logger().With("component", "ingest"),
		Decider: ingestDecider,
	})
	if err != nil {
		return nil, nil, err
	}
	mgmt := handlers.NewWebhooks(handlers.WebhooksConfig{
		Registry: registry, Service: service, Stats: projections.NewStats(m.Pool()), Logger: m.Logger(),
	})
	return []handlers.Module{ingest, mgmt}, comps, nil
}

// closer is a Component that only releases a resource on Stop.
type closer struct{ stop func() }

func (closer) Start(context.Context) error { return nil }
func (c closer) Stop()                     { c.stop() }
