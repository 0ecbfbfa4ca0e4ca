package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/theory/jsonpath"
	"golang.org/x/time/rate"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/schema"
)

// RejectedPerSecond caps the webhook.rejected events of one webhook (a
// token bucket of this rate and burst); further rejections are only counted.
const RejectedPerSecond = 10

// Entry is one webhook as ingest uses it, compiled once per change.
// Entries are immutable once published; a change replaces the entry.
type Entry struct {
	Webhook hookstream.Webhook
	// Secrets are the opened credentials (never logged, never shown).
	Secrets hookstream.WebhookSecrets
	// Validator is the event-type schema when the webhook names one and
	// schemaMode is warn or enforce; nil otherwise.
	Validator *schema.Validator
	CIDRs     []netip.Prefix
	MaskPaths []*jsonpath.Path
	Rules     []Rule
	// Limiter is the webhook's rate limit; nil when off.
	Limiter *rate.Limiter
	// Rejects caps the webhook.rejected events recorded for this webhook.
	Rejects  *rate.Limiter
	Revision uint64
}

// Rule is a compiled metadata rule.
type Rule struct {
	hookstream.MetadataRule
	// Path is the compiled JSONPath of a "body" rule.
	Path *jsonpath.Path
}

// Compile builds the cache entry of a record; sealer opens its secrets.
func Compile(rec Record, sealer *hookstream.Sealer) (*Entry, error) {
	w := rec.Webhook
	sec, err := open(sealer, w.ID, rec.Sealed)
	if err != nil {
		return nil, err
	}
	e := &Entry{Webhook: w, Secrets: sec, Rejects: rate.NewLimiter(RejectedPerSecond, RejectedPerSecond)}
	for i, c := range w.AllowedCIDRs {
		p, err := ParseCIDR(c)
		if err != nil {
			return nil, fmt.Errorf("allowedCidrs[%d]: %w", i, err)
		}
		e.CIDRs = append(e.CIDRs, p)
	}
	for i, m := range w.MaskPaths {
		p, err := jsonpath.Parse(m)
		if err != nil {
			return nil, fmt.Errorf("maskPaths[%d]: %w", i, err)
		}
		e.MaskPaths = append(e.MaskPaths, p)
	}
	for i, r := range w.MetadataRules {
		cr := Rule{MetadataRule: r}
		if r.Source == "body" {
			if cr.Path, err = jsonpath.Parse(r.From); err != nil {
				return nil, fmt.Errorf("metadataRules[%d].from: %w", i, err)
			}
		}
		e.Rules = append(e.Rules, cr)
	}
	if rl := w.RateLimit; rl != nil && rl.PerSecond > 0 {
		e.Limiter = rate.NewLimiter(rate.Limit(rl.PerSecond), max(rl.Burst, 1))
	}
	if rec.Schema != nil && w.SchemaMode != "" && w.SchemaMode != hookstream.SchemaOff {
		e.Validator, err = schema.Compile(*rec.Schema, schema.Resolver(append([]schema.Type{*rec.Schema}, schema.Core()...)...))
		if err != nil {
			return nil, fmt.Errorf("event type %s: %w", rec.Schema.Name, err)
		}
	}
	return e, nil
}

// ParseCIDR parses a CIDR, or a single address as its /32 or /128.
func ParseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("not a CIDR: %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an address or CIDR: %q", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// AllowsIP reports whether ip may send to the webhook (no CIDRs: anyone).
func (e *Entry) AllowsIP(ip netip.Addr) bool {
	if len(e.CIDRs) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, p := range e.CIDRs {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	// KV is the configuration bucket (required).
	KV jetstream.KeyValue
	// Sealer opens the sealed secrets (required).
	Sealer *hookstream.Sealer
	// LoadTimeout bounds Start's initial load; default 30 s.
	LoadTimeout time.Duration
	Logger      *slog.Logger
}

// Registry is the in-memory webhook cache, kept current from the KV bucket.
// It is safe for concurrent use.
type Registry struct {
	cfg RegistryConfig

	mu     sync.RWMutex
	byKey  map[string]*Entry // tenant.id
	byPath map[string]*Entry
	revs   map[string]uint64 // last revision applied per record key, deletes included

	loaded     chan struct{}
	loadedOnce sync.Once // loaded closes once, across restarts
	lc         hookstream.StartStop
}

// NewRegistry returns an unstarted Registry.
func NewRegistry(cfg RegistryConfig) *Registry {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = 30 * time.Second
	}
	return &Registry{
		cfg: cfg, byKey: map[string]*Entry{}, byPath: map[string]*Entry{}, revs: map[string]uint64{},
		loaded: make(chan struct{}),
	}
}

// Start loads every webhook and follows the bucket until Stop. It returns
// once the initial load completed; when it fails (ctx ends, LoadTimeout)
// the follower is stopped before Start returns, so nothing is left running.
func (r *Registry) Start(ctx context.Context) error {
	runCtx, ok := r.lc.StartInit(ctx)
	if !ok {
		return nil
	}
	r.lc.Go(func() { r.follow(runCtx) })
	t := time.NewTimer(r.cfg.LoadTimeout)
	defer t.Stop()
	var err error
	select {
	case <-r.loaded:
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = errors.New("webhook registry: initial load timed out")
	}
	r.lc.Stop()
	return err
}

// Stop ends the watcher and waits for it.
func (r *Registry) Stop() { r.lc.Stop() }

// Ready reports whether the initial load completed (for /readyz).
func (r *Registry) Ready() error {
	select {
	case <-r.loaded:
		return nil
	default:
		return errors.New("webhook cache not loaded")
	}
}

// Len is the number of cached webhooks.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byKey)
}

