package hookstream

import (
	"context"
	"time"
)

// Appender appends an event to the event store and returns only after the
// store acknowledged it (the JetStream PubAck): eventstore.Store, or
// eventstore.Batcher for group commit. It is the one append interface;
// packages name it where they use it (handlers.Appender, …) as an alias.
// Errors: EUNAVAILABLE when the store cannot be reached, EINVALID for an
// event the store refuses.
type Appender interface {
	Append(ctx context.Context, ev *Event, opts AppendOptions) (AppendResult, error)
}

// AppendOptions adjust one append.
type AppendOptions struct {
	// MsgID overrides the Nats-Msg-Id (default: the event id).
	MsgID string
	// TTL is the message's Nats-TTL (its tenant's retention); 0 = stream MaxAge.
	TTL time.Duration
}

// AppendResult reports where an event was stored.
type AppendResult struct {
	Stream string
	Seq    uint64
	// Duplicate is true when the Nats-Msg-Id was seen inside the duplicate
	// window; Seq is then the original message's sequence.
	Duplicate bool
}
