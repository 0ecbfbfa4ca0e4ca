package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/streams/pipeline"
)

// BenchmarkPipeline measures end-to-end pipeline throughput: b.N received
// events (1 KB JSON bodies, a 10-rule filter that passes, a workflow to
// trigger) already in the stream, consumed until the durable consumer has
// nothing pending; each event costs two appends (workflow.triggered and
// webhook.processed) with PubAck under SyncAlways, as in production.
func BenchmarkPipeline(b *testing.B) {
	bb := setup(b)
	wh := bb.webhook(b, nil)
	bb.setFilter(b, wh, `{"logic":"and","rules":[
		{"field":"$.type","operator":"equals","value":"order.paid"},
		{"field":"$.data.total","operator":"greater_than","value":10},
		{"field":"$.data.currency","operator":"in","value":["EUR","USD"]},
		{"field":"$.data.items[*].sku","operator":"starts_with","value":"SKU-"},
		{"field":"$.data.customer.email","operator":"ends_with","value":"@example.com"},
		{"field":"$.data.note","operator":"not_contains","value":"test"},
		{"field":"$.data.status","operator":"not_equals","value":"void"},
		{"field":"$.data.id","operator":"regex_match","value":"^ord_[0-9]+$"},
		{"field":"headers.X-Shop","operator":"exists"},
		{"field":"metadata.custom.shop","operator":"equals","value":"berlin"}]}`)
	items := make([]string, 0, 8)
	for i := range 8 {
		items = append(items, fmt.Sprintf(`{"sku":"SKU-%04d","qty":%d,"price":12.5}`, i, i+1))
	}
	body := fmt.Sprintf(`{"type":"order.paid","data":{"id":"ord_1042","status":"paid","total":129.9,"currency":"EUR",`+
		`"customer":{"email":"ada@example.com","name":"Ada Lovelace"},"note":"%s","items":[%s]}}`,
		strings.Repeat("x", 300), strings.Join(items, ","))

	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for range b.N {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			bb.receive(b, wh, body, nil)
		}()
	}
	wg.Wait()

	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	batcher := eventstore.NewBatcher(bb.store, eventstore.BatcherConfig{})
	require.NoError(b, batcher.Start(ctx))
	defer batcher.Stop()
	p := bb.start(b, func(c *pipeline.Config) { c.Appender = batcher })
	cons, err := bb.store.Durable(ctx, p.ConsumerConfig())
	require.NoError(b, err)
	eventstoretest.Poll(b, 10*time.Minute, 5*time.Millisecond, func() bool {
		pending, ackPending, err := cons.Pending(ctx)
		require.NoError(b, err)
		return pending == 0 && ackPending == 0
	}, func() string { return "pipeline did not drain" })
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	last, _, err := bb.store.StreamInfo(ctx, eventstore.StreamHooks)
	require.NoError(b, err)
	require.GreaterOrEqual(b, last, uint64(3*b.N), "each event has a trigger and a processed event")
	_ = hookstream.EventWebhookProcessed
}
