package sqsbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/streams/pipeline"
	"github.com/hookstream/hookstream/streams/schema"
	"github.com/hookstream/hookstream/streams/sqsbridge"
	"github.com/hookstream/hookstream/streams/sqsbridge/sqstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// coreOnly is the event type registry of a tenant without types of its
// own (the real one reads PostgreSQL: projections.EventTypes).
type coreOnly struct{}

func (coreOnly) Type(context.Context, string, string, int) (schema.Type, error) {
	return schema.Type{}, hookstream.ErrNotFound
}
func (coreOnly) Resolvable(context.Context, string) ([]schema.Type, error) { return nil, nil }

type bundle struct {
	es  *eventstoretest.Bundle
	sqs *sqstest.Server
}

func setup(t *testing.T) bundle {
	t.Helper()
	return bundle{es: eventstoretest.New(t), sqs: sqstest.Start(t)}
}

func (b bundle) start(t *testing.T, cfg sqsbridge.Config) *sqsbridge.Bridge {
	t.Helper()
	cfg.Store = b.es.Store
	if cfg.SQS == nil {
		cfg.SQS = b.sqs.Client()
	}
	if cfg.Schemas == nil {
		cfg.Schemas = pipeline.NewSchemas(coreOnly{})
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMin, cfg.RetryMax = 50*time.Millisecond, time.Second
	}
	br, err := sqsbridge.New(cfg)
	require.NoError(t, err)
	require.NoError(t, br.Start(context.Background()))
	t.Cleanup(br.Stop)
	return br
}

// trigger appends a workflow.triggered event.
func trigger(t *testing.T, st *eventstore.Store, tenantID, webhookID string, p hookstream.Priority, body string) *hookstream.Event {
	t.Helper()
	ev := eventstore.NewEvent(hookstream.EventWorkflowTriggered)
	ev.TenantID, ev.WebhookID, ev.Priority = tenantID, webhookID, p
	data, err := json.Marshal(map[string]any{
		"executionId": uuid.NewString(), "workflowId": uuid.NewString(),
		"trigger": map[string]any{"headers": map[string]any{}, "body": body, "eventId": uuid.NewString(), "webhookId": webhookID},
	})
	require.NoError(t, err)
	ev.Data = data
	_, err = st.Append(context.Background(), ev, eventstore.AppendOptions{})
	require.NoError(t, err)
	return ev
}

// collector drains queues in the background and keeps every message.
type collector struct {
	mu   sync.Mutex
	msgs map[string][]types.Message
}

func collect(t *testing.T, s *sqstest.Server, urls ...string) *collector {
	t.Helper()
	c := &collector{msgs: map[string][]types.Message{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	cl := s.Client()
	for _, u := range urls {
		wg.Go(func() {
			for ctx.Err() == nil {
				callCtx, cc := context.WithTimeout(ctx, 5*time.Second)
				out, err := cl.ReceiveMessage(callCtx, &sqs.ReceiveMessageInput{
					QueueUrl: aws.String(u), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
					MessageAttributeNames: []string{"All"},
				})
				cc()
				if err != nil || len(out.Messages) == 0 {
					continue
				}
				entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(out.Messages))
				for i, m := range out.Messages {
					entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
				}
				dctx, dc := context.WithTimeout(ctx, 5*time.Second)
				_, _ = cl.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(u), Entries: entries})
				dc()
				c.mu.Lock()
				c.msgs[u] = append(c.msgs[u], out.Messages...)
				c.mu.Unlock()
			}
		})
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return c
}

func (c *collector) get(u string) []types.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs[u])
}

func (c *collector) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.msgs {
		n += len(l)
	}
	return n
}

func attr(m types.Message, name string) string {
	return aws.ToString(m.MessageAttributes[name].StringValue)
}

func eventOf(t *testing.T, m types.Message) hookstream.Event {
	t.Helper()
	var ev hookstream.Event
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &ev))
	return ev
}

