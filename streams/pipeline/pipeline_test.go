package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pglocal"
	"github.com/hookstream/hookstream/projections/pgtest"
	"github.com/hookstream/hookstream/streams/pipeline"
	"github.com/hookstream/hookstream/streams/schema"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// registry is an in-memory webhook registry for these tests (the real one,
// streams/webhooks, is exercised by the end-to-end tests in cmd/hookstream).
type registry struct {
	mu  sync.Mutex
	whs map[string]hookstream.Webhook
}

func (r *registry) Get(tenantID, id string) (hookstream.Webhook, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	wh, ok := r.whs[id]
	return wh, ok && wh.TenantID == tenantID
}

func (r *registry) put(wh hookstream.Webhook) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.whs[wh.ID] = wh
}

func (r *registry) remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.whs, id)
}

type eventTypes struct{ s *projections.EventTypes }

func toType(et projections.EventTypeVersion) schema.Type {
	return schema.Type{TenantID: et.TenantID, Name: et.Name, Version: et.Version, Schema: et.Schema, Description: et.Description, Examples: et.Examples}
}

func (a eventTypes) Type(ctx context.Context, tenantID, name string, version int) (schema.Type, error) {
	et, err := a.s.Version(ctx, tenantID, name, version)
	return toType(et), err
}

func (a eventTypes) Resolvable(ctx context.Context, tenantID string) ([]schema.Type, error) {
	all, err := a.s.Resolvable(ctx, tenantID)
	out := make([]schema.Type, 0, len(all))
	for _, et := range all {
		out = append(out, toType(et))
	}
	return out, err
}

type filterStore struct{ s *projections.Filters }

func (a filterStore) Versions(ctx context.Context, ids []string) (map[string]time.Time, error) {
	return a.s.Versions(ctx, ids)
}

func (a filterStore) RuleSet(ctx context.Context, id string) (json.RawMessage, time.Time, error) {
	f, err := a.s.ByWebhook(ctx, id)
	return f.RuleSet, f.UpdatedAt, err
}

type bundle struct {
	pool     *pgxpool.Pool
	store    *eventstore.Store
	filters  *projections.Filters
	types    *projections.EventTypes
	registry *registry
	tenantID string
	cfg      pipeline.Config
}

func setup(t testing.TB) *bundle {
	t.Helper()
	return setupPool(t, pgtest.NewDB(t, migrations.Migrate))
}

func setupPool(t testing.TB, pool *pgxpool.Pool) *bundle {
	t.Helper()
	tenant, err := projections.NewAccounts(pool).CreateTenant(context.Background(), "acme")
	require.NoError(t, err)
	b := &bundle{
		pool:     pool,
		store:    eventstoretest.New(t).Store,
		filters:  projections.NewFilters(pool),
		types:    projections.NewEventTypes(pool),
		registry: &registry{whs: map[string]hookstream.Webhook{}},
		tenantID: tenant.ID,
	}
	b.cfg = pipeline.Config{
		Store: b.store, Webhooks: b.registry, Filters: filterStore{b.filters},
		Schemas: pipeline.NewSchemas(eventTypes{b.types}), FetchWait: 100 * time.Millisecond,
		RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
	}
	return b
}

func (b *bundle) start(t testing.TB, mutate func(*pipeline.Config)) *pipeline.Pipeline {
	t.Helper()
	cfg := b.cfg
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := pipeline.New(cfg)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background()))
	t.Cleanup(p.Stop)
	return p
}

func (b *bundle) webhook(t testing.TB, mutate func(*hookstream.Webhook)) hookstream.Webhook {
	t.Helper()
	wh := hookstream.Webhook{
		ID: eventstore.NewID(), TenantID: b.tenantID, Name: "orders", Path: "orders-" + eventstore.NewID(),
		Enabled: true, Priority: hookstream.PriorityHigh, SchemaMode: hookstream.SchemaOff,
		WorkflowID: eventstore.NewID(), NodeID: "trigger-1",
	}
	if mutate != nil {
		mutate(&wh)
	}
	b.registry.put(wh)
	return wh
}

