package eventstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	tenantA  = "0193a9b2-0000-7000-8000-00000000000a"
	tenantB  = "0193a9b2-0000-7000-8000-00000000000b"
	webhook1 = "0193a9b2-0000-7000-8000-000000000001"
	webhook2 = "0193a9b2-0000-7000-8000-000000000002"
)

func received(tenant, webhook string, n int) *hookstream.Event {
	ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
	ev.TenantID, ev.WebhookID = tenant, webhook
	ev.Data = json.RawMessage(fmt.Sprintf(`{"method":"POST","body":{"n":%d}}`, n))
	return ev
}

func TestAppendGetAndDuplicates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := eventstoretest.New(t).Store

	ev := received(tenantA, webhook1, 1)
	res, err := st.Append(ctx, ev, eventstore.AppendOptions{MsgID: eventstore.MsgIDForDelivery(tenantA, webhook1, "d1")})
	require.NoError(t, err)
	require.Equal(t, eventstore.StreamHooks, res.Stream)
	require.False(t, res.Duplicate)

	got, err := st.Get(ctx, res.Stream, res.Seq)
	require.NoError(t, err)
	require.Equal(t, ev.ID, got.ID)
	require.Equal(t, "1.0", got.SpecVersion)
	require.Equal(t, "/webhooks/"+webhook1, got.Source)
	require.JSONEq(t, string(ev.Data), string(got.Data))

	// Same delivery id again: duplicate, pointing at the original sequence.
	again := received(tenantA, webhook1, 1)
	res2, err := st.Append(ctx, again, eventstore.AppendOptions{MsgID: eventstore.MsgIDForDelivery(tenantA, webhook1, "d1")})
	require.NoError(t, err)
	require.True(t, res2.Duplicate)
	require.Equal(t, res.Seq, res2.Seq)

	// The same delivery id on another webhook is not a duplicate.
	res3, err := st.Append(ctx, received(tenantA, webhook2, 1), eventstore.AppendOptions{MsgID: eventstore.MsgIDForDelivery(tenantA, webhook2, "d1")})
	require.NoError(t, err)
	require.False(t, res3.Duplicate)

	_, err = st.Get(ctx, eventstore.StreamHooks, 999)
	require.Equal(t, hookstream.ENOTFOUND, hookstream.ErrorCode(err))
}

func TestStreamsAreImmutable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := eventstoretest.New(t)
	res, err := b.Store.Append(ctx, received(tenantA, webhook1, 1), eventstore.AppendOptions{})
	require.NoError(t, err)
	st, err := b.Store.JetStream().Stream(ctx, eventstore.StreamHooks)
	require.NoError(t, err)
	require.Error(t, st.DeleteMsg(ctx, res.Seq), "DenyDelete")
	require.Error(t, st.Purge(ctx), "DenyPurge")
	info, err := st.Info(ctx)
	require.NoError(t, err)
	require.True(t, info.Config.AllowMsgTTL)
	require.Equal(t, uint64(1), info.State.Msgs)
}

func TestReadBySubjectSequenceAndTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := eventstoretest.New(t).Store

	var seqs []uint64
	for i := range 30 {
		tenant, wh := tenantA, webhook1
		switch i % 3 {
		case 1:
			wh = webhook2
		case 2:
			tenant = tenantB
		}
		res, err := st.Append(ctx, received(tenant, wh, i), eventstore.AppendOptions{})
		require.NoError(t, err)
		seqs = append(seqs, res.Seq)
	}
	collect := func(opts eventstore.ReadOptions) []int {
		var ns []int
		require.NoError(t, st.Read(ctx, opts, func(ev *hookstream.Event) error {
			var d struct {
				Body struct{ N int } `json:"body"`
			}
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			ns = append(ns, d.Body.N)
			return nil
		}))
		return ns
	}
	// One tenant.
	require.Len(t, collect(eventstore.ReadOptions{Stream: eventstore.StreamHooks, Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, tenantA, "", "")}}), 20)
	// One webhook, from a sequence.
	got := collect(eventstore.ReadOptions{Stream: eventstore.StreamHooks, StartSeq: seqs[15], Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, tenantA, webhook2, "")}})
	require.Equal(t, []int{16, 19, 22, 25, 28}, got)
	// One type.
	require.Len(t, collect(eventstore.ReadOptions{Stream: eventstore.StreamHooks, Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, "", "", hookstream.EventWebhookReceived)}}), 30)
	require.Empty(t, collect(eventstore.ReadOptions{Stream: eventstore.StreamHooks, Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, "", "", hookstream.EventWebhookFiltered)}}))
	// Since a time after everything: nothing; before: everything.
	require.Empty(t, collect(eventstore.ReadOptions{Stream: eventstore.StreamHooks, StartTime: time.Now().Add(time.Hour)}))
	require.Len(t, collect(eventstore.ReadOptions{Stream: eventstore.StreamHooks, StartTime: time.Now().Add(-time.Hour)}), 30)
	// Early stop.
	n := 0
	require.NoError(t, st.Read(ctx, eventstore.ReadOptions{Stream: eventstore.StreamHooks}, func(*hookstream.Event) error {
		n++
		if n == 5 {
			return eventstore.ErrStopRead
		}
		return nil
	}))
	require.Equal(t, 5, n)
}