// TestOutboundQueuePerPriority: triggers of each priority reach their
// priority's queue with the attributes, and are acked only then.
func TestOutboundQueuePerPriority(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var urls [4]string
	for p := range 4 {
		urls[p] = b.sqs.CreateQueue(t, fmt.Sprintf("p%d", p), sqstest.QueueOptions{})
	}
	br := b.start(t, sqsbridge.Config{Outbound: true, QueueURLs: urls})
	tenant, webhook := uuid.NewString(), uuid.NewString()
	want := map[string]*hookstream.Event{}
	for i := range 12 {
		ev := trigger(t, b.es.Store, tenant, webhook, hookstream.Priority(i%4), "body "+strconv.Itoa(i))
		want[ev.ID] = ev
	}
	c := collect(t, b.sqs, urls[:]...)
	eventstoretest.Poll(t, 60*time.Second, 50*time.Millisecond, func() bool { return c.total() >= 12 },
		func() string { return fmt.Sprintf("%d of 12 messages arrived", c.total()) })
	for p, u := range urls {
		got := c.get(u)
		require.Len(t, got, 3, "queue of priority %d", p)
		for _, m := range got {
			ev := eventOf(t, m)
			orig := want[ev.ID]
			require.NotNil(t, orig, "unknown event %s", ev.ID)
			require.Equal(t, p, int(orig.Priority))
			require.Equal(t, tenant, attr(m, sqsbridge.AttrTenantID))
			require.Equal(t, webhook, attr(m, sqsbridge.AttrWebhookID))
			require.Equal(t, ev.ID, attr(m, sqsbridge.AttrEventID))
			require.Equal(t, hookstream.EventWorkflowTriggered, attr(m, sqsbridge.AttrEventType))
			require.Equal(t, strconv.Itoa(p), attr(m, sqsbridge.AttrPriority))
			require.Equal(t, "Number", aws.ToString(m.MessageAttributes[sqsbridge.AttrPriority].DataType))
			require.JSONEq(t, string(orig.Data), string(ev.Data))
		}
	}
	eventstoretest.Poll(t, 30*time.Second, 50*time.Millisecond, func() bool {
		st := br.Status(context.Background())
		return st.Outbound.Sent == 12 && st.Outbound.InFlight == 0 && st.Outbound.Backlog == 0
	}, func() string { return fmt.Sprintf("%+v", br.Status(context.Background()).Outbound) })
	st := br.Status(context.Background())
	require.True(t, st.Enabled)
	require.Equal(t, "sqs", st.Mode)
	require.Len(t, st.Outbound.Queues, 4)
	require.Equal(t, 3, *st.Outbound.Queues[3].Priority)
	require.NotNil(t, st.Outbound.LastSuccessAt)
	require.Nil(t, st.Inbound.QueueURL)
}

// TestOutboundFIFOOrderAndDedup: one FIFO queue keeps each webhook's order
// (group = webhook id), and sending the same triggers again (a second
// consumer re-reading the stream, as after a lost ack) adds nothing:
// deduplication id = event id.
func TestOutboundFIFOOrderAndDedup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.sqs.CreateQueue(t, "triggers", sqstest.QueueOptions{FIFO: true})
	tenant := uuid.NewString()
	webhooks := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	order := map[string][]string{}
	for i := range 45 {
		wh := webhooks[i%3]
		ev := trigger(t, b.es.Store, tenant, wh, hookstream.Priority(i%4), "n"+strconv.Itoa(i))
		order[wh] = append(order[wh], ev.ID)
	}
	first := b.start(t, sqsbridge.Config{Outbound: true, QueueURL: q, FetchBatch: 7})
	eventstoretest.Poll(t, 60*time.Second, 50*time.Millisecond, func() bool { return first.Status(context.Background()).Outbound.Sent == 45 },
		func() string { return fmt.Sprintf("%+v", first.Status(context.Background()).Outbound) })
	first.Stop()
	again := b.start(t, sqsbridge.Config{Outbound: true, QueueURL: q, Durable: "again"})
	eventstoretest.Poll(t, 60*time.Second, 50*time.Millisecond, func() bool { return again.Status(context.Background()).Outbound.Sent == 45 },
		func() string { return fmt.Sprintf("%+v", again.Status(context.Background()).Outbound) })

	got := b.sqs.Drain(t, q)
	require.Len(t, got, 45, "the second send of each trigger was dropped by deduplication")
	seen := map[string][]string{}
	for _, m := range got {
		ev := eventOf(t, m)
		require.Equal(t, ev.WebhookID, m.Attributes["MessageGroupId"])
		require.Equal(t, ev.ID, m.Attributes["MessageDeduplicationId"])
		seen[ev.WebhookID] = append(seen[ev.WebhookID], ev.ID)
	}
	for _, wh := range webhooks {
		require.Equal(t, order[wh], seen[wh], "order of webhook %s", wh)
	}
}

