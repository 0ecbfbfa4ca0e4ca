package eventstore

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// KeyValue ensures a KV bucket (file storage, history 5, the store's
// replicas) and returns it. Buckets mirror configuration that must be
// readable without PostgreSQL (SPEC §1), such as the ingest cache.
func (s *Store) KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   bucket,
		History:  5,
		Storage:  jetstream.FileStorage,
		Replicas: s.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", bucket, translate(err))
	}
	return kv, nil
}