// watchBackoff is the wait between attempts to (re)open the bucket watch.
var watchBackoff = hookstream.Backoff{Base: 100 * time.Millisecond, Max: 5 * time.Second}

func (r *Registry) follow(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		w, err := r.cfg.KV.Watch(ctx, "wh.>")
		if err != nil {
			r.cfg.Logger.WarnContext(ctx, "webhook registry watch", slog.String("error", err.Error()))
			attempt++
			if !watchBackoff.Wait(ctx, attempt) {
				return
			}
			continue
		}
		attempt = 0
		r.consume(ctx, w)
		_ = w.Stop()
	}
}

func (r *Registry) consume(ctx context.Context, w jetstream.KeyWatcher) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				r.loadedOnce.Do(func() { close(r.loaded) })
				continue
			}
			deleted := e.Operation() != jetstream.KeyValuePut
			r.apply(ctx, e.Key(), e.Revision(), e.Value(), deleted)
		}
	}
}

// apply installs (or removes) the record of key at revision rev unless a
// newer revision was already applied.
func (r *Registry) apply(ctx context.Context, key string, rev uint64, value []byte, deleted bool) {
	tenantID, id, ok := keyIDs(key)
	if !ok {
		return
	}
	var entry *Entry
	if !deleted {
		var rec Record
		if err := json.Unmarshal(value, &rec); err != nil {
			r.cfg.Logger.ErrorContext(ctx, "webhook record undecodable", slog.String("key", key), slog.String("error", err.Error()))
			return
		}
		var err error
		if entry, err = Compile(rec, r.cfg.Sealer); err != nil {
			r.cfg.Logger.ErrorContext(ctx, "webhook record not compilable", slog.String("key", key), slog.String("error", err.Error()))
			return
		}
		entry.Revision = rev
	}
	mk := tenantID + "." + id
	r.mu.Lock()
	defer r.mu.Unlock()
	if rev <= r.revs[key] {
		return
	}
	r.revs[key] = rev
	if old := r.byKey[mk]; old != nil {
		if cur := r.byPath[old.Webhook.Path]; cur == old {
			delete(r.byPath, old.Webhook.Path)
		}
		delete(r.byKey, mk)
	}
	if entry != nil {
		r.byKey[mk] = entry
		r.byPath[entry.Webhook.Path] = entry
	}
}

// Get returns a tenant's webhook (without statistics or URL).
func (r *Registry) Get(tenantID, id string) (hookstream.Webhook, bool) {
	e, ok := r.Entry(tenantID, id)
	if !ok {
		return hookstream.Webhook{}, false
	}
	return e.Webhook, true
}

// Entry returns a tenant's compiled webhook.
func (r *Registry) Entry(tenantID, id string) (*Entry, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.byKey[tenantID+"."+id]
	return e, ok
}

// ByPath returns the webhook served at path.
func (r *Registry) ByPath(path string) (*Entry, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.byPath[path]
	return e, ok
}

// List returns a tenant's webhooks, newest first (ids are UUIDv7).
func (r *Registry) List(tenantID string) []*Entry {
	r.mu.RLock()
	out := make([]*Entry, 0, 16)
	for _, e := range r.byKey {
		if e.Webhook.TenantID == tenantID {
			out = append(out, e)
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Entry) int { return strings.Compare(b.Webhook.ID, a.Webhook.ID) })
	return out
}