// TestOutboundClaimCheck: a trigger over 256 KiB goes as a claim check.
func TestOutboundClaimCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.sqs.CreateQueue(t, "big", sqstest.QueueOptions{})
	b.start(t, sqsbridge.Config{Outbound: true, QueueURL: q})
	big := trigger(t, b.es.Store, uuid.NewString(), uuid.NewString(), hookstream.PriorityHigh, strings.Repeat("x", 300*1024))
	small := trigger(t, b.es.Store, uuid.NewString(), uuid.NewString(), hookstream.PriorityHigh, "small")
	c := collect(t, b.sqs, q)
	eventstoretest.Poll(t, 60*time.Second, 50*time.Millisecond, func() bool { return c.total() >= 2 },
		func() string { return fmt.Sprintf("%d of 2", c.total()) })
	for _, m := range c.get(q) {
		if attr(m, sqsbridge.AttrEventID) == small.ID {
			require.Empty(t, attr(m, sqsbridge.AttrClaimCheck))
			continue
		}
		require.Equal(t, big.ID, attr(m, sqsbridge.AttrEventID))
		require.Equal(t, "true", attr(m, sqsbridge.AttrClaimCheck))
		var cc sqsbridge.ClaimCheck
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &cc))
		require.Equal(t, sqsbridge.ClaimCheck{ClaimCheck: true, EventID: big.ID, Stream: eventstore.StreamHooks, Sequence: big.Sequence, Href: "/api/v1/events/" + big.ID}, cc)
		require.Equal(t, strconv.FormatUint(big.Sequence, 10), attr(m, sqsbridge.AttrSequence))
	}
}

// flaky is the real client with SendMessageBatch refusing the
// odd-numbered entries of its first call (a partial batch failure as SQS
// reports it: HTTP 200 with Failed entries).
type flaky struct {
	*sqs.Client
	mu    sync.Mutex
	calls int
	sent  []int // entries per call
}

func (f *flaky) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.mu.Lock()
	f.calls++
	first := f.calls == 1
	f.sent = append(f.sent, len(in.Entries))
	f.mu.Unlock()
	if !first {
		return f.Client.SendMessageBatch(ctx, in, opts...)
	}
	pass := &sqs.SendMessageBatchInput{QueueUrl: in.QueueUrl}
	var failed []types.BatchResultErrorEntry
	for i, e := range in.Entries {
		if i%2 == 1 {
			failed = append(failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("try again")})
			continue
		}
		pass.Entries = append(pass.Entries, e)
	}
	out, err := f.Client.SendMessageBatch(ctx, pass, opts...)
	if err != nil {
		return nil, err
	}
	out.Failed = append(out.Failed, failed...)
	return out, nil
}

// TestOutboundPartialBatchFailure: only the refused entries are sent again.
func TestOutboundPartialBatchFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.sqs.CreateQueue(t, "partial", sqstest.QueueOptions{})
	for i := range 10 {
		trigger(t, b.es.Store, uuid.NewString(), uuid.NewString(), hookstream.PriorityNormal, strconv.Itoa(i))
	}
	f := &flaky{Client: b.sqs.Client()}
	br := b.start(t, sqsbridge.Config{Outbound: true, QueueURL: q, SQS: f})
	eventstoretest.Poll(t, 60*time.Second, 50*time.Millisecond, func() bool { return br.Status(context.Background()).Outbound.Sent == 10 },
		func() string { return fmt.Sprintf("%+v", br.Status(context.Background()).Outbound) })
	got := b.sqs.Drain(t, q)
	require.Len(t, got, 10, "each trigger exactly once on a standard queue")
	f.mu.Lock()
	require.Equal(t, []int{10, 5}, f.sent)
	f.mu.Unlock()
	st := br.Status(context.Background())
	require.Equal(t, int64(5), st.Outbound.Failed)
	require.Contains(t, *st.Outbound.LastError, "InternalError")
}

