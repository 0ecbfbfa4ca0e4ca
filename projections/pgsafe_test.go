package projections_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/projections"
)

// TestHostileStringsReachTheDeliveryLog appends deliveries whose data holds
// what PostgreSQL refuses — raw invalid UTF-8 inside JSON strings, \u0000,
// lone surrogates, NUL in query, headers and delivery id — as an older
// ingest acknowledged them (the stream keeps them byte for byte). Every one
// must reach webhook_events, none may be parked, and an escaped backslash
// before "u0000" is kept as the text it is.
func TestHostileStringsReachTheDeliveryLog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	bodies := []string{
		"{\"a\":\"\xff\"}",
		`{"a":"x\u0000y"}`,
		`{"a":"\ud800"}`,
		`{"a":"\udc00\u0000","\u0000k":[1,"\u0000"]}`,
		`{"a":"\\u0000 stays"}`,
		"\"text with \xc3\x28 invalid bytes\"",
		`"text \u0000 nul"`,
	}
	ids := map[string]string{}
	for i, body := range bodies {
		ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
		ev.TenantID, ev.WebhookID = b.tenant, b.hooks[0]
		ev.Data = json.RawMessage(fmt.Sprintf(`{"method":"POST","path":"p","headers":{"X-H":["v\u0000\ud800"]},`+
			`"query":{"q":["\u0000"]},"body":%s,"contentType":"application/json","bodyBytes":%d,`+
			`"deliveryId":"d\u0000%d","metadata":{"k":"\u0000"}}`, body, len(body), i))
		_, err := b.store.Append(ctx, ev, eventstore.AppendOptions{})
		require.NoError(t, err)
		ids[ev.ID] = body
	}

	mgr := newManager(t, b, 500)
	r, _ := mgr.Runner(projections.DeliveryLogName)
	require.NoError(t, r.Start(ctx))
	t.Cleanup(r.Stop)
	var st projections.Status
	eventstoretest.Poll(t, time.Minute, 20*time.Millisecond, func() bool {
		st = r.Status(ctx)
		return st.Lag == 0
	}, func() string { return fmt.Sprintf("not caught up: %+v", st) })
	require.Zero(t, st.DeadLetters, "nothing acknowledged may be parked for its bytes")
	for id, body := range ids {
		var stored string
		require.NoError(t, b.pool.QueryRow(ctx, `SELECT body::text FROM webhook_events WHERE id = $1`, id).Scan(&stored), body)
		if body == `{"a":"\\u0000 stays"}` {
			var v map[string]string
			require.NoError(t, json.Unmarshal([]byte(stored), &v))
			require.Equal(t, `\u0000 stays`, v["a"], "an escaped backslash is text, not an escape")
		}
	}
}

// TestPoisonInsideABatchIsParkedAtOnce: one event PostgreSQL can never take
// in the middle of a 301-event batch is parked on its first try (attempts
// 1, no retry backoff holding up the events behind it), and the 300 around
// it are applied.
func TestPoisonInsideABatchIsParkedAtOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	var bad *hookstream.Event
	for i := range 300 {
		if i == 150 {
			bad = eventstore.NewEvent(hookstream.EventWebhookReceived)
			bad.TenantID, bad.WebhookID = "not-a-uuid", b.hooks[0] // PostgreSQL refuses it: 22P02
			bad.Data = json.RawMessage(`{"method":"POST","body":{}}`)
			_, err := b.store.Append(ctx, bad, eventstore.AppendOptions{})
			require.NoError(t, err)
		}
		ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
		ev.TenantID, ev.WebhookID = b.tenant, b.hooks[i%3]
		ev.Data = json.RawMessage(`{"method":"POST","path":"p","body":{"i":1},"contentType":"application/json"}`)
		_, err := b.store.Append(ctx, ev, eventstore.AppendOptions{})
		require.NoError(t, err)
	}

	mgr := newManager(t, b, 500)
	r, _ := mgr.Runner(projections.DeliveryLogName)
	require.NoError(t, r.Start(ctx))
	t.Cleanup(r.Stop)
	var st projections.Status
	eventstoretest.Poll(t, time.Minute, 20*time.Millisecond, func() bool {
		st = r.Status(ctx)
		return st.Lag == 0
	}, func() string { return fmt.Sprintf("not caught up: %+v", st) })
	require.EqualValues(t, 1, st.DeadLetters)
	var seq int64
	var attempts int
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT stream_seq, attempts FROM projection_dead_letters`).Scan(&seq, &attempts))
	require.EqualValues(t, bad.Sequence, seq)
	require.Equal(t, 1, attempts, "a deterministic failure is not retried")
	var n int
	require.NoError(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM webhook_events`).Scan(&n))
	require.Equal(t, 300, n)
}
