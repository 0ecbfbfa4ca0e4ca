package eventstore

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// KeyValueTTL ensures a KV bucket with the given history whose entries
// expire ttl after they were written (0: never), with the store's replicas.
// Single-use tokens (the live feed's tickets) and small shared keys live in
// such buckets so any node can read them.
func (s *Store) KeyValueTTL(ctx context.Context, bucket string, history uint8, ttl time.Duration) (jetstream.KeyValue, error) {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   bucket,
		History:  history,
		TTL:      ttl,
		Storage:  jetstream.FileStorage,
		Replicas: s.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", bucket, translate(err))
	}
	return kv, nil
}