// outageDuration is how long TestOutboundOutage keeps the server stopped:
// 10 s by default, 60 s (the figure) with HOOKSTREAM_SQS_OUTAGE=60s
// (go tool task test:slow).
func outageDuration(t *testing.T) time.Duration {
	if s := os.Getenv("HOOKSTREAM_SQS_OUTAGE"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err)
		return d
	}
	return 10 * time.Second
}

// TestOutboundOutage: the SQS server stops answering (SIGSTOP) under load
// and comes back: every trigger arrives, none twice on the FIFO queue, and
// nothing was acked while SQS was away.
func TestOutboundOutage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.sqs.CreateQueue(t, "outage", sqstest.QueueOptions{FIFO: true})
	br := b.start(t, sqsbridge.Config{Outbound: true, QueueURL: q, SendTimeout: 2 * time.Second, AckWait: 3 * time.Second, RetryMax: 2 * time.Second, RetryMin: 50 * time.Millisecond})
	c := collect(t, b.sqs, q)
	tenant := uuid.NewString()
	webhooks := []string{uuid.NewString(), uuid.NewString()}
	var ids []string
	load := func(n int) {
		for range n {
			ids = append(ids, trigger(t, b.es.Store, tenant, webhooks[len(ids)%2], hookstream.PriorityNormal, "x").ID)
		}
	}
	load(100)
	eventstoretest.Poll(t, 60*time.Second, 20*time.Millisecond, func() bool { return c.total() > 0 }, func() string { return "nothing arrived" })
	b.sqs.Pause()
	outage := outageDuration(t)
	deadline := time.Now().Add(outage)
	sentAtPause := br.Status(context.Background()).Outbound.Sent
	// Load during the outage, up to 600 triggers (the catch-up after it is
	// bounded on a busy machine); then the outage lasts its full length.
	for time.Now().Before(deadline) && len(ids) < 600 {
		load(10)
	}
	<-time.After(time.Until(deadline)) // the outage's length, not a wait for a result
	during := br.Status(context.Background())
	b.sqs.Resume()
	t.Logf("resumed after %s: %d triggers, %d arrived, status %+v", outage, len(ids), c.total(), during.Outbound)
	require.LessOrEqual(t, during.Outbound.Sent, sentAtPause+int64(10), "nothing beyond the batch in flight was counted sent while SQS was stopped")
	require.NotNil(t, during.Outbound.LastError)
	load(100)
	total := len(ids)
	t.Logf("loaded %d", total)
	eventstoretest.Poll(t, 120*time.Second, 50*time.Millisecond, func() bool { return c.total() >= total },
		func() string { return fmt.Sprintf("%d of %d arrived", c.total(), total) })
	eventstoretest.Poll(t, 30*time.Second, 50*time.Millisecond, func() bool { return br.Status(context.Background()).Outbound.InFlight == 0 },
		func() string { return fmt.Sprintf("%+v", br.Status(context.Background()).Outbound) })
	got := map[string]int{}
	for _, m := range c.get(q) {
		got[attr(m, sqsbridge.AttrEventID)]++
	}
	for _, id := range ids {
		require.Equal(t, 1, got[id], "event %s", id)
	}
	require.Len(t, got, total)
	t.Logf("outage %s: %d triggers, %d arrived once each, %d failed entries retried", outage, total, len(got), br.Status(context.Background()).Outbound.Failed)
}

// inboundEvent is a CloudEvent as an external engine writes it.
func inboundEvent(tenant, typ string, data any) string {
	raw, _ := json.Marshal(map[string]any{
		"specversion": "1.0", "id": uuid.NewString(), "source": "/engines/external", "type": typ,
		"tenantid": tenant, "workflowid": "6f7c3a52-1b9e-4d0a-8c77-3e2f5a9d1c40", "data": data,
	})
	return string(raw)
}