func (b *bundle) setFilter(t testing.TB, wh hookstream.Webhook, ruleSet string) {
	t.Helper()
	_, err := b.filters.Put(context.Background(), wh.TenantID, wh.ID, json.RawMessage(ruleSet))
	require.NoError(t, err)
}

// receive appends a webhook.received event as ingest does.
func (b *bundle) receive(t testing.TB, wh hookstream.Webhook, body string, mutate func(*hookstream.Event, *hookstream.ReceivedData)) *hookstream.Event {
	t.Helper()
	rd := hookstream.ReceivedData{
		Method: "POST", Path: "/api/v1/webhooks/" + wh.Path,
		Headers:   map[string][]string{"Content-Type": {"application/json"}, "X-Shop": {"berlin"}},
		Query:     map[string][]string{"src": {"test"}},
		Body:      json.RawMessage(body),
		BodyBytes: len(body), ContentType: "application/json",
		Metadata: map[string]any{"sourceIp": "203.0.113.7", "custom": map[string]any{"shop": "berlin"}},
		Auth:     hookstream.AuthResult{Type: hookstream.AuthNone},
	}
	ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
	ev.Source = "/webhooks/" + wh.ID
	ev.TenantID, ev.WebhookID, ev.Priority = wh.TenantID, wh.ID, wh.Priority
	if mutate != nil {
		mutate(ev, &rd)
	}
	raw, err := json.Marshal(rd)
	require.NoError(t, err)
	ev.Data = raw
	_, err = b.store.Append(context.Background(), ev, eventstore.AppendOptions{})
	require.NoError(t, err)
	return ev
}

// derived returns the events derived from the received event id, by type.
func (b *bundle) derived(t testing.TB, received *hookstream.Event) map[string][]*hookstream.Event {
	t.Helper()
	out := map[string][]*hookstream.Event{}
	err := b.store.Read(context.Background(), eventstore.ReadOptions{
		Stream:   eventstore.StreamHooks,
		Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, received.TenantID, received.WebhookID, "")},
	}, func(ev *hookstream.Event) error {
		var d struct {
			EventID string `json:"eventId"`
			Trigger struct {
				EventID string `json:"eventId"`
			} `json:"trigger"`
		}
		if ev.Type == hookstream.EventWebhookReceived || json.Unmarshal(ev.Data, &d) != nil {
			return nil
		}
		if d.EventID == received.ID || d.Trigger.EventID == received.ID {
			out[ev.Type] = append(out[ev.Type], ev)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// waitFor polls until the received event has a derived event of type want.
func (b *bundle) waitFor(t testing.TB, received *hookstream.Event, want hookstream.EventType) map[string][]*hookstream.Event {
	t.Helper()
	var got map[string][]*hookstream.Event
	eventstoretest.Poll(t, 30*time.Second, 20*time.Millisecond, func() bool {
		got = b.derived(t, received)
		return len(got[want]) > 0
	}, func() string { return fmt.Sprintf("no %s for %s; got %v", want, received.ID, keys(got)) })
	return got
}

func keys(m map[string][]*hookstream.Event) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

var coreValidators = func() map[string]*schema.Validator {
	out := map[string]*schema.Validator{}
	for _, ct := range schema.Core() {
		v, err := schema.Compile(ct, schema.Resolver(schema.Core()...))
		if err != nil {
			panic(err)
		}
		out[ct.Name] = v
	}
	return out
}()

// requireValid checks a derived event against its core schema and that it
// carries the received event's attributes.
func requireValid(t testing.TB, received, ev *hookstream.Event, workflowID string) {
	t.Helper()
	errs, err := coreValidators[ev.Type].ValidateJSON(ev.Data)
	require.NoError(t, err)
	require.Empty(t, errs, "%s data %s", ev.Type, ev.Data)
	require.Equal(t, received.TenantID, ev.TenantID)
	require.Equal(t, received.WebhookID, ev.WebhookID)
	require.Equal(t, workflowID, ev.WorkflowID)
	require.Equal(t, received.Priority, ev.Priority)
	require.Equal(t, received.ReplayCount, ev.ReplayCount)
	require.Equal(t, received.ReplayOf, ev.ReplayOf)
	require.Equal(t, received.Source, ev.Source)
}

func data(t testing.TB, ev *hookstream.Event) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(ev.Data, &m))
	return m
}

