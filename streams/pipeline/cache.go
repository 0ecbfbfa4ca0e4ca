package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/streams/filter"
)

// programCache holds each webhook's compiled filter keyed by the rule set's
// version (webhook_filters.updated_at). refresh checks the versions of a
// whole batch with one query and recompiles only what changed.
type programCache struct {
	store FilterStore
	mu    sync.Mutex
	progs map[string]cachedProgram
}

type cachedProgram struct {
	version time.Time       // zero: the webhook has no rule set
	prog    *filter.Program // nil: no rule set, everything passes
	err     error           // the stored rule set does not compile
}

func newProgramCache(store FilterStore) *programCache {
	return &programCache{store: store, progs: map[string]cachedProgram{}}
}

// invalidRuleSet is the permanent error of a stored rule set that does not
// compile (the API refuses such rule sets, so only a manual edit makes one).
type invalidRuleSet struct{ err error }

func (e *invalidRuleSet) Error() string { return "stored filter rule set is invalid: " + e.err.Error() }

// refresh returns the compiled filter of each webhook it can vouch for.
// When the versions cannot be read (PostgreSQL down), it returns the cached
// programs, which are the versions last confirmed, and the error: webhooks
// missing from the result must wait. An entry's program is nil for a
// webhook without filters; its err is set when the stored rule set does not
// compile.
func (c *programCache) refresh(ctx context.Context, webhookIDs []string) (map[string]cachedProgram, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(webhookIDs)))
	versions, err := c.store.Versions(ctx, ids)
	out := make(map[string]cachedProgram, len(ids))
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		for _, id := range ids {
			if cp, ok := c.progs[id]; ok {
				out[id] = cp
			}
		}
		return out, err
	}
	var firstErr error
	for _, id := range ids {
		v, has := versions[id]
		cp, cached := c.progs[id]
		switch {
		case !has:
			cp = cachedProgram{}
		case !cached || !cp.version.Equal(v):
			cp, err = c.load(ctx, id)
			if err != nil {
				delete(c.progs, id)
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
		}
		c.progs[id] = cp
		out[id] = cp
	}
	return out, firstErr
}

func (c *programCache) load(ctx context.Context, id string) (cachedProgram, error) {
	raw, version, err := c.store.RuleSet(ctx, id)
	if hookstream.ErrorCode(err) == hookstream.ENOTFOUND {
		return cachedProgram{}, nil
	} else if err != nil {
		return cachedProgram{}, fmt.Errorf("load filter of %s: %w", id, err)
	}
	var rs filter.RuleSet
	if err := json.Unmarshal(raw, &rs); err != nil {
		return cachedProgram{version: version, err: &invalidRuleSet{err: err}}, nil //nolint:nilerr // an invalid rule set is cached as a value, not a load failure
	}
	prog, err := filter.Compile(rs)
	if err != nil {
		return cachedProgram{version: version, err: &invalidRuleSet{err: err}}, nil //nolint:nilerr // an invalid rule set is cached as a value, not a load failure
	}
	return cachedProgram{version: version, prog: prog}, nil
}

// Len is the number of webhooks cached.
func (c *programCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.progs)
}