func send(t *testing.T, s *sqstest.Server, q, body string) string {
	t.Helper()
	out, err := s.Client().SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String(body)})
	require.NoError(t, err)
	return aws.ToString(out.MessageId)
}

func execEvents(t *testing.T, st *eventstore.Store) []*hookstream.Event {
	t.Helper()
	var out []*hookstream.Event
	require.NoError(t, st.Read(context.Background(), eventstore.ReadOptions{Stream: eventstore.StreamExec}, func(ev *hookstream.Event) error {
		out = append(out, ev)
		return nil
	}))
	return out
}

func started(execID string) map[string]any {
	return map[string]any{"executionId": execID, "workflowId": "6f7c3a52-1b9e-4d0a-8c77-3e2f5a9d1c40", "eventId": "01JDQ7Z3K8M2X4V6B9N1P3R5T7"}
}

// noDelete is the real client with DeleteMessageBatch failing, as if the
// process died after the append and before the delete.
type noDelete struct{ *sqs.Client }

func (noDelete) DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return nil, errors.New("process died before DeleteMessage")
}

// TestInboundRedeliveryIsNotASecondEvent: a message appended but not
// deleted comes back after its visibility timeout; its Nats-Msg-Id (the SQS
// message id) makes the second append a duplicate, and it is deleted then.
func TestInboundRedeliveryIsNotASecondEvent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.sqs.CreateQueue(t, "inbound", sqstest.QueueOptions{VisibilityTimeout: 1})
	tenant := uuid.NewString()
	execID := uuid.NewString()
	send(t, b.sqs, q, inboundEvent(tenant, hookstream.EventExecutionStarted, started(execID)))

	first := b.start(t, sqsbridge.Config{InboundQueueURL: q, SQS: noDelete{b.sqs.Client()}, WaitTimeSeconds: 1, VisibilityTimeout: time.Second})
	eventstoretest.Poll(t, 60*time.Second, 20*time.Millisecond, func() bool { return first.Status(context.Background()).Inbound.Appended == 1 },
		func() string { return fmt.Sprintf("%+v", first.Status(context.Background()).Inbound) })
	first.Stop()

	second := b.start(t, sqsbridge.Config{InboundQueueURL: q, WaitTimeSeconds: 1, VisibilityTimeout: time.Second})
	eventstoretest.Poll(t, 60*time.Second, 50*time.Millisecond, func() bool { return second.Status(context.Background()).Inbound.Received >= 1 },
		func() string { return fmt.Sprintf("%+v", second.Status(context.Background()).Inbound) })
	eventstoretest.Poll(t, 30*time.Second, 50*time.Millisecond, func() bool {
		return len(b.sqs.Drain(t, q)) == 0 && second.Status(context.Background()).Inbound.Received >= 1
	},
		func() string { return "message not deleted" })
	require.Equal(t, int64(0), second.Status(context.Background()).Inbound.Appended, "the redelivery was a duplicate")
	evs := execEvents(t, b.es.Store)
	require.Len(t, evs, 1)
	ev := evs[0]
	require.Equal(t, hookstream.EventExecutionStarted, ev.Type)
	require.Equal(t, tenant, ev.TenantID)
	require.Equal(t, "/engines/external", ev.Source)
	require.Equal(t, "6f7c3a52-1b9e-4d0a-8c77-3e2f5a9d1c40", ev.WorkflowID)
	require.JSONEq(t, string(mustJSON(started(execID))), string(ev.Data))
}

func mustJSON(v any) []byte {
	raw, _ := json.Marshal(v)
	return raw
}