func TestPipelineFiltersAndTriggers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wh := b.webhook(t, nil)
	b.setFilter(t, wh, `{"logic":"and","rules":[
		{"field":"$.status","operator":"equals","value":"paid"},
		{"field":"headers.x-shop","operator":"in","value":["berlin","paris"]}]}`)
	b.start(t, nil)

	// Fails the first rule: filtered, with the reason and the rule.
	pending := b.receive(t, wh, `{"status":"pending","total":12}`, nil)
	got := b.waitFor(t, pending, hookstream.EventWebhookFiltered)
	require.Len(t, got[hookstream.EventWebhookFiltered], 1)
	require.Empty(t, got[hookstream.EventWorkflowTriggered])
	require.Empty(t, got[hookstream.EventWebhookProcessed])
	f := got[hookstream.EventWebhookFiltered][0]
	requireValid(t, pending, f, wh.WorkflowID)
	fd := data(t, f)
	require.Contains(t, fd["reason"], `$.status equals "paid"`)
	require.Equal(t, "$.status", fd["rule"].(map[string]any)["field"])

	// Passes: workflow.triggered then webhook.processed, same execution.
	paid := b.receive(t, wh, `{"status":"paid","total":99.5}`, func(ev *hookstream.Event, _ *hookstream.ReceivedData) {
		ev.ReplayOf, ev.ReplayCount = eventstore.NewID(), 1 // a replay goes through the same way
	})
	got = b.waitFor(t, paid, hookstream.EventWebhookProcessed)
	require.Len(t, got[hookstream.EventWorkflowTriggered], 1)
	require.Len(t, got[hookstream.EventWebhookProcessed], 1)
	require.Empty(t, got[hookstream.EventWebhookFiltered])
	trig, proc := got[hookstream.EventWorkflowTriggered][0], got[hookstream.EventWebhookProcessed][0]
	requireValid(t, paid, trig, wh.WorkflowID)
	requireValid(t, paid, proc, wh.WorkflowID)
	require.Less(t, trig.Sequence, proc.Sequence)
	td, pd := data(t, trig), data(t, proc)
	require.Equal(t, td["executionId"], pd["executionId"])
	require.Equal(t, wh.WorkflowID, td["workflowId"])
	require.Equal(t, "trigger-1", td["nodeId"])
	require.EqualValues(t, hookstream.PriorityHigh, td["priority"])
	trigger := td["trigger"].(map[string]any)
	require.Equal(t, paid.ID, trigger["eventId"])
	require.Equal(t, wh.ID, trigger["webhookId"])
	require.Equal(t, map[string]any{"status": "paid", "total": 99.5}, trigger["body"])
	require.Equal(t, "berlin", trigger["metadata"].(map[string]any)["custom"].(map[string]any)["shop"])
	require.Equal(t, []any{"test"}, trigger["query"].(map[string]any)["src"])
	require.Equal(t, pipeline.MsgID(paid.ID, hookstream.EventWorkflowTriggered), paid.ID+":workflow.triggered")
}

func TestPipelineWithoutWorkflowOrFilter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wh := b.webhook(t, func(w *hookstream.Webhook) { w.WorkflowID = "" })
	b.start(t, nil)
	ev := b.receive(t, wh, `"plain text"`, nil)
	got := b.waitFor(t, ev, hookstream.EventWebhookProcessed)
	require.Empty(t, got[hookstream.EventWorkflowTriggered])
	proc := got[hookstream.EventWebhookProcessed][0]
	requireValid(t, ev, proc, "")
	require.Equal(t, map[string]any{"eventId": ev.ID}, data(t, proc))

	// A replay naming another workflow triggers that one.
	other := eventstore.NewID()
	replay := b.receive(t, wh, `{}`, func(e *hookstream.Event, _ *hookstream.ReceivedData) { e.WorkflowID = other })
	got = b.waitFor(t, replay, hookstream.EventWebhookProcessed)
	require.Len(t, got[hookstream.EventWorkflowTriggered], 1)
	requireValid(t, replay, got[hookstream.EventWorkflowTriggered][0], other)
}

