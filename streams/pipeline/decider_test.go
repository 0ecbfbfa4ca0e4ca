package pipeline_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/streams/pipeline"
)

type catalog struct{ filterStore }

func (c catalog) AllVersions(ctx context.Context) (map[string]time.Time, error) {
	return c.s.AllVersions(ctx)
}

func receivedData(t testing.TB, body string) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(hookstream.ReceivedData{
		Method: "POST", Headers: map[string][]string{"X-Shop": {"berlin"}}, Body: json.RawMessage(body),
		Metadata: map[string]any{"custom": map[string]any{"shop": "berlin"}}, Auth: hookstream.AuthResult{Type: hookstream.AuthNone},
	})
	require.NoError(t, err)
	return raw
}

// TestDeciderDecidesWhatIngestCan: ingest decides a webhook without a
// workflow (processed, or filtered with the pipeline's reason), and leaves
// to the pipeline what is not known to be current or needs a trigger or a
// warn-mode validation.
func TestDeciderDecidesWhatIngestCan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	d, err := pipeline.NewDecider(pipeline.DeciderConfig{Filters: catalog{filterStore{b.filters}}, Interval: 20 * time.Millisecond})
	require.NoError(t, err)
	plain := b.webhook(t, func(w *hookstream.Webhook) { w.WorkflowID = "" })
	raw := receivedData(t, `{"status":"paid","n":5}`)

	// Not loaded yet: undecided.
	outcome, _ := d.Decide(&plain, raw)
	require.Empty(t, outcome)
	require.NoError(t, d.Start(context.Background()))
	t.Cleanup(d.Stop)
	eventstoretest.Poll(t, 30*time.Second, 10*time.Millisecond, func() bool {
		outcome, _ = d.Decide(&plain, raw)
		return outcome == hookstream.OutcomeProcessed
	}, func() string { return "no rule set, no workflow: never processed at ingest" })

	withWorkflow := b.webhook(t, nil)
	outcome, _ = d.Decide(&withWorkflow, raw)
	require.Empty(t, outcome, "a trigger is the pipeline's")
	warn := b.webhook(t, func(w *hookstream.Webhook) {
		w.WorkflowID, w.EventType, w.SchemaMode = "", "order.paid", hookstream.SchemaWarn
	})
	outcome, _ = d.Decide(&warn, raw)
	require.Empty(t, outcome, "warn-mode validation is the pipeline's")

	filtered := b.webhook(t, func(w *hookstream.Webhook) { w.WorkflowID = "" })
	b.setFilter(t, filtered, `{"logic":"and","rules":[{"field":"$.status","operator":"equals","value":"paid"},
		{"field":"headers.X-Shop","operator":"equals","value":"berlin"},
		{"field":"metadata.custom.shop","operator":"equals","value":"berlin"}]}`)
	// Changed through this node's API: undecided at once, until a poll has
	// read the new rule set.
	d.Invalidate(filtered.ID)
	outcome, _ = d.Decide(&filtered, raw)
	require.Empty(t, outcome)
	eventstoretest.Poll(t, 30*time.Second, 10*time.Millisecond, func() bool {
		outcome, _ = d.Decide(&filtered, raw)
		return outcome != ""
	}, func() string { return "the new rule set was never loaded" })
	require.Equal(t, hookstream.OutcomeProcessed, outcome)
	outcome, reason := d.Decide(&filtered, receivedData(t, `{"status":"open"}`))
	require.Equal(t, hookstream.OutcomeFiltered, outcome)
	require.Contains(t, reason, "$.status")

	// A stored rule set that does not compile: the pipeline records the failure.
	broken := b.webhook(t, func(w *hookstream.Webhook) { w.WorkflowID = "" })
	_, err = b.pool.Exec(context.Background(), `INSERT INTO webhook_filters (webhook_id, tenant_id, rule_set) VALUES ($1, $2, '{"rules":[{"field":"$..x","operator":"equals","value":1}]}')`,
		broken.ID, broken.TenantID)
	require.NoError(t, err)
	eventstoretest.Poll(t, 30*time.Second, 10*time.Millisecond, func() bool {
		require.NoError(t, d.Refresh(context.Background()))
		outcome, _ = d.Decide(&broken, raw)
		return outcome == ""
	}, func() string { return "an invalid rule set was decided at ingest" })

	// Stopped: polls end, and a stale cache decides nothing.
	d.Stop()
	eventstoretest.Poll(t, 30*time.Second, 10*time.Millisecond, func() bool {
		outcome, _ = d.Decide(&plain, raw)
		return outcome == ""
	}, func() string { return "a stale cache still decides" })
}

// TestPipelineSkipsEventsDecidedAtIngest: a webhook.received carrying
// ingest's outcome is acked without any derived event, even for a webhook
// whose rules would say otherwise; an undecided one is decided as before.
func TestPipelineSkipsEventsDecidedAtIngest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wh := b.webhook(t, nil) // has a workflow: an undecided event triggers it
	b.start(t, nil)
	decided := b.receive(t, wh, `{"a":1}`, func(e *hookstream.Event, _ *hookstream.ReceivedData) { e.Outcome = hookstream.OutcomeProcessed })
	filtered := b.receive(t, wh, `{"a":2}`, func(e *hookstream.Event, rd *hookstream.ReceivedData) {
		e.Outcome, rd.FilteredReason = hookstream.OutcomeFiltered, "rule 1"
	})
	undecided := b.receive(t, wh, `{"a":3}`, nil)
	b.waitFor(t, undecided, hookstream.EventWebhookProcessed)
	cons, err := b.store.JetStream().Consumer(context.Background(), eventstore.StreamHooks, pipeline.DurableDefault)
	require.NoError(t, err)
	eventstoretest.Poll(t, 30*time.Second, 20*time.Millisecond, func() bool {
		info, err := cons.Info(context.Background())
		require.NoError(t, err)
		return info.NumPending == 0 && info.NumAckPending == 0
	}, func() string { return "the pipeline did not ack every received event" })
	require.Empty(t, b.derived(t, decided))
	require.Empty(t, b.derived(t, filtered))
}
