package feed

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Cursor layout: 52 bits (a JavaScript-safe integer): the top bit names the
// stream (0 HOOKS, 1 EXEC), the other 51 bits its sequence. The 52 bits are
// then permuted with a keyed Feistel network, so the number a client sees
// reveals neither the global sequence nor how much other tenants appended.
const (
	cursorBits  = 52
	halfBits    = cursorBits / 2
	halfMask    = 1<<halfBits - 1
	seqBits     = cursorBits - 1
	seqMax      = 1<<seqBits - 1
	cursorMax   = 1<<cursorBits - 1
	feistelRuns = 8
	keyEntry    = "cursor-key"
)

// ErrBadCursor is returned by Decode for a value that is not a cursor.
var ErrBadCursor = hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid since cursor",
	hookstream.FieldError{Field: "since", Message: "not a cursor handed out by this feed"})

// Cursors encode (stream, sequence) pairs as opaque integers and back.
// The key is shared by every node through a KV bucket, so a cursor handed
// out by one node resumes on any other, and after a restart.
type Cursors struct {
	key []byte
}

// NewCursors returns Cursors under key (at least 16 bytes).
func NewCursors(key []byte) (*Cursors, error) {
	if len(key) < 16 {
		return nil, errors.New("feed: cursor key must be at least 16 bytes")
	}
	return &Cursors{key: key}, nil
}

// LoadCursors reads the cluster's cursor key from the KV bucket, creating
// it (atomically: the first node wins) when absent.
func LoadCursors(ctx context.Context, kv jetstream.KeyValue) (*Cursors, error) {
	for range 3 {
		e, err := kv.Get(ctx, keyEntry)
		if err == nil {
			return NewCursors(e.Value())
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("feed cursor key: %w", err)
		}
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		if _, err := kv.Create(ctx, keyEntry, key); err == nil {
			return NewCursors(key)
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("feed cursor key: %w", err)
		}
	}
	return nil, errors.New("feed cursor key: could not be created or read")
}

// Encode returns the cursor of a stream position.
func (c *Cursors) Encode(stream string, seq uint64) uint64 {
	x := seq & seqMax
	if stream == eventstore.StreamExec {
		x |= 1 << seqBits
	}
	l, r := x>>halfBits, x&halfMask
	for i := range feistelRuns {
		l, r = r, l^c.round(i, r)
	}
	return l<<halfBits | r
}

// Decode returns the stream position of a cursor. Errors: ErrBadCursor.
func (c *Cursors) Decode(v uint64) (stream string, seq uint64, err error) {
	if v > cursorMax {
		return "", 0, ErrBadCursor
	}
	l, r := v>>halfBits, v&halfMask
	for i := feistelRuns - 1; i >= 0; i-- {
		l, r = r^c.round(i, l), l
	}
	x := l<<halfBits | r
	stream = eventstore.StreamHooks
	if x>>seqBits == 1 {
		stream = eventstore.StreamExec
	}
	return stream, x & seqMax, nil
}

func (c *Cursors) round(i int, half uint64) uint64 {
	var in [9]byte
	in[0] = byte(i)
	binary.BigEndian.PutUint64(in[1:], half)
	m := hmac.New(sha256.New, c.key)
	m.Write(in[:])
	return binary.BigEndian.Uint64(m.Sum(nil)[:8]) & halfMask
}