func TestPipelineSchemaWarn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.types.Insert(context.Background(), projections.EventTypeVersion{
		TenantID: b.tenantID, Name: "order.paid", Version: 1,
		Schema: json.RawMessage(`{"type":"object","properties":{"total":{"type":"number","minimum":0}},"required":["total"]}`),
	})
	require.NoError(t, err)
	wh := b.webhook(t, func(w *hookstream.Webhook) { w.EventType, w.SchemaMode = "order.paid", hookstream.SchemaWarn })
	b.start(t, nil)

	// Validated in the pipeline: triggered, but flagged.
	bad := b.receive(t, wh, `{"total":-1}`, nil)
	got := b.waitFor(t, bad, hookstream.EventWebhookProcessed)
	require.Len(t, got[hookstream.EventWorkflowTriggered], 1)
	proc := got[hookstream.EventWebhookProcessed][0]
	requireValid(t, bad, proc, wh.WorkflowID)
	errs := data(t, proc)["schemaErrors"].([]any)
	require.Len(t, errs, 1)
	require.Equal(t, "/total", errs[0].(map[string]any)["instancePath"])
	require.Equal(t, "minimum", errs[0].(map[string]any)["keyword"])

	// Errors recorded by ingest are carried over as they are.
	flagged := b.receive(t, wh, `{}`, func(_ *hookstream.Event, rd *hookstream.ReceivedData) {
		rd.SchemaErrors = []hookstream.FieldError{{InstancePath: "", Keyword: "required", Message: "missing property 'total'"}}
	})
	got = b.waitFor(t, flagged, hookstream.EventWebhookProcessed)
	require.Equal(t, "missing property 'total'", data(t, got[hookstream.EventWebhookProcessed][0])["schemaErrors"].([]any)[0].(map[string]any)["message"])

	// A valid payload carries no schemaErrors.
	good := b.receive(t, wh, `{"total":5}`, nil)
	got = b.waitFor(t, good, hookstream.EventWebhookProcessed)
	require.NotContains(t, data(t, got[hookstream.EventWebhookProcessed][0]), "schemaErrors")
}

func TestPipelineDeletedWebhookFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wh := b.webhook(t, nil)
	b.registry.remove(wh.ID)
	b.start(t, func(c *pipeline.Config) { c.MissingWebhookGrace = time.Millisecond })
	ev := b.receive(t, wh, `{}`, nil)
	got := b.waitFor(t, ev, hookstream.EventWebhookFailed)
	failed := got[hookstream.EventWebhookFailed][0]
	requireValid(t, ev, failed, "")
	require.Equal(t, "webhook deleted", data(t, failed)["error"])
	require.Empty(t, got[hookstream.EventWebhookProcessed])
}

func TestPipelineFilterChangeAppliesToNextEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wh := b.webhook(t, nil)
	b.setFilter(t, wh, `{"rules":[{"field":"$.n","operator":"greater_than","value":10}]}`)
	b.start(t, nil)
	first := b.receive(t, wh, `{"n":5}`, nil)
	b.waitFor(t, first, hookstream.EventWebhookFiltered)

	b.setFilter(t, wh, `{"rules":[{"field":"$.n","operator":"less_than","value":10}]}`)
	second := b.receive(t, wh, `{"n":5}`, nil)
	b.waitFor(t, second, hookstream.EventWebhookProcessed)
}

func (b *bundle) waitDecided(t testing.TB, ev *hookstream.Event) map[string][]*hookstream.Event {
	t.Helper()
	var got map[string][]*hookstream.Event
	eventstoretest.Poll(t, 30*time.Second, 20*time.Millisecond, func() bool {
		got = b.derived(t, ev)
		return len(got[hookstream.EventWebhookFiltered])+len(got[hookstream.EventWebhookProcessed])+len(got[hookstream.EventWebhookFailed]) > 0
	}, func() string { return "no decision for " + ev.ID })
	return got
}

