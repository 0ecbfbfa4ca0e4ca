package replay_test

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
	"github.com/hookstream/hookstream/projections/pgtest"
	"github.com/hookstream/hookstream/streams/replay"
	"github.com/hookstream/hookstream/streams/schema"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type bundle struct {
	t       testing.TB
	store   *eventstore.Store
	pool    *pgxpool.Pool
	acc     *projections.Accounts
	replays *projections.Replays
	tenant  hookstream.Tenant
	webhook string
	svc     *replay.Service
	admin   hookstream.Principal
	// lookup is what the service's LookupWebhook answers.
	mu     sync.Mutex
	lookup map[string]lookupEntry
}

type lookupEntry struct {
	wh hookstream.Webhook
	v  *schema.Validator
}

func setup(t testing.TB) *bundle {
	t.Helper()
	es := eventstoretest.New(t)
	pool := pgtest.NewDB(t, migrations.Migrate)
	acc := projections.NewAccounts(pool)
	tenant, err := acc.CreateTenant(t.Context(), "t-"+eventstore.NewID())
	require.NoError(t, err)
	b := &bundle{
		t: t, store: es.Store, pool: pool, acc: acc, replays: projections.NewReplays(pool), tenant: tenant,
		webhook: eventstore.NewID(), lookup: map[string]lookupEntry{},
		admin: hookstream.Principal{TenantID: tenant.ID, TokenID: "tok-admin", Role: hookstream.RoleAdmin},
	}
	// Appends go through a Batcher, as on a node (group commit).
	batcher := eventstore.NewBatcher(es.Store, eventstore.BatcherConfig{})
	require.NoError(t, batcher.Start(t.Context()))
	t.Cleanup(batcher.Stop)
	b.svc, err = replay.NewService(t.Context(), replay.Config{
		Store: es.Store, Appender: batcher, Locator: b.replays, Tenants: acc,
		LookupWebhook: func(tenantID, webhookID string) (hookstream.Webhook, *schema.Validator, bool) {
			b.mu.Lock()
			defer b.mu.Unlock()
			e, ok := b.lookup[tenantID+"/"+webhookID]
			return e.wh, e.v, ok
		},
	})
	require.NoError(t, err)
	return b
}

// deliver appends a webhook.received and records it in the delivery log as
// the delivery log projection would.
func (b *bundle) deliver(body string, at time.Time, status string) *hookstream.Event {
	b.t.Helper()
	ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
	ev.TenantID, ev.WebhookID, ev.Priority = b.tenant.ID, b.webhook, hookstream.PriorityHigh
	if !at.IsZero() {
		ev.Time = at
	}
	ev.Data = json.RawMessage(fmt.Sprintf(`{"method":"POST","path":"/api/v1/webhooks/x","headers":{},"body":%s,"contentType":"application/json","bodyBytes":%d,"auth":{"type":"signature","scheme":"github","verified":true}}`, body, len(body)))
	_, err := b.store.Append(context.Background(), ev, eventstore.AppendOptions{})
	require.NoError(b.t, err)
	b.record(ev, status)
	return ev
}

