package webhooks_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/streams/webhooks"
)

// TestRegistryFailedStartLeavesNothingRunning: when the initial load
// cannot complete (here: Start's context is already done), Start fails and
// its follower is stopped — no goroutine leaks even if the caller drops the
// Registry without Stop. A later Start works, a second Start is a no-op.
func TestRegistryFailedStartLeavesNothingRunning(t *testing.T) {
	bundle := eventstoretest.New(t)
	kv, err := bundle.Store.KeyValue(t.Context(), webhooks.BucketDefault)
	require.NoError(t, err)
	sealer, err := hookstream.NewSealer(make([]byte, 32))
	require.NoError(t, err)
	// Ours only: the embedded server tears the watch's consumer down
	// asynchronously.
	ignore := []goleak.Option{goleak.IgnoreCurrent(),
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*consumer).loopAndGatherMsgs"),
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*consumer).processInboundAcks")}

	r := webhooks.NewRegistry(webhooks.RegistryConfig{KV: kv, Sealer: sealer, LoadTimeout: time.Nanosecond})
	done, cancel := context.WithCancel(t.Context())
	cancel()
	require.Error(t, r.Start(done))
	goleak.VerifyNone(t, ignore...)

	r = webhooks.NewRegistry(webhooks.RegistryConfig{KV: kv, Sealer: sealer})
	require.NoError(t, r.Start(t.Context()))
	require.NoError(t, r.Start(t.Context()), "a second Start is a no-op")
	require.NoError(t, r.Ready())
	r.Stop()
	r.Stop()
	goleak.VerifyNone(t, ignore...)
}
