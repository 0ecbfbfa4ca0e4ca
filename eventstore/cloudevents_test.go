package eventstore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
)

// TestContentModesReadable appends one event in structured mode (as wave 1
// stored them) and one in binary mode to the same stream, and reads both
// back identically through Get, Read, a durable consumer and EventID.
func TestContentModesReadable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := eventstoretest.New(t) // default: binary
	structured, err := eventstore.Open(ctx, b.Conn, eventstore.Config{ContentMode: eventstore.ContentStructured})
	require.NoError(t, err)

	mk := func(n int) *hookstream.Event {
		ev := received(tenantA, webhook1, n)
		ev.WorkflowID, ev.Priority, ev.ReplayCount, ev.ReplayOf = "wf-1", hookstream.PriorityHigh, 2, "root-1"
		ev.Subject, ev.Outcome = "subj", hookstream.OutcomeProcessed
		ev.Time = time.Date(2026, 11, 28, 18, 0, 0, 123456789, time.UTC)
		return ev
	}
	oldEv, newEv := mk(1), mk(2)
	r1, err := structured.Append(ctx, oldEv, eventstore.AppendOptions{TTL: 48 * time.Hour})
	require.NoError(t, err)
	r2, err := b.Store.Append(ctx, newEv, eventstore.AppendOptions{TTL: 48 * time.Hour})
	require.NoError(t, err)

	// The wire form: structured is one JSON object; binary has ce- headers
	// and the data alone as the payload.
	st, err := b.Store.JetStream().Stream(ctx, eventstore.StreamHooks)
	require.NoError(t, err)
	raw1, err := st.GetMsg(ctx, r1.Seq)
	require.NoError(t, err)
	require.False(t, eventstore.IsBinary(raw1.Header))
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw1.Data, &env))
	require.JSONEq(t, string(oldEv.Data), string(env["data"]))
	raw2, err := st.GetMsg(ctx, r2.Seq)
	require.NoError(t, err)
	require.True(t, eventstore.IsBinary(raw2.Header))
	require.Equal(t, string(newEv.Data), string(raw2.Data))
	require.Equal(t, "1.0", raw2.Header.Get(eventstore.HeaderSpecVersion))
	require.Equal(t, newEv.ID, raw2.Header.Get(eventstore.HeaderID))
	require.Equal(t, hookstream.EventWebhookReceived, raw2.Header.Get(eventstore.HeaderType))
	require.Equal(t, "application/json", raw2.Header.Get("Content-Type"))
	require.Equal(t, "2026-11-28T18:00:00.123456789Z", raw2.Header.Get(eventstore.HeaderTime))
	require.Equal(t, "172800s", raw2.Header.Get(jetstream.MsgTTLHeader))
	require.Equal(t, newEv.ID, eventstore.EventID(raw2.Header, raw2.Data))
	require.Equal(t, oldEv.ID, eventstore.EventID(raw1.Header, raw1.Data))

	check := func(want, got *hookstream.Event, seq uint64) {
		t.Helper()
		require.Equal(t, want.ID, got.ID)
		require.Equal(t, "1.0", got.SpecVersion)
		require.Equal(t, "/webhooks/"+webhook1, got.Source)
		require.Equal(t, hookstream.EventWebhookReceived, got.Type)
		require.Equal(t, "subj", got.Subject)
		require.True(t, want.Time.Equal(got.Time), "%s != %s", want.Time, got.Time)
		require.Equal(t, "application/json", got.DataContentType)
		require.Equal(t, tenantA, got.TenantID)
		require.Equal(t, webhook1, got.WebhookID)
		require.Equal(t, "wf-1", got.WorkflowID)
		require.Equal(t, hookstream.PriorityHigh, got.Priority)
		require.Equal(t, 2, got.ReplayCount)
		require.Equal(t, "root-1", got.ReplayOf)
		require.Equal(t, hookstream.OutcomeProcessed, got.Outcome)
		require.JSONEq(t, string(want.Data), string(got.Data))
		require.Equal(t, seq, got.Sequence)
		require.Equal(t, eventstore.StreamHooks, got.Stream)
	}
	for _, s := range []*eventstore.Store{b.Store, structured} { // readers accept both, whatever they write
		g1, err := s.Get(ctx, eventstore.StreamHooks, r1.Seq)
		require.NoError(t, err)
		check(oldEv, g1, r1.Seq)
		g2, err := s.Get(ctx, eventstore.StreamHooks, r2.Seq)
		require.NoError(t, err)
		check(newEv, g2, r2.Seq)
	}

	var read []*hookstream.Event
	require.NoError(t, b.Store.Read(ctx, eventstore.ReadOptions{Stream: eventstore.StreamHooks}, func(ev *hookstream.Event) error {
		read = append(read, ev)
		return nil
	}))
	require.Len(t, read, 2)
	check(oldEv, read[0], r1.Seq)
	check(newEv, read[1], r2.Seq)

	cons, err := b.Store.Durable(ctx, eventstore.ConsumerConfig{Stream: eventstore.StreamHooks, Durable: "modes"})
	require.NoError(t, err)
	var msgs []eventstore.Msg
	eventstoretest.Poll(t, 30*time.Second, 10*time.Millisecond, func() bool {
		got, err := cons.Fetch(ctx, 10, 100*time.Millisecond)
		require.NoError(t, err)
		msgs = append(msgs, got...)
		return len(msgs) >= 2
	}, func() string { return "consumer did not deliver both events" })
	require.NoError(t, msgs[0].DecodeErr)
	require.NoError(t, msgs[1].DecodeErr)
	check(oldEv, msgs[0].Event, r1.Seq)
	check(newEv, msgs[1].Event, r2.Seq)
}

// TestBinaryEventWithoutData keeps an event without data data-less.
func TestBinaryEventWithoutData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := eventstoretest.New(t).Store
	ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
	ev.TenantID, ev.WebhookID = tenantA, webhook1
	res, err := st.Append(ctx, ev, eventstore.AppendOptions{})
	require.NoError(t, err)
	got, err := st.Get(ctx, res.Stream, res.Seq)
	require.NoError(t, err)
	require.Nil(t, got.Data)
	require.Equal(t, ev.ID, got.ID)
	require.Empty(t, got.Outcome)
	require.Empty(t, got.WorkflowID)
}
