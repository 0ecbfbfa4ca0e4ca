package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/streams/runner"
)

// The executions benchmark (--executions): the workflow runner in-process
// on an embedded NATS (SyncAlways, file store in the work dir, group
// commit as in production), a local HTTP sink, workflows held in memory
// (the runner reads a workflow once per execution start).

// ExecBench is the executions benchmark's result.
type ExecBench struct {
	Workers        int
	Throughput     int
	ExecPerSec     float64
	Backlog        int
	CriticalStarts []time.Duration
	LaneShares     [4]float64
	LaneStarts     [4]uint64
}

type memWorkflows struct{ w hookstream.Workflow }

func (m memWorkflows) Get(context.Context, string, string) (hookstream.Workflow, error) {
	return m.w, nil
}

type execRig struct {
	store    *eventstore.Store
	appender *eventstore.Batcher
	runner   *runner.Runner
	tenant   string
	wfID     string
	close    func()
}

func newExecRig(ctx context.Context, dir string, workers int, sinkDelay time.Duration) (*execRig, error) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if sinkDelay > 0 {
			time.Sleep(sinkDelay)
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: dir})
	if err != nil {
		sink.Close()
		return nil, err
	}
	nc, err := emb.Connect("hookbench-exec")
	if err != nil {
		emb.Shutdown()
		sink.Close()
		return nil, err
	}
	st, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		nc.Close()
		emb.Shutdown()
		sink.Close()
		return nil, err
	}
	b := eventstore.NewBatcher(st, eventstore.BatcherConfig{})
	if err := b.Start(ctx); err != nil {
		return nil, err
	}
	rig := &execRig{store: st, appender: b, tenant: uuid.NewString(), wfID: uuid.NewString()}
	steps, err := json.Marshal([]hookstream.Step{{Type: hookstream.StepHTTP, Method: http.MethodPost, URL: sink.URL + "/hook", Body: "{{json .Body}}"}})
	if err != nil {
		sink.Close()
		return nil, err
	}
	r, err := runner.New(runner.Config{
		Store: st, Appender: b, Workers: workers,
		Workflows:  memWorkflows{hookstream.Workflow{ID: rig.wfID, TenantID: rig.tenant, Name: "bench", Steps: steps}},
		AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	if err != nil {
		return nil, err
	}
	rig.runner = r
	rig.close = func() {
		r.Stop()
		b.Stop()
		nc.Close()
		emb.Shutdown()
		sink.Close()
	}
	return rig, nil
}

// trigger appends n workflow.triggered of priority p and returns their
// execution ids.
func (r *execRig) trigger(ctx context.Context, n int, p hookstream.Priority) ([]string, error) {
	ids := make([]string, n)
	var (
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 128)
		errOnce  sync.Once
		firstErr error
	)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := r.appendTrigger(ctx, i, p, ids); err != nil {
				errOnce.Do(func() { firstErr = err })
			}
		})
	}
	wg.Wait()
	return ids, firstErr
}

func (r *execRig) appendTrigger(ctx context.Context, i int, p hookstream.Priority, ids []string) error {
	td := hookstream.TriggeredData{
		ExecutionID: eventstore.NewID(), WorkflowID: r.wfID, Priority: p,
		Trigger: hookstream.TriggerContext{
			Headers: map[string][]string{}, Body: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)),
			Metadata: map[string]any{"receivedAt": time.Now().UTC().Format(time.RFC3339Nano)},
			EventID:  eventstore.NewID(), WebhookID: r.tenant,
		},
	}
	raw, err := json.Marshal(td)
	if err != nil {
		return err
	}
	ev := eventstore.NewEvent(hookstream.EventWorkflowTriggered)
	ev.TenantID, ev.WebhookID, ev.WorkflowID, ev.Priority, ev.Data = r.tenant, r.tenant, r.wfID, p, raw
	if _, err := r.appender.Append(ctx, ev, eventstore.AppendOptions{}); err != nil {
		return err
	}
	ids[i] = td.ExecutionID
	return nil
}

func (r *execRig) execEvents(ctx context.Context) (uint64, error) {
	_, msgs, err := r.store.StreamInfo(ctx, eventstore.StreamExec)
	return msgs, err
}

