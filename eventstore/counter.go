package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
)

// ErrCounterLimit is returned by Counters.Incr when the increment would take
// the counter past its limit; the counter is unchanged.
var ErrCounterLimit = errors.New("counter limit reached")

// Counters is a KV bucket of bounded integer counters, incremented with
// compare-and-set on the entry's revision. It is race-safe across goroutines
// and nodes: two writers that read the same revision cannot both succeed,
// the loser re-reads and retries.
type Counters struct {
	kv jetstream.KeyValue
}

// Counters ensures a counter bucket (history 1, the store's replicas). ttl,
// when positive, expires entries not written for that long.
func (s *Store) Counters(ctx context.Context, bucket string, ttl time.Duration) (*Counters, error) {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   bucket,
		History:  1,
		TTL:      ttl,
		Storage:  jetstream.FileStorage,
		Replicas: s.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", bucket, translate(err))
	}
	return &Counters{kv: kv}, nil
}

// counterRetries bounds the CAS loop; each failed round means another
// writer succeeded, so the loop makes progress globally.
const counterRetries = 1000

// Value returns the counter's value (0 when it was never written).
func (c *Counters) Value(ctx context.Context, key string) (int, error) {
	v, _, err := c.get(ctx, key)
	return v, err
}

func (c *Counters) get(ctx context.Context, key string) (value int, rev uint64, err error) {
	e, err := c.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("counter %s: %w", key, translate(err))
	}
	n, err := strconv.Atoi(string(e.Value()))
	if err != nil {
		return 0, 0, fmt.Errorf("counter %s: corrupt value: %w", key, err)
	}
	return n, e.Revision(), nil
}

// put writes value at the expected revision (0: the key must not exist);
// ok is false on a revision conflict.
func (c *Counters) put(ctx context.Context, key string, value int, rev uint64) (ok bool, err error) {
	v := []byte(strconv.Itoa(value))
	if rev == 0 {
		_, err = c.kv.Create(ctx, key, v)
	} else {
		_, err = c.kv.Update(ctx, key, v, rev)
	}
	if err == nil {
		return true, nil
	}
	var apiErr *jetstream.APIError
	if errors.Is(err, jetstream.ErrKeyExists) ||
		(errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == 10164)) {
		return false, nil
	}
	return false, fmt.Errorf("counter %s: %w", key, translate(err))
}

// Incr adds one to the counter unless the result would exceed limit, and
// returns the new value. Errors: ErrCounterLimit, hookstream.ErrUnavailable
// when JetStream is down, hookstream.ErrConflict after too many lost races.
func (c *Counters) Incr(ctx context.Context, key string, limit int) (int, error) {
	if limit >= 1 {
		// Optimistic first write: most keys are new (one round trip).
		ok, err := c.put(ctx, key, 1, 0)
		if err != nil {
			return 0, err
		}
		if ok {
			return 1, nil
		}
	}
	for range counterRetries {
		cur, rev, err := c.get(ctx, key)
		if err != nil {
			return 0, err
		}
		if cur+1 > limit {
			return cur, ErrCounterLimit
		}
		ok, err := c.put(ctx, key, cur+1, rev)
		if err != nil {
			return 0, err
		}
		if ok {
			return cur + 1, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("counter %s: %w", key, hookstream.ErrConflict)
}

// Decr subtracts one (not below zero): it undoes an Incr whose effect did
// not happen.
func (c *Counters) Decr(ctx context.Context, key string) error {
	for range counterRetries {
		cur, rev, err := c.get(ctx, key)
		if err != nil {
			return err
		}
		if cur == 0 {
			return nil
		}
		ok, err := c.put(ctx, key, cur-1, rev)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return fmt.Errorf("counter %s: %w", key, hookstream.ErrConflict)
}
