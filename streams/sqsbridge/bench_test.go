package sqsbridge_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/streams/pipeline"
	"github.com/hookstream/hookstream/streams/sqsbridge"
	"github.com/hookstream/hookstream/streams/sqsbridge/sqstest"
)

// benchEvents is the number of events each benchmark iteration moves.
func benchEvents() int {
	if testing.Short() {
		return 500
	}
	return 3000
}

// BenchmarkOutbound: workflow.triggered events already in the stream (1 KB
// bodies) sent to one standard queue of the local fauxqs server; events/s
// from the bridge's start to the last acceptance.
func BenchmarkOutbound(b *testing.B) {
	n := benchEvents()
	var total int
	var elapsed time.Duration
	for i := range b.N {
		b.StopTimer()
		es := eventstoretest.New(b)
		srv := sqstest.Start(b)
		q := srv.CreateQueue(b, "bench-out-"+strconv.Itoa(i), sqstest.QueueOptions{})
		batcher := eventstore.NewBatcher(es.Store, eventstore.BatcherConfig{})
		require.NoError(b, batcher.Start(context.Background()))
		body := string(make([]byte, 1024))
		appendAll(b, n, func() error {
			ev := eventstore.NewEvent(hookstream.EventWorkflowTriggered)
			ev.TenantID, ev.WebhookID, ev.Priority = uuid.NewString(), uuid.NewString(), hookstream.PriorityNormal
			ev.Data, _ = json.Marshal(map[string]any{"executionId": "x", "workflowId": "w", "trigger": map[string]any{"body": body}})
			_, err := batcher.Append(context.Background(), ev, eventstore.AppendOptions{})
			return err
		})
		batcher.Stop()
		br, err := sqsbridge.New(sqsbridge.Config{Store: es.Store, SQS: srv.Client(), Outbound: true, QueueURL: q})
		require.NoError(b, err)
		b.StartTimer()
		start := time.Now()
		require.NoError(b, br.Start(context.Background()))
		eventstoretest.Poll(b, 5*time.Minute, 5*time.Millisecond, func() bool { return br.Status(context.Background()).Outbound.Sent >= int64(n) },
			func() string { return "outbound did not finish" })
		elapsed += time.Since(start)
		b.StopTimer()
		br.Stop()
		total += n
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
}

// BenchmarkInbound: execution.started messages waiting in the local fauxqs
// queue, received, validated, appended (group commit) and deleted;
// events/s from the bridge's start to the last append.
func BenchmarkInbound(b *testing.B) {
	n := benchEvents()
	var total int
	var elapsed time.Duration
	for i := range b.N {
		b.StopTimer()
		es := eventstoretest.New(b)
		srv := sqstest.Start(b)
		q := srv.CreateQueue(b, "bench-in-"+strconv.Itoa(i), sqstest.QueueOptions{})
		cl := srv.Client()
		tenant := uuid.NewString()
		for sent := 0; sent < n; sent += 10 {
			entries := make([]types.SendMessageBatchRequestEntry, 0, 10)
			for j := range 10 {
				entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)),
					MessageBody: aws.String(inboundEvent(tenant, hookstream.EventExecutionStarted, started(uuid.NewString())))})
			}
			_, err := cl.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(q), Entries: entries})
			require.NoError(b, err)
		}
		batcher := eventstore.NewBatcher(es.Store, eventstore.BatcherConfig{})
		require.NoError(b, batcher.Start(context.Background()))
		br, err := sqsbridge.New(sqsbridge.Config{Store: es.Store, Appender: batcher, SQS: cl, InboundQueueURL: q, Schemas: pipeline.NewSchemas(coreOnly{})})
		require.NoError(b, err)
		b.StartTimer()
		start := time.Now()
		require.NoError(b, br.Start(context.Background()))
		eventstoretest.Poll(b, 5*time.Minute, 5*time.Millisecond, func() bool { return br.Status(context.Background()).Inbound.Appended >= int64(n) },
			func() string { return "inbound did not finish" })
		elapsed += time.Since(start)
		b.StopTimer()
		br.Stop()
		batcher.Stop()
		total += n
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
}

// appendAll appends n events from 64 goroutines.
func appendAll(b *testing.B, n int, appendOne func() error) {
	b.Helper()
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	errs := make(chan error, 64)
	for range 64 {
		go func() {
			for range work {
				if err := appendOne(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 64 {
		require.NoError(b, <-errs)
	}
}