// startedAt reads the execution.started time of the given executions,
// minus their receipt.
func (r *execRig) timeToStart(ctx context.Context, ids []string) (map[string]time.Duration, error) {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := map[string]time.Duration{}
	err := r.store.Read(ctx, eventstore.ReadOptions{
		Stream:   eventstore.StreamExec,
		Subjects: []string{eventstore.SubjectFilter(eventstore.StreamExec, r.tenant, r.wfID, hookstream.EventExecutionStarted)},
	}, func(ev *hookstream.Event) error {
		if want[ev.Subject] {
			var d hookstream.ExecutionStartedData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return err
			}
			out[ev.Subject] = ev.Time.Sub(d.ReceivedAt)
		}
		return nil
	})
	return out, err
}

func waitFor(ctx context.Context, limit time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// benchExecutions runs the three measurements; quick shrinks them.
func benchExecutions(ctx context.Context, work string, quick bool, logf func(string, ...any)) (*ExecBench, error) {
	res := &ExecBench{Workers: runner.WorkersDefault, Throughput: 5000, Backlog: 10000}
	perLane := 3000
	if quick {
		res.Throughput, perLane = 2000, 1500
	}

	// 1. Executions per second, one http step, sink answering at once.
	dir, err := os.MkdirTemp(work, "exec-tput-")
	if err != nil {
		return nil, err
	}
	rig, err := newExecRig(ctx, dir, res.Workers, 0)
	if err != nil {
		return nil, err
	}
	if _, err := rig.trigger(ctx, res.Throughput, hookstream.PriorityNormal); err != nil {
		rig.close()
		return nil, err
	}
	logf("executions: %d triggers appended; running", res.Throughput)
	start := time.Now()
	if err := rig.runner.Start(ctx); err != nil {
		rig.close()
		return nil, err
	}
	err = waitFor(ctx, 10*time.Minute, func() (bool, error) {
		n, err := rig.execEvents(ctx)
		return n >= uint64(4*res.Throughput), err
	})
	elapsed := time.Since(start)
	rig.close()
	if err != nil {
		return nil, fmt.Errorf("throughput run: %w", err)
	}
	res.ExecPerSec = float64(res.Throughput) / elapsed.Seconds()
	logf("executions: %.0f executions/s", res.ExecPerSec)

	// 2. Critical time to start behind a backlog of 10 000 normal ones
	// (the sink takes 20 ms, so the backlog lasts).
	dir, err = os.MkdirTemp(work, "exec-crit-")
	if err != nil {
		return nil, err
	}
	rig, err = newExecRig(ctx, dir, res.Workers, 20*time.Millisecond)
	if err != nil {
		return nil, err
	}
	if _, err := rig.trigger(ctx, res.Backlog, hookstream.PriorityNormal); err != nil {
		rig.close()
		return nil, err
	}
	if err := rig.runner.Start(ctx); err != nil {
		rig.close()
		return nil, err
	}
	var crit []string
	for range 20 {
		ids, err := rig.trigger(ctx, 1, hookstream.PriorityCritical)
		if err != nil {
			rig.close()
			return nil, err
		}
		crit = append(crit, ids...)
		time.Sleep(100 * time.Millisecond)
	}
	var starts map[string]time.Duration
	err = waitFor(ctx, 5*time.Minute, func() (bool, error) {
		var err error
		starts, err = rig.timeToStart(ctx, crit)
		return len(starts) == len(crit), err
	})
	pending, _ := rig.execEvents(ctx)
	rig.close()
	if err != nil {
		return nil, fmt.Errorf("critical run: %w", err)
	}
	for _, d := range starts {
		res.CriticalStarts = append(res.CriticalStarts, d)
	}
	slices.Sort(res.CriticalStarts)
	logf("executions: critical time to start p50 %s max %s (EXEC events by then: %d)",
		res.CriticalStarts[len(res.CriticalStarts)/2], res.CriticalStarts[len(res.CriticalStarts)-1], pending)

	// 3. Lane shares with every lane saturated.
	dir, err = os.MkdirTemp(work, "exec-lanes-")
	if err != nil {
		return nil, err
	}
	rig, err = newExecRig(ctx, dir, res.Workers, 20*time.Millisecond)
	if err != nil {
		return nil, err
	}
	defer rig.close()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for p := range 4 {
		wg.Go(func() {
			if _, err := rig.trigger(ctx, perLane, hookstream.Priority(p)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	if err := rig.runner.Start(ctx); err != nil {
		return nil, err
	}
	sum := func(s [4]uint64) uint64 { return s[0] + s[1] + s[2] + s[3] }
	var from [4]uint64
	if err := waitFor(ctx, 5*time.Minute, func() (bool, error) {
		from = rig.runner.LaneStarts()
		return sum(from) >= 300, nil
	}); err != nil {
		return nil, err
	}
	var to [4]uint64
	// Stop measuring before the critical lane could run dry.
	if err := waitFor(ctx, 10*time.Minute, func() (bool, error) {
		to = rig.runner.LaneStarts()
		return to[3] >= uint64(perLane*3/4), nil
	}); err != nil {
		return nil, err
	}
	total := float64(sum(to) - sum(from))
	for p := range 4 {
		res.LaneStarts[p] = to[p] - from[p]
		res.LaneShares[p] = float64(to[p]-from[p]) / total
	}
	logf("executions: lane shares low %.3f normal %.3f high %.3f critical %.3f", res.LaneShares[0], res.LaneShares[1], res.LaneShares[2], res.LaneShares[3])
	return res, nil
}

// Render writes the executions section in Markdown.
func (e *ExecBench) Render() string {
	var b strings.Builder
	b.WriteString("## Executions (streams/runner)\n\n")
	fmt.Fprintf(&b, "In-process runner, embedded NATS (SyncAlways, group commit), %d workers, local HTTP sink.\n\n", e.Workers)
	fmt.Fprintf(&b, "- Throughput, one http step (sink answers at once), %d executions: **%.0f executions/s**\n", e.Throughput, e.ExecPerSec)
	if n := len(e.CriticalStarts); n > 0 {
		fmt.Fprintf(&b, "- Critical receipt → execution.started behind %d queued normal executions (sink 20 ms), %d critical events: p50 **%s**, max **%s** (SLA 1 s)\n",
			e.Backlog, n, fmtDur(e.CriticalStarts[n/2]), fmtDur(e.CriticalStarts[n-1]))
	}
	want := [4]float64{1.0 / 15, 2.0 / 15, 4.0 / 15, 8.0 / 15}
	b.WriteString("- Lane shares of starts with all four lanes saturated (target 8:4:2:1):\n\n")
	b.WriteString("| lane | starts | share | target | deviation |\n|---|---:|---:|---:|---:|\n")
	for p := 3; p >= 0; p-- {
		fmt.Fprintf(&b, "| %s | %d | %.3f | %.3f | %+.1f %% |\n", hookstream.PriorityName(hookstream.Priority(p)), e.LaneStarts[p],
			e.LaneShares[p], want[p], 100*(e.LaneShares[p]-want[p])/want[p])
	}
	return b.String()
}

// runExecutions is `hookbench --executions`: the executions benchmark
// alone, printed and written to bench/results/executions.md.
func (b *bench) runExecutions(ctx context.Context, stdout io.Writer) int {
	repo, err := findRepo()
	if err != nil {
		fmt.Fprintln(b.stderr, "hookbench: run from inside the hookstream checkout:", err)
		return 1
	}
	work, err := os.MkdirTemp(b.o.WorkDir, "hookbench-exec-")
	if err != nil {
		fmt.Fprintln(b.stderr, "hookbench:", err)
		return 1
	}
	defer func() {
		if !b.o.Keep {
			_ = os.RemoveAll(work)
		}
	}()
	res, err := benchExecutions(ctx, work, b.o.Quick, b.logf)
	if err != nil {
		fmt.Fprintln(b.stderr, "hookbench: executions:", err)
		return 1
	}
	md := res.Render()
	fmt.Fprint(stdout, "\n"+md)
	out := filepath.Join(repo, "bench", "results", "executions.md")
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil { //nolint:gosec // G306: a public report
		fmt.Fprintln(b.stderr, "hookbench: write summary:", err)
		return 1
	}
	return 0
}