func (b *bundle) record(ev *hookstream.Event, status string) {
	b.t.Helper()
	var replayOf *string
	if ev.ReplayOf != "" {
		replayOf = &ev.ReplayOf
	}
	_, err := b.pool.Exec(context.Background(), `INSERT INTO webhook_events (id, tenant_id, webhook_id, status, stream_seq, created_at, replay_of, replay_count)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ev.ID, ev.TenantID, ev.WebhookID, status, int64(ev.Sequence), ev.Time, replayOf, ev.ReplayCount)
	require.NoError(b.t, err)
}

// replayed reads the stream's replays of the tenant: new event id → event.
func (b *bundle) replayed() (received map[string]*hookstream.Event, requested []*hookstream.Event) {
	b.t.Helper()
	received = map[string]*hookstream.Event{}
	err := b.store.Read(context.Background(), eventstore.ReadOptions{
		Stream:   eventstore.StreamHooks,
		Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, b.tenant.ID, "", "")},
	}, func(ev *hookstream.Event) error {
		switch {
		case ev.Type == hookstream.EventWebhookReceived && ev.ReplayOf != "":
			received[ev.ID] = ev
		case ev.Type == hookstream.EventReplayRequested:
			requested = append(requested, ev)
		}
		return nil
	})
	require.NoError(b.t, err)
	return received, requested
}

func TestReplayCounterPerRootAcrossChains(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	a := b.deliver(`{"n":1}`, time.Time{}, "processed")
	other := b.deliver(`{"n":2}`, time.Time{}, "processed")

	r1, err := b.svc.Replay(ctx, b.admin, a.ID, replay.Request{Reason: "first"})
	require.NoError(t, err)
	require.Equal(t, 1, r1.ReplayCount)
	require.Equal(t, a.ID, r1.RootEventID)

	// A replay of the replay counts against the same root.
	received, _ := b.replayed()
	ev1 := received[r1.EventID]
	require.NotNil(t, ev1)
	require.Equal(t, a.ID, ev1.ReplayOf)
	require.Equal(t, 1, ev1.ReplayCount)
	require.Equal(t, a.WebhookID, ev1.WebhookID)
	require.Equal(t, a.Priority, ev1.Priority)
	require.JSONEq(t, string(a.Data), string(ev1.Data))
	b.record(ev1, "processed")
	r2, err := b.svc.Replay(ctx, b.admin, ev1.ID, replay.Request{})
	require.NoError(t, err)
	require.Equal(t, 2, r2.ReplayCount)
	require.Equal(t, a.ID, r2.RootEventID)

	// Repeats of the root.
	r3, err := b.svc.Replay(ctx, b.admin, a.ID, replay.Request{})
	require.NoError(t, err)
	require.Equal(t, 3, r3.ReplayCount)
	_, err = b.svc.Replay(ctx, b.admin, a.ID, replay.Request{})
	require.Equal(t, hookstream.ECONFLICT, hookstream.ErrorCode(err), "past the default bound of 3")
	_, err = b.svc.Replay(ctx, b.admin, ev1.ID, replay.Request{})
	require.Equal(t, hookstream.ECONFLICT, hookstream.ErrorCode(err), "the chain shares the bound")

	// Another root has its own counter.
	ro, err := b.svc.Replay(ctx, b.admin, other.ID, replay.Request{})
	require.NoError(t, err)
	require.Equal(t, 1, ro.ReplayCount)

	// Raising the tenant's bound allows more, up to the hard cap.
	_, err = b.acc.SetMaxReplays(ctx, b.tenant.ID, 4)
	require.NoError(t, err)
	r4, err := b.svc.Replay(ctx, b.admin, a.ID, replay.Request{})
	require.NoError(t, err)
	require.Equal(t, 4, r4.ReplayCount)

	// Every replay appended a replay.requested that validates.
	received, requested := b.replayed()
	require.Len(t, received, 5)
	require.Len(t, requested, 5)
	v := coreValidator(t, hookstream.EventReplayRequested)
	for _, ev := range requested {
		errs, err := v.ValidateJSON(ev.Data)
		require.NoError(t, err)
		require.Empty(t, errs)
	}
}

func coreValidator(t *testing.T, name string) *schema.Validator {
	t.Helper()
	for _, ct := range schema.Core() {
		if ct.Name == name {
			v, err := schema.Compile(ct, schema.Resolver(schema.Core()...))
			require.NoError(t, err)
			return v
		}
	}
	t.Fatalf("no core type %s", name)
	return nil
}

func TestReplayCounterConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	_, err := b.acc.SetMaxReplays(ctx, b.tenant.ID, hookstream.MaxReplaysHardCap)
	require.NoError(t, err)
	a := b.deliver(`{"n":1}`, time.Time{}, "processed")

	// Two services stand for two nodes sharing the cluster.
	svc2, err := replay.NewService(ctx, replay.Config{Store: b.store, Locator: b.replays, Tenants: b.acc})
	require.NoError(t, err)
	var mu sync.Mutex
	counts := map[int]int{}
	conflicts := 0
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			svc := b.svc
			if i%2 == 1 {
				svc = svc2
			}
			res, err := svc.Replay(ctx, b.admin, a.ID, replay.Request{})
			mu.Lock()
			defer mu.Unlock()
			if hookstream.ErrorCode(err) == hookstream.ECONFLICT {
				conflicts++
				return
			}
			if !t.Failed() {
				require.NoError(t, err)
			}
			counts[res.ReplayCount]++
		})
	}
	wg.Wait()
	require.Equal(t, 20, conflicts)
	require.Len(t, counts, 10)
	for n := 1; n <= 10; n++ {
		require.Equal(t, 1, counts[n], "replay count %d given once", n)
	}
	received, _ := b.replayed()
	require.Len(t, received, 10)
	n, err := b.svc.Count(ctx, b.tenant.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, 10, n)
}

func TestReplayEditedBodyAndAudit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	a := b.deliver(`{"status":"pending","amount":5}`, time.Time{}, "failed")
	analyst := hookstream.Principal{TenantID: b.tenant.ID, TokenID: "tok-analyst", Role: hookstream.RoleAnalyst}

	res, err := b.svc.Replay(ctx, analyst, a.ID, replay.Request{Body: json.RawMessage(`{"status": "paid", "amount": 7}`), Reason: "fixed payload"})
	require.NoError(t, err)
	res2, err := b.svc.Replay(ctx, b.admin, a.ID, replay.Request{Reason: "again", WorkflowID: "wf-1"})
	require.NoError(t, err)

	received, _ := b.replayed()
	ev := received[res.EventID]
	require.NotNil(t, ev)
	var d hookstream.ReceivedData
	require.NoError(t, json.Unmarshal(ev.Data, &d))
	require.JSONEq(t, `{"status":"paid","amount":7}`, string(d.Body))
	require.Equal(t, len(`{"status":"paid","amount":7}`), d.BodyBytes)
	require.Equal(t, "application/json", d.ContentType)
	require.True(t, d.Auth.Verified, "auth is kept as verified at ingest")
	require.Equal(t, "wf-1", received[res2.EventID].WorkflowID)
	errs, err := coreValidator(t, hookstream.EventWebhookReceived).ValidateJSON(ev.Data)
	require.NoError(t, err)
	require.Empty(t, errs)

	// The audit projection, run by the projections runner.
	runner, err := projections.NewRunner(projections.RunnerConfig{Pool: b.pool, Store: b.store, Projection: projections.ReplayAudit{}})
	require.NoError(t, err)
	require.NoError(t, runner.Start(ctx))
	t.Cleanup(runner.Stop)
	var entries []projections.ReplayAuditEntry
	require.Eventually(t, func() bool {
		var root string
		root, entries, err = b.replays.Audit(ctx, b.tenant.ID, a.ID)
		return err == nil && root == a.ID && len(entries) == 2
	}, 30*time.Second, 50*time.Millisecond)
	require.Equal(t, res.EventID, entries[0].NewEventID)
	require.True(t, entries[0].Modified)
	require.Equal(t, "fixed payload", entries[0].Reason)
	require.Equal(t, replay.Actor{TokenID: "tok-analyst", Role: hookstream.RoleAnalyst}, entries[0].Actor)
	require.Equal(t, 1, entries[0].ReplayCount)
	require.False(t, entries[1].Modified)
	require.Equal(t, "tok-admin", entries[1].Actor.TokenID)
	require.Equal(t, "wf-1", entries[1].WorkflowID)
	// The audit is reachable from a replay as well (same root).
	b.record(received[res.EventID], "processed")
	root, again, err := b.replays.Audit(ctx, b.tenant.ID, res.EventID)
	require.NoError(t, err)
	require.Equal(t, a.ID, root)
	require.Len(t, again, 2)
	_, _, err = b.replays.Audit(ctx, b.tenant.ID, eventstore.NewID())
	require.Equal(t, hookstream.ENOTFOUND, hookstream.ErrorCode(err))
}

func TestReplayRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()

	_, err := b.svc.Replay(ctx, b.admin, eventstore.NewID(), replay.Request{})
	require.Equal(t, hookstream.ENOTFOUND, hookstream.ErrorCode(err))
	_, err = b.svc.Replay(ctx, b.admin, "not-a-uuid", replay.Request{})
	require.Equal(t, hookstream.ENOTFOUND, hookstream.ErrorCode(err))

	rejected := b.deliver(`{}`, time.Time{}, "rejected")
	_, err = b.svc.Replay(ctx, b.admin, rejected.ID, replay.Request{})
	require.Equal(t, hookstream.EUNPROCESSABLE, hookstream.ErrorCode(err))

	old := b.deliver(`{}`, time.Now().Add(-31*24*time.Hour), "processed")
	_, err = b.svc.Replay(ctx, b.admin, old.ID, replay.Request{})
	require.Equal(t, hookstream.EGONE, hookstream.ErrorCode(err))

	// Another tenant's event is unknown.
	a := b.deliver(`{}`, time.Time{}, "processed")
	other, err := b.acc.CreateTenant(ctx, "other-"+eventstore.NewID())
	require.NoError(t, err)
	_, err = b.svc.Replay(ctx, hookstream.Principal{TenantID: other.ID, TokenID: "x", Role: hookstream.RoleAdmin}, a.ID, replay.Request{})
	require.Equal(t, hookstream.ENOTFOUND, hookstream.ErrorCode(err))

	// Malformed edited body.
	_, err = b.svc.Replay(ctx, b.admin, a.ID, replay.Request{Body: json.RawMessage(`{"a":`)})
	require.Equal(t, hookstream.EINVALID, hookstream.ErrorCode(err))

	// A bound of 0 refuses every replay.
	_, err = b.acc.SetMaxReplays(ctx, b.tenant.ID, 0)
	require.NoError(t, err)
	_, err = b.svc.Replay(ctx, b.admin, a.ID, replay.Request{})
	require.Equal(t, hookstream.ECONFLICT, hookstream.ErrorCode(err))
	received, requested := b.replayed()
	require.Empty(t, received)
	require.Empty(t, requested)
}

func TestReplayEditedBodyUnderEnforcedSchema(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	v, err := schema.Compile(schema.Type{Name: "order.paid", Version: 1, Schema: json.RawMessage(
		`{"type":"object","properties":{"amount":{"type":"integer","minimum":1}},"required":["amount"]}`)}, nil)
	require.NoError(t, err)
	b.lookup[b.tenant.ID+"/"+b.webhook] = lookupEntry{
		wh: hookstream.Webhook{ID: b.webhook, TenantID: b.tenant.ID, SchemaMode: hookstream.SchemaEnforce, EventType: "order.paid"}, v: v,
	}
	a := b.deliver(`{"amount":5}`, time.Time{}, "processed")

	_, err = b.svc.Replay(ctx, b.admin, a.ID, replay.Request{Body: json.RawMessage(`{"amount":"five"}`)})
	require.Equal(t, hookstream.EUNPROCESSABLE, hookstream.ErrorCode(err))
	var he *hookstream.Error
	require.ErrorAs(t, err, &he)
	require.NotEmpty(t, he.Fields)
	require.Equal(t, "/amount", he.Fields[0].InstancePath)
	n, err := b.svc.Count(ctx, b.tenant.ID, a.ID)
	require.NoError(t, err)
	require.Zero(t, n, "a refused replay takes no slot")

	res, err := b.svc.Replay(ctx, b.admin, a.ID, replay.Request{Body: json.RawMessage(`{"amount":9}`)})
	require.NoError(t, err)
	require.Equal(t, 1, res.ReplayCount)
	// The unedited original replays without validation.
	_, err = b.svc.Replay(ctx, b.admin, a.ID, replay.Request{})
	require.NoError(t, err)
}

// newJobs returns a job engine for the bundle with fast progress saves.
func (b *bundle) newJobs(node string) *replay.Jobs {
	b.t.Helper()
	j, err := replay.NewJobs(replay.JobsConfig{
		Service: b.svc, Store: b.replays, NodeID: node, PollInterval: 50 * time.Millisecond,
		ProgressInterval: 100 * time.Millisecond, Lease: 10 * time.Second,
	})
	require.NoError(b.t, err)
	return j
}

func (b *bundle) waitJob(id string, done func(hookstream.ReplayJob) bool) hookstream.ReplayJob {
	b.t.Helper()
	var job hookstream.ReplayJob
	eventstoretest.Poll(b.t, 3*time.Minute, 20*time.Millisecond, func() bool {
		var err error
		job, err = b.replays.Job(context.Background(), b.tenant.ID, id)
		require.NoError(b.t, err)
		return done(job)
	}, func() string { return fmt.Sprintf("job %s: condition not reached; last %+v", id, job) })
	return job
}

// appendMany appends n deliveries of the bundle's webhook directly.
func (b *bundle) appendMany(n int) []*hookstream.Event {
	b.t.Helper()
	out := make([]*hookstream.Event, 0, n)
	for i := range n {
		ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
		ev.TenantID, ev.WebhookID = b.tenant.ID, b.webhook
		ev.Data = json.RawMessage(fmt.Sprintf(`{"method":"POST","path":"/x","headers":{},"body":{"i":%d},"bodyBytes":7,"auth":{"type":"none","verified":false}}`, i))
		_, err := b.store.Append(context.Background(), ev, eventstore.AppendOptions{})
		require.NoError(b.t, err)
		out = append(out, ev)
	}
	return out
}

func TestBatchReplayResumesExactlyOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	const n = 1500
	originals := b.appendMany(n)

	dry, err := b.newJobs("dry").Create(ctx, b.admin, replay.BatchRequest{Filter: &replay.Filter{WebhookID: b.webhook}, DryRun: true})
	require.NoError(t, err)
	require.Equal(t, int64(n), dry.Matched)
	require.Empty(t, dry.JobID)

	j1 := b.newJobs("node-1")
	res, err := j1.Create(ctx, b.admin, replay.BatchRequest{Filter: &replay.Filter{WebhookID: b.webhook}, RatePerSec: 100_000, Reason: "bulk"})
	require.NoError(t, err)
	require.Equal(t, int64(n), res.Matched)
	require.NoError(t, j1.Start(ctx))
	b.waitJob(res.JobID, func(j hookstream.ReplayJob) bool { return j.Replayed >= n/3 })
	j1.Stop() // the node goes away mid-job

	mid, err := b.replays.Job(ctx, b.tenant.ID, res.JobID)
	require.NoError(t, err)
	require.Equal(t, replay.JobRunning, mid.Status)
	require.Less(t, mid.Replayed, int64(n))

	j2 := b.newJobs("node-2")
	require.NoError(t, j2.Start(ctx))
	t.Cleanup(j2.Stop)
	job := b.waitJob(res.JobID, func(j hookstream.ReplayJob) bool { return j.Status == replay.JobCompleted })
	require.Equal(t, int64(n), job.Replayed)
	require.Zero(t, job.Skipped)
	require.Zero(t, job.Failed)
	require.NotNil(t, job.StartedAt)
	require.NotNil(t, job.FinishedAt)

	received, requested := b.replayed()
	require.Len(t, received, n, "every event replayed exactly once")
	per := map[string]int{}
	for _, ev := range received {
		per[ev.ReplayOf]++
		require.Equal(t, 1, ev.ReplayCount)
	}
	for _, o := range originals {
		require.Equal(t, 1, per[o.ID], "original %s", o.ID)
	}
	require.Len(t, requested, n)
	for _, o := range originals[:10] {
		c, err := b.svc.Count(ctx, b.tenant.ID, o.ID)
		require.NoError(t, err)
		require.Equal(t, 1, c)
	}
}

func TestBatchReplayStatusFilterIDsAndBound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	_, err := b.acc.SetMaxReplays(ctx, b.tenant.ID, 1)
	require.NoError(t, err)
	var failed, processed []*hookstream.Event
	for i := range 6 {
		failed = append(failed, b.deliver(fmt.Sprintf(`{"f":%d}`, i), time.Time{}, "failed"))
		processed = append(processed, b.deliver(fmt.Sprintf(`{"p":%d}`, i), time.Time{}, "processed"))
	}
	b.deliver(`{}`, time.Time{}, "rejected")
	// One failed event was already replayed: the batch skips it.
	_, err = b.svc.Replay(ctx, b.admin, failed[0].ID, replay.Request{})
	require.NoError(t, err)

	jobs := b.newJobs("node")
	require.NoError(t, jobs.Start(ctx))
	t.Cleanup(jobs.Stop)

	dry, err := jobs.Create(ctx, b.admin, replay.BatchRequest{Filter: &replay.Filter{Status: "failed"}, DryRun: true})
	require.NoError(t, err)
	require.Equal(t, int64(6), dry.Matched)

	res, err := jobs.Create(ctx, b.admin, replay.BatchRequest{Filter: &replay.Filter{Status: "failed", WebhookID: b.webhook}, RatePerSec: 1000})
	require.NoError(t, err)
	require.Equal(t, int64(6), res.Matched)
	job := b.waitJob(res.JobID, func(j hookstream.ReplayJob) bool { return j.Status == replay.JobCompleted })
	require.Equal(t, int64(5), job.Replayed)
	require.Equal(t, int64(1), job.Skipped, "over the bound: skipped, not failed")
	require.Zero(t, job.Failed)

	received, _ := b.replayed()
	for _, ev := range received {
		require.NotContains(t, ids(processed), ev.ReplayOf, "only failed deliveries replayed")
	}

	res, err = jobs.Create(ctx, b.admin, replay.BatchRequest{IDs: []string{processed[0].ID, processed[1].ID, eventstore.NewID()}})
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Matched)
	job = b.waitJob(res.JobID, func(j hookstream.ReplayJob) bool { return j.Status == replay.JobCompleted })
	require.Equal(t, int64(2), job.Replayed)

	// Validation.
	for _, bad := range []replay.BatchRequest{
		{},
		{IDs: []string{"x"}},
		{IDs: []string{processed[0].ID}, Filter: &replay.Filter{}},
		{Filter: &replay.Filter{Status: "rejected"}},
		{Filter: &replay.Filter{Status: "nope"}},
		{Filter: &replay.Filter{}, RatePerSec: -1},
	} {
		_, err := jobs.Create(ctx, b.admin, bad)
		require.Equal(t, hookstream.EUNPROCESSABLE, hookstream.ErrorCode(err), "%+v", bad)
	}
	_, err = jobs.Get(ctx, b.tenant.ID, "nope")
	require.Equal(t, hookstream.ENOTFOUND, hookstream.ErrorCode(err))
	other, err := b.acc.CreateTenant(ctx, "o-"+eventstore.NewID())
	require.NoError(t, err)
	_, err = jobs.Get(ctx, other.ID, res.JobID)
	require.Equal(t, hookstream.ENOTFOUND, hookstream.ErrorCode(err))
}

func ids(evs []*hookstream.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestBatchReplayCancelAndRate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	b.appendMany(300)
	jobs := b.newJobs("node")
	require.NoError(t, jobs.Start(ctx))
	t.Cleanup(jobs.Stop)

	start := time.Now()
	res, err := jobs.Create(ctx, b.admin, replay.BatchRequest{Filter: &replay.Filter{WebhookID: b.webhook}, RatePerSec: 20})
	require.NoError(t, err)
	job := b.waitJob(res.JobID, func(j hookstream.ReplayJob) bool { return j.Replayed >= 5 })
	// The limiter admits at most rate × elapsed + burst events.
	require.LessOrEqual(t, float64(job.Replayed), 20*time.Since(start).Seconds()+1)
	_, err = jobs.Cancel(ctx, b.tenant.ID, res.JobID)
	require.NoError(t, err)
	job = b.waitJob(res.JobID, func(j hookstream.ReplayJob) bool { return j.Status == replay.JobCancelled })
	require.NotNil(t, job.FinishedAt)
	require.Less(t, job.Replayed, int64(300))
	// It stays cancelled and stops appending.
	received, _ := b.replayed()
	require.Less(t, len(received), 300)
}

func TestTail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	head, err := replay.Tail(ctx, b.store, b.tenant.ID, replay.TailOptions{})
	require.NoError(t, err)
	require.Empty(t, head.Events)

	// Another tenant's events are not seen.
	foreign := eventstore.NewEvent(hookstream.EventWebhookReceived)
	foreign.TenantID, foreign.WebhookID, foreign.Data = eventstore.NewID(), b.webhook, json.RawMessage(`{}`)
	_, err = b.store.Append(ctx, foreign, eventstore.AppendOptions{})
	require.NoError(t, err)

	done := make(chan replay.TailResult, 1)
	go func() {
		after := head.Next
		res, err := replay.Tail(ctx, b.store, b.tenant.ID, replay.TailOptions{After: &after, Wait: 20 * time.Second})
		if err == nil {
			done <- res
		}
		close(done)
	}()
	a := b.appendMany(3)
	var got []*hookstream.Event
	res := <-done
	got = append(got, res.Events...)
	for len(got) < 3 {
		after := res.Next
		res, err = replay.Tail(ctx, b.store, b.tenant.ID, replay.TailOptions{After: &after, Wait: 10 * time.Second})
		require.NoError(t, err)
		got = append(got, res.Events...)
	}
	require.Equal(t, ids(a), ids(got))

	after := uint64(0)
	only, err := replay.Tail(ctx, b.store, b.tenant.ID, replay.TailOptions{After: &after, Types: []string{hookstream.EventReplayRequested}})
	require.NoError(t, err)
	require.Empty(t, only.Events)
	_, err = replay.Tail(ctx, b.store, b.tenant.ID, replay.TailOptions{After: &after, Types: []string{"webhook.received", "execution.started"}})
	require.Equal(t, hookstream.EUNPROCESSABLE, hookstream.ErrorCode(err))
}
