package runner_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/streams/runner"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"))
}

// workflows is the runner's workflow source in these tests (the real one,
// projections.Workflows over PostgreSQL, runs in the cmd/hookstream tests).
type workflows struct {
	mu sync.Mutex
	m  map[string]hookstream.Workflow
}

func (w *workflows) Get(_ context.Context, tenantID, id string) (hookstream.Workflow, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	wf, ok := w.m[id]
	if !ok || wf.TenantID != tenantID {
		return hookstream.Workflow{}, hookstream.ErrNotFound
	}
	return wf, nil
}

type bundle struct {
	store  *eventstore.Store
	wfs    *workflows
	runner *runner.Runner
	tenant string
}

type option func(*runner.Config)

func setup(t *testing.T, opts ...option) *bundle {
	t.Helper()
	es := eventstoretest.New(t)
	b := &bundle{store: es.Store, wfs: &workflows{m: map[string]hookstream.Workflow{}}, tenant: uuid.NewString()}
	cfg := runner.Config{
		Store: es.Store, Workflows: b.wfs, Workers: 8, AckWait: 3 * time.Second, FetchWait: 200 * time.Millisecond,
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}
	for _, o := range opts {
		o(&cfg)
	}
	r, err := runner.New(cfg)
	require.NoError(t, err)
	require.NoError(t, r.Start(t.Context()))
	t.Cleanup(r.Stop)
	b.runner = r
	return b
}

func (b *bundle) workflow(t *testing.T, steps string, mod func(*hookstream.Workflow)) string {
	t.Helper()
	w := hookstream.Workflow{ID: uuid.NewString(), TenantID: b.tenant, Name: "wf", Steps: json.RawMessage(steps)}
	if mod != nil {
		mod(&w)
	}
	b.wfs.mu.Lock()
	b.wfs.m[w.ID] = w
	b.wfs.mu.Unlock()
	return w.ID
}

// trigger appends a workflow.triggered like the pipeline's and returns the
// execution id.
func (b *bundle) trigger(t *testing.T, workflowID string, prio hookstream.Priority, body string) string {
	t.Helper()
	td := hookstream.TriggeredData{
		ExecutionID: eventstore.NewID(), WorkflowID: workflowID, Priority: prio,
		Trigger: hookstream.TriggerContext{
			Headers: map[string][]string{"X-Order": {"ord_1"}}, Body: json.RawMessage(body),
			Metadata: map[string]any{"receivedAt": time.Now().UTC().Format(time.RFC3339Nano)},
			EventID:  eventstore.NewID(), WebhookID: uuid.NewString(),
		},
	}
	raw, err := json.Marshal(td)
	require.NoError(t, err)
	ev := eventstore.NewEvent(hookstream.EventWorkflowTriggered)
	ev.TenantID, ev.WebhookID, ev.WorkflowID, ev.Priority, ev.Data = b.tenant, td.Trigger.WebhookID, workflowID, prio, raw
	_, err = b.store.Append(t.Context(), ev, eventstore.AppendOptions{})
	require.NoError(t, err)
	return td.ExecutionID
}

// events returns the EXEC events of an execution, in order.
func (b *bundle) events(t *testing.T, execID string) []*hookstream.Event {
	t.Helper()
	var out []*hookstream.Event
	err := b.store.Read(t.Context(), eventstore.ReadOptions{Stream: eventstore.StreamExec}, func(ev *hookstream.Event) error {
		if ev.Subject == execID {
			out = append(out, ev)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func types(evs []*hookstream.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type
	}
	return out
}

func stepData(t *testing.T, ev *hookstream.Event) hookstream.StepEventData {
	t.Helper()
	var d hookstream.StepEventData
	require.NoError(t, json.Unmarshal(ev.Data, &d))
	return d
}

// waitEnd waits for the execution's final event and returns its events.
func (b *bundle) waitEnd(t *testing.T, execID string, timeout time.Duration) []*hookstream.Event {
	t.Helper()
	var evs []*hookstream.Event
	eventstoretest.Poll(t, timeout, 50*time.Millisecond, func() bool {
		evs = b.events(t, execID)
		return len(evs) > 0 && (evs[len(evs)-1].Type == hookstream.EventExecutionCompleted || evs[len(evs)-1].Type == hookstream.EventExecutionFailed)
	}, func() string { return "execution did not end: " + join(types(evs)) })
	return evs
}

func join(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestRunnerRunsStepsWithTemplates(t *testing.T) {
	t.Parallel()
	var got atomic.Value
	var keys sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, 1024)
		n, _ := r.Body.Read(body)
		got.Store(r.URL.Path + " " + string(body[:n]) + " " + r.Header.Get("X-Order"))
		keys.Store(r.Header.Get("Idempotency-Key"), true)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"id":"r-1"}`))
	}))
	t.Cleanup(srv.Close)
	b := setup(t)
	wf := b.workflow(t, `[
		{"type":"log","name":"hello","message":"order {{.Body.orderId}}"},
		{"type":"http","method":"POST","url":"`+srv.URL+`/orders/{{.Body.orderId}}","headers":{"X-Order":"{{index .Headers \"X-Order\"}}"},"body":"{\"log\":{{json (index .Steps 0).message}}}"},
		{"type":"delay","ms":50},
		{"type":"log","message":"{{(index .Steps 1).body.id}} {{(index .Steps 1).statusCode}}"}
	]`, nil)
	exec := b.trigger(t, wf, hookstream.PriorityNormal, `{"orderId":"ord_42"}`)
	evs := b.waitEnd(t, exec, 30*time.Second)
	require.Equal(t, hookstream.EventExecutionCompleted, evs[len(evs)-1].Type, string(evs[len(evs)-1].Data))
	require.Equal(t, []string{
		"execution.started",
		"step.started", "step.completed",
		"step.started", "step.completed",
		"step.started", "step.completed",
		"step.started", "step.completed",
		"execution.completed",
	}, types(evs))
	require.Equal(t, `/orders/ord_42 {"log":"order ord_42"} ord_1`, got.Load())
	_, ok := keys.Load(exec + "-1")
	require.True(t, ok, "Idempotency-Key executionId-stepIndex")
	last := stepData(t, evs[8])
	require.JSONEq(t, `{"message":"r-1 200"}`, string(last.Output))
	for _, ev := range evs {
		require.Equal(t, wf, ev.WorkflowID)
		require.Equal(t, exec, ev.Subject)
	}
}