func TestPipelineRedeliveryAppendsNothingTwice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	wh := b.webhook(t, nil)
	b.setFilter(t, wh, `{"rules":[{"field":"$.ok","operator":"equals","value":true}]}`)
	var evs []*hookstream.Event
	for i := range 6 {
		evs = append(evs, b.receive(t, wh, fmt.Sprintf(`{"ok":%t}`, i%2 == 0), nil))
	}
	// A crash after the trigger's PubAck and before webhook.processed: the
	// trigger is stored; the redelivery must reuse its execution id.
	pre := eventstore.NewEvent(hookstream.EventWorkflowTriggered)
	pre.Source, pre.TenantID, pre.WebhookID, pre.WorkflowID, pre.Priority = evs[0].Source, wh.TenantID, wh.ID, wh.WorkflowID, wh.Priority
	pre.Data = json.RawMessage(fmt.Sprintf(`{"executionId":"exec-before-crash","workflowId":%q,"trigger":{"headers":{},"body":null,"metadata":{},"eventId":%q,"webhookId":%q},"priority":2}`, wh.WorkflowID, evs[0].ID, wh.ID))
	_, err := b.store.Append(ctx, pre, eventstore.AppendOptions{MsgID: pipeline.MsgID(evs[0].ID, hookstream.EventWorkflowTriggered)})
	require.NoError(t, err)

	check := func() {
		t.Helper()
		for i, ev := range evs {
			got := b.waitDecided(t, ev)
			if i%2 == 0 {
				require.Len(t, got[hookstream.EventWorkflowTriggered], 1)
				require.Len(t, got[hookstream.EventWebhookProcessed], 1)
				require.Equal(t, data(t, got[hookstream.EventWorkflowTriggered][0])["executionId"],
					data(t, got[hookstream.EventWebhookProcessed][0])["executionId"])
				require.Empty(t, got[hookstream.EventWebhookFiltered])
			} else {
				require.Len(t, got[hookstream.EventWebhookFiltered], 1)
				require.Empty(t, got[hookstream.EventWebhookProcessed])
			}
		}
		require.Equal(t, "exec-before-crash", data(t, b.derived(t, evs[0])[hookstream.EventWebhookProcessed][0])["executionId"])
	}

	p := b.start(t, nil)
	check()
	p.Stop()

	// Every received event delivered again (a consumer recreated from the
	// start stands for redeliveries): nothing new is appended.
	require.NoError(t, b.store.DeleteConsumer(ctx, eventstore.StreamHooks, pipeline.DurableDefault))
	p = b.start(t, nil)
	cons, err := b.store.Durable(ctx, p.ConsumerConfig())
	require.NoError(t, err)
	eventstoretest.Poll(t, 30*time.Second, 20*time.Millisecond, func() bool {
		pending, ackPending, err := cons.Pending(ctx)
		require.NoError(t, err)
		return pending == 0 && ackPending == 0
	}, func() string { return "pipeline did not drain" })
	check()
}

func TestPipelineWhilePostgresIsDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := pgtest.NewServer(t)
	pool, err := projections.Connect(ctx, srv.DSN(pglocal.DatabaseName))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, migrations.Migrate(ctx, pool))
	b := setupPool(t, pool)
	known := b.webhook(t, nil)
	b.setFilter(t, known, `{"rules":[{"field":"$.ok","operator":"equals","value":true}]}`)
	unknown := b.webhook(t, nil)
	p := b.start(t, nil)
	b.waitFor(t, b.receive(t, known, `{"ok":true}`, nil), hookstream.EventWebhookProcessed)

	require.NoError(t, srv.Stop(ctx))
	// The unknown webhook's filter cannot be read: its event waits,
	// unacked; the known webhook's cached filter keeps deciding.
	waiting := b.receive(t, unknown, `{"ok":true}`, nil)
	decided := b.receive(t, known, `{"ok":false}`, nil)
	b.waitFor(t, decided, hookstream.EventWebhookFiltered)
	cons, err := b.store.Durable(ctx, p.ConsumerConfig())
	require.NoError(t, err)
	var ackPending int
	eventstoretest.Poll(t, 30*time.Second, 20*time.Millisecond, func() bool {
		var err error
		_, ackPending, err = cons.Pending(ctx)
		require.NoError(t, err)
		return ackPending == 1
	}, func() string { return fmt.Sprintf("ack pending %d", ackPending) })
	require.Empty(t, b.derived(t, waiting))

	require.NoError(t, srv.Start(ctx))
	got := b.waitFor(t, waiting, hookstream.EventWebhookProcessed)
	require.Empty(t, got[hookstream.EventWebhookFailed])
}