func TestDurableConsumerRedeliversAndBounds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := eventstoretest.New(t).Store
	_, err := st.Append(ctx, received(tenantA, webhook1, 1), eventstore.AppendOptions{})
	require.NoError(t, err)

	cons, err := st.Durable(ctx, eventstore.ConsumerConfig{
		Stream: eventstore.StreamHooks, Durable: "test", MaxDeliver: 3,
		BackOff: []time.Duration{50 * time.Millisecond, 50 * time.Millisecond},
	})
	require.NoError(t, err)
	var deliveries []uint64
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := cons.Fetch(ctx, 10, 500*time.Millisecond)
		require.NoError(t, err)
		for _, m := range msgs {
			deliveries = append(deliveries, m.Delivered)
			if m.LastAttempt {
				require.NoError(t, m.Ack(ctx))
			} else {
				require.NoError(t, m.Nak())
			}
		}
		if len(deliveries) == 3 {
			break
		}
	}
	require.Equal(t, []uint64{1, 2, 3}, deliveries)
	pending, ackPending, err := cons.Pending(ctx)
	require.NoError(t, err)
	require.Zero(t, pending)
	require.Zero(t, ackPending)
}

func TestAppendTooLarge(t *testing.T) {
	t.Parallel()
	st := eventstoretest.NewWithConfig(t, eventstore.Config{MaxMsgSize: 1024}).Store
	ev := received(tenantA, webhook1, 1)
	ev.Data = json.RawMessage(`{"s":"` + strings.Repeat("x", 2048) + `"}`)
	_, err := st.Append(context.Background(), ev, eventstore.AppendOptions{})
	require.Equal(t, hookstream.ETOOLARGE, hookstream.ErrorCode(err))
}

// TestEncodedEventIsCloudEventsJSON checks structured content mode (binary,
// the default, is TestContentModesReadable's).
func TestEncodedEventIsCloudEventsJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := eventstoretest.NewWithConfig(t, eventstore.Config{ContentMode: eventstore.ContentStructured}).Store
	for _, data := range []string{`{"body":{"a":[1,2,{"b":"x\u00e9"}]}}`, "{\n  \"spaced\": true\n}", ``} {
		ev := received(tenantA, webhook1, 0)
		ev.Data = json.RawMessage(data)
		res, err := st.Append(ctx, ev, eventstore.AppendOptions{})
		require.NoError(t, err)
		raw, err := st.JetStream().Stream(ctx, eventstore.StreamHooks)
		require.NoError(t, err)
		msg, err := raw.GetMsg(ctx, res.Seq)
		require.NoError(t, err)
		require.True(t, json.Valid(msg.Data), string(msg.Data))
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(msg.Data, &m))
		require.JSONEq(t, `"1.0"`, string(m["specversion"]))
		require.JSONEq(t, `"`+ev.ID+`"`, string(m["id"]))
		if data == "" {
			require.NotContains(t, m, "data")
		} else {
			require.JSONEq(t, data, string(m["data"]))
		}
	}
}