// TestInboundPoisonToDLQ: invalid JSON, an unknown type and a schema
// violation are not appended and not deleted; after maxReceiveCount
// receives the queue moves them to its DLQ, and the valid messages sent
// after them are appended meanwhile.
func TestInboundPoisonToDLQ(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dlq := b.sqs.CreateQueue(t, "inbound-dlq", sqstest.QueueOptions{})
	q := b.sqs.CreateQueue(t, "inbound", sqstest.QueueOptions{DLQ: dlq, MaxReceiveCount: 3, VisibilityTimeout: 1})
	tenant := uuid.NewString()
	poison := []string{
		send(t, b.sqs, q, `{"specversion":"1.0","id":`),
		send(t, b.sqs, q, inboundEvent(tenant, "order.shipped", map[string]any{"id": 1})),
		send(t, b.sqs, q, inboundEvent(tenant, hookstream.EventExecutionStarted, map[string]any{"executionId": 7})),
		send(t, b.sqs, q, inboundEvent(tenant, hookstream.EventWorkflowTriggered, map[string]any{})),
	}
	var valid []string
	for range 5 {
		valid = append(valid, send(t, b.sqs, q, inboundEvent(tenant, hookstream.EventExecutionStarted, started(uuid.NewString()))))
	}
	br := b.start(t, sqsbridge.Config{InboundQueueURL: q, WaitTimeSeconds: 1, VisibilityTimeout: time.Second})
	eventstoretest.Poll(t, 60*time.Second, 50*time.Millisecond, func() bool { return br.Status(context.Background()).Inbound.Appended == 5 },
		func() string { return fmt.Sprintf("%+v", br.Status(context.Background()).Inbound) })
	var inDLQ []types.Message
	eventstoretest.Poll(t, 90*time.Second, 200*time.Millisecond, func() bool {
		inDLQ = append(inDLQ, b.sqs.Drain(t, dlq)...)
		return len(inDLQ) >= len(poison)
	}, func() string {
		return fmt.Sprintf("%d of %d in the DLQ; %+v", len(inDLQ), len(poison), br.Status(context.Background()).Inbound)
	})
	ids := make([]string, 0, len(inDLQ))
	for _, m := range inDLQ {
		ids = append(ids, aws.ToString(m.MessageId))
	}
	require.ElementsMatch(t, poison, ids)
	require.Len(t, execEvents(t, b.es.Store), 5)
	st := br.Status(context.Background())
	require.GreaterOrEqual(t, st.Inbound.Invalid, int64(len(poison)*3), "each poison message was refused on each of its receives")
	require.Equal(t, int64(5), st.Inbound.Appended)
	var appendedIDs []string
	for _, ev := range execEvents(t, b.es.Store) {
		require.Equal(t, hookstream.EventExecutionStarted, ev.Type)
		appendedIDs = append(appendedIDs, ev.ID)
	}
	require.Len(t, appendedIDs, len(valid))
}

// slowAppender holds every append until released: a JetStream append
// slower than the message's visibility timeout.
type slowAppender struct {
	st      *eventstore.Store
	release chan struct{}
}

func (a *slowAppender) Append(ctx context.Context, ev *hookstream.Event, opts eventstore.AppendOptions) (eventstore.AppendResult, error) {
	select {
	case <-a.release:
	case <-ctx.Done():
		return eventstore.AppendResult{}, ctx.Err()
	}
	return a.st.Append(ctx, ev, opts)
}

// countingVisibility is the real client counting visibility extensions.
type countingVisibility struct {
	*sqs.Client
	mu       sync.Mutex
	extended int
}

func (c *countingVisibility) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	out, err := c.Client.ChangeMessageVisibilityBatch(ctx, in, opts...)
	if err == nil && len(out.Successful) > 0 {
		c.mu.Lock()
		c.extended++
		c.mu.Unlock()
	}
	return out, err
}

// TestInboundSlowAppendExtendsVisibility: while an append takes several
// visibility timeouts, the message's visibility is extended, so it is not
// received again (by this node's other polls or another node), and it is
// appended and deleted once.
func TestInboundSlowAppendExtendsVisibility(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.sqs.CreateQueue(t, "slow", sqstest.QueueOptions{VisibilityTimeout: 1})
	send(t, b.sqs, q, inboundEvent(uuid.NewString(), hookstream.EventExecutionStarted, started(uuid.NewString())))
	app := &slowAppender{st: b.es.Store, release: make(chan struct{})}
	cl := &countingVisibility{Client: b.sqs.Client()}
	br := b.start(t, sqsbridge.Config{InboundQueueURL: q, SQS: cl, Appender: app, WaitTimeSeconds: 1, VisibilityTimeout: time.Second})
	extended := func() int {
		cl.mu.Lock()
		defer cl.mu.Unlock()
		return cl.extended
	}
	// Hold the append for at least 6 extensions (about 2 s, two visibility
	// timeouts) while 4 polls keep asking for messages.
	eventstoretest.Poll(t, 60*time.Second, 20*time.Millisecond, func() bool { return extended() >= 6 },
		func() string { return fmt.Sprintf("%d extensions", extended()) })
	close(app.release)
	eventstoretest.Poll(t, 60*time.Second, 20*time.Millisecond, func() bool {
		visible, inFlight := b.sqs.Count(t, q)
		return br.Status(context.Background()).Inbound.Appended == 1 && visible == 0 && inFlight == 0
	}, func() string { return fmt.Sprintf("%+v", br.Status(context.Background()).Inbound) })
	require.Equal(t, int64(1), br.Status(context.Background()).Inbound.Received, "never received twice")
	require.Len(t, execEvents(t, b.es.Store), 1)
}

