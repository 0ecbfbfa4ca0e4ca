package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/filter"
)

// DeciderIntervalDefault is how often the Decider polls the rule set versions.
const DeciderIntervalDefault = 500 * time.Millisecond

// FilterCatalog lists every webhook's rule set version and loads rule sets
// (projections.Filters).
type FilterCatalog interface {
	// AllVersions returns the version of every stored rule set by webhook id.
	AllVersions(ctx context.Context) (map[string]time.Time, error)
	// RuleSet is FilterStore.RuleSet.
	RuleSet(ctx context.Context, webhookID string) (json.RawMessage, time.Time, error)
}

// DeciderConfig configures a Decider. Filters is required.
type DeciderConfig struct {
	Filters FilterCatalog
	// Interval between polls of the rule set versions; default 500 ms. A
	// rule set changed through another node applies to that node's ingest
	// within one Interval; through this node (Invalidate), at once.
	Interval time.Duration
	Logger   *slog.Logger
}

// Decider lets ingest take the pipeline's decision itself when nothing is
// left to decide asynchronously (see the package doc, "Decided at ingest"):
// it keeps every webhook's compiled rule set in memory, refreshed by
// polling their versions, and answers Decide without any I/O.
type Decider struct {
	cfg   DeciderConfig
	cache *programCache

	mu       sync.RWMutex
	progs    map[string]cachedProgram // webhooks with a rule set
	fresh    time.Time                // start of the last successful poll
	gen      uint64                   // polls started
	dirty    map[string]uint64        // Invalidate: undecidable until a poll started after gen
	loaded   bool
	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
}

// NewDecider returns a Decider; Start loads it and keeps it current.
func NewDecider(cfg DeciderConfig) (*Decider, error) {
	if cfg.Filters == nil {
		return nil, errors.New("pipeline: DeciderConfig.Filters is required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DeciderIntervalDefault
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Decider{
		cfg:   cfg,
		cache: newProgramCache(catalogStore{cfg.Filters}),
		progs: map[string]cachedProgram{}, dirty: map[string]uint64{},
	}, nil
}

// catalogStore adapts a FilterCatalog to the FilterStore of programCache.load.
type catalogStore struct{ c FilterCatalog }

func (s catalogStore) Versions(ctx context.Context, ids []string) (map[string]time.Time, error) {
	all, err := s.c.AllVersions(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(ids))
	for _, id := range ids {
		if v, ok := all[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

func (s catalogStore) RuleSet(ctx context.Context, id string) (json.RawMessage, time.Time, error) {
	return s.c.RuleSet(ctx, id)
}

// Start polls once (a failure only leaves ingest undecided) and then every
// Interval until Stop.
func (d *Decider) Start(ctx context.Context) error {
	d.mu.Lock()
	if d.done != nil {
		d.mu.Unlock()
		return nil // already running: a second Start is a no-op (hookstream.StartStop)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel, d.done = cancel, make(chan struct{})
	d.mu.Unlock()
	go func() {
		defer close(d.done)
		t := time.NewTicker(d.cfg.Interval)
		defer t.Stop()
		for {
			// PostgreSQL may be down (ingest does not need it): a poll is
			// bounded, and until one succeeds the pipeline decides.
			pctx, cancel := context.WithTimeout(runCtx, max(4*d.cfg.Interval, 2*time.Second))
			err := d.Refresh(pctx)
			cancel()
			if err != nil && runCtx.Err() == nil {
				d.cfg.Logger.DebugContext(runCtx, "ingest filter cache refresh failed", slog.String("error", err.Error()))
			}
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Stop ends the polling.
func (d *Decider) Stop() {
	d.stopOnce.Do(func() {
		d.mu.RLock()
		cancel, done := d.cancel, d.done
		d.mu.RUnlock()
		if cancel != nil {
			cancel()
			<-done
		}
	})
}

// Refresh reads every rule set version and recompiles what changed.
func (d *Decider) Refresh(ctx context.Context) error {
	d.mu.Lock()
	d.gen++
	gen := d.gen
	d.mu.Unlock()
	started := time.Now()
	versions, err := d.cfg.Filters.AllVersions(ctx)
	if err != nil {
		return err
	}
	d.mu.RLock()
	old := d.progs
	d.mu.RUnlock()
	next := make(map[string]cachedProgram, len(versions))
	for id, v := range versions {
		if cp, ok := old[id]; ok && cp.version.Equal(v) {
			next[id] = cp
			continue
		}
		cp, err := d.cache.load(ctx, id)
		if err != nil {
			return fmt.Errorf("load rule set of %s: %w", id, err)
		}
		if cp.version.IsZero() && cp.prog == nil && cp.err == nil {
			continue // deleted between the two queries
		}
		next[id] = cp
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.progs, d.fresh, d.loaded = next, started, true
	for id, g := range d.dirty {
		if g < gen {
			delete(d.dirty, id)
		}
	}
	return nil
}

// Invalidate makes ingest leave a webhook's events to the pipeline until the
// next poll has read its new rule set: the API calls it after a change.
func (d *Decider) Invalidate(webhookID string) {
	d.mu.Lock()
	d.dirty[webhookID] = d.gen
	d.mu.Unlock()
}

// Decide returns the outcome ingest can record on a webhook.received whose
// data is raw (hookstream.OutcomeProcessed or OutcomeFiltered with the
// reason), or "" when the pipeline must decide: the webhook triggers a
// workflow, validates in warn mode, or its rule set is not known to be
// current (never loaded, last poll too old, just changed, or invalid).
func (d *Decider) Decide(wh *hookstream.Webhook, raw json.RawMessage) (outcome, reason string) {
	if wh.WorkflowID != "" || (wh.SchemaMode == hookstream.SchemaWarn && wh.EventType != "") {
		return "", ""
	}
	d.mu.RLock()
	ok := d.loaded && time.Since(d.fresh) < 3*d.cfg.Interval
	_, dirty := d.dirty[wh.ID]
	cp, has := d.progs[wh.ID]
	d.mu.RUnlock()
	if !ok || dirty || (has && (cp.err != nil || cp.prog == nil)) {
		return "", ""
	}
	if !has {
		return hookstream.OutcomeProcessed, ""
	}
	var rd hookstream.ReceivedData
	if err := json.Unmarshal(raw, &rd); err != nil {
		return "", ""
	}
	in, err := filterInput(&rd)
	if err != nil {
		return "", "" // the pipeline records the failure
	}
	res := cp.prog.Match(in)
	if !res.Matched {
		return hookstream.OutcomeFiltered, res.Reason
	}
	return hookstream.OutcomeProcessed, ""
}

// filterInput is what filter rules see of a received event: the body as
// stored (JSON bodies decoded; text as a string; binary bodies none), the
// stored (redacted) headers, the query and the metadata.
func filterInput(rd *hookstream.ReceivedData) (filter.Input, error) {
	var body any
	if len(rd.Body) > 0 && rd.BodyEncoding == "" {
		if err := json.Unmarshal(rd.Body, &body); err != nil {
			return filter.Input{}, fmt.Errorf("malformed body: %w", err)
		}
	}
	return filter.Input{Body: body, Headers: http.Header(rd.Headers), Query: url.Values(rd.Query), Metadata: rd.Metadata}, nil
}