// TestOff: without configuration the bridge is off and says why.
func TestOff(t *testing.T) {
	t.Parallel()
	br, err := sqsbridge.New(sqsbridge.Config{OffReason: "no queues"})
	require.NoError(t, err)
	require.NoError(t, br.Start(context.Background()))
	br.Stop()
	st := br.Status(context.Background())
	require.False(t, st.Enabled)
	require.Equal(t, "off", st.Mode)
	require.Equal(t, "no queues", *st.Reason)
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	require.JSONEq(t, `{"enabled":false,"mode":"off","reason":"no queues",
		"outbound":{"queues":[],"sent":0,"failed":0,"inFlight":0,"lastSuccessAt":null,"lastError":null,"backlog":0},
		"inbound":{"queueUrl":null,"received":0,"appended":0,"invalid":0,"lastSuccessAt":null,"lastError":null}}`, string(raw))
}

// TestOutboundServerRestart: the SQS server process dies (connections
// refused), then comes back empty and the queue is created again (requests
// meanwhile fail with QueueDoesNotExist): the triggers appended during the
// outage all arrive once, and the ones delivered before are not sent again.
func TestOutboundServerRestart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.sqs.CreateQueue(t, "restart", sqstest.QueueOptions{FIFO: true})
	br := b.start(t, sqsbridge.Config{Outbound: true, QueueURL: q, SendTimeout: 2 * time.Second, RetryMin: 50 * time.Millisecond, RetryMax: time.Second})
	tenant, webhook := uuid.NewString(), uuid.NewString()
	var during []string
	before := map[string]bool{}
	for range 50 {
		before[trigger(t, b.es.Store, tenant, webhook, hookstream.PriorityNormal, "b").ID] = true
	}
	eventstoretest.Poll(t, 60*time.Second, 20*time.Millisecond, func() bool { return br.Status(context.Background()).Outbound.Sent == 50 },
		func() string { return fmt.Sprintf("%+v", br.Status(context.Background()).Outbound) })
	got := b.sqs.Drain(t, q)
	require.Len(t, got, 50)
	for _, m := range got {
		require.True(t, before[attr(m, sqsbridge.AttrEventID)])
	}

	b.sqs.Stop()
	for range 50 {
		during = append(during, trigger(t, b.es.Store, tenant, webhook, hookstream.PriorityNormal, "d").ID)
	}
	eventstoretest.Poll(t, 60*time.Second, 20*time.Millisecond, func() bool { return br.Status(context.Background()).Outbound.Failed > 0 },
		func() string { return "no failed send while the server was down" })
	require.Equal(t, int64(50), br.Status(context.Background()).Outbound.Sent)
	b.sqs.Restart()
	require.Equal(t, q, b.sqs.CreateQueue(t, "restart", sqstest.QueueOptions{FIFO: true}))
	eventstoretest.Poll(t, 60*time.Second, 20*time.Millisecond, func() bool { return br.Status(context.Background()).Outbound.Sent == 100 },
		func() string { return fmt.Sprintf("%+v", br.Status(context.Background()).Outbound) })
	after := b.sqs.Drain(t, q)
	ids := make([]string, 0, len(after))
	for _, m := range after {
		ids = append(ids, attr(m, sqsbridge.AttrEventID))
	}
	require.Equal(t, during, ids, "every trigger of the outage once, in order, none of before")
}
