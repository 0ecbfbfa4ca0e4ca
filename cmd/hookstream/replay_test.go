package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// waitStatus polls GET path until it answers want (the delivery log and
// the audit are projections: they follow the stream).
func (s *testServer) waitStatus(path string, want int, out any, cond func() bool) {
	s.t.Helper()
	var raw json.RawMessage
	var st int
	poll(s.t, 90*time.Second, 50*time.Millisecond, func() bool {
		st = s.do("GET", path, s.Token, nil, &raw)
		if st != want {
			return false
		}
		require.NoError(s.t, json.Unmarshal(raw, out))
		return cond == nil || cond()
	}, func() string {
		return fmt.Sprintf("GET %s: status %d, want %d (or condition unmet): %s\nlogs: %s", path, st, want, raw, s.Logs.String())
	})
}

func (s *testServer) tokenFor(role string) string {
	s.t.Helper()
	var created struct{ Token string }
	require.Equal(s.t, http.StatusCreated, s.do("POST", "/api/v1/tokens", s.Token, map[string]string{"role": role, "name": role}, &created))
	return created.Token
}

func TestReplaySingleEndToEnd(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"name": "orders", "path": "orders-" + eventstore.NewID()[:8], "authType": "none"})
	// The pipeline filters deliveries whose status is not "paid".
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/webhooks/"+h.ID+"/filters", s.Token, map[string]any{
		"logic": "and", "rules": []any{map[string]any{"field": "$.status", "operator": "equals", "value": "paid"}},
	}, nil))
	st, out := s.post(h.Path, nil, `{"status":"paid","amount":5}`)
	require.Equal(t, http.StatusAccepted, st, out)
	orig := out["eventId"].(string)
	// The delivery log (a projection) must know the event before it replays.
	analyst, viewer := s.tokenFor("analyst"), s.tokenFor("viewer")
	type replayed struct {
		EventID     string `json:"eventId"`
		ReplayCount int    `json:"replayCount"`
	}
	replayAs := func(token, id string, body any) (int, replayed) {
		// 404 until the delivery log has the event.
		var r replayed
		var raw json.RawMessage
		st := 0
		poll(t, 90*time.Second, 50*time.Millisecond, func() bool {
			raw = nil
			st = s.do("POST", "/api/v1/events/"+id+"/replay", token, body, &raw)
			return st != http.StatusNotFound
		}, func() string { return "event " + id + " never reached the delivery log" })
		if st == http.StatusAccepted {
			require.NoError(t, json.Unmarshal(raw, &r))
		}
		return st, r
	}
	// decided waits for the decision on an event: the pipeline's derived
	// event, or the outcome ingest recorded on webhook.received (a webhook
	// without a workflow, see streams/pipeline "Decided at ingest").
	decided := func(id string) hookstream.EventType {
		var decision hookstream.EventType
		poll(t, 90*time.Second, 100*time.Millisecond, func() bool {
			for _, ev := range s.events(h, "") {
				if ev.ID == id && ev.Type == hookstream.EventWebhookReceived && ev.Outcome != "" {
					decision = "webhook." + ev.Outcome
					return true
				}
				var d struct {
					EventID string `json:"eventId"`
				}
				_ = json.Unmarshal(ev.Data, &d)
				if d.EventID == id && (ev.Type == hookstream.EventWebhookFiltered || ev.Type == hookstream.EventWebhookProcessed) {
					decision = ev.Type
					return true
				}
			}
			return false
		}, func() string { return "no pipeline decision for " + id })
		return decision
	}
	require.Equal(t, hookstream.EventWebhookProcessed, decided(orig))

	st, _ = replayAs(viewer, orig, map[string]any{})
	require.Equal(t, http.StatusForbidden, st)
	// An unknown id answers 404 at once (replayAs would wait for it).
	require.Equal(t, http.StatusNotFound, s.do("POST", "/api/v1/events/"+eventstore.NewID()+"/replay", analyst, map[string]any{}, nil))

	// An edited replay that the filter drops: the pipeline ran again.
	st, r1 := replayAs(analyst, orig, map[string]any{"body": map[string]any{"status": "refunded", "amount": 5}, "reason": "check the filter"})
	require.Equal(t, http.StatusAccepted, st)
	require.Equal(t, 1, r1.ReplayCount)
	require.Equal(t, hookstream.EventWebhookFiltered, decided(r1.EventID))
	for _, ev := range s.events(h, hookstream.EventWebhookReceived) {
		if ev.ID == r1.EventID {
			var d hookstream.ReceivedData
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			require.JSONEq(t, `{"status":"refunded","amount":5}`, string(d.Body))
			require.Equal(t, orig, ev.ReplayOf)
			require.Equal(t, 1, ev.ReplayCount)
		}
	}

	// A replay of the replay counts against the root; the plain replay of
	// the root is processed again.
	st, r2 := replayAs(s.Token, r1.EventID, nil)
	require.Equal(t, http.StatusAccepted, st)
	require.Equal(t, 2, r2.ReplayCount)
	st, r3 := replayAs(s.Token, orig, map[string]any{})
	require.Equal(t, http.StatusAccepted, st)
	require.Equal(t, 3, r3.ReplayCount)
	require.Equal(t, hookstream.EventWebhookProcessed, decided(r3.EventID))
	var p map[string]any
	require.Equal(t, http.StatusConflict, s.do("POST", "/api/v1/events/"+orig+"/replay", s.Token, map[string]any{}, &p))
	require.EqualValues(t, 409, p["status"])

	// The audit: who, why, modified.
	var audit struct {
		RootEventID string `json:"rootEventId"`
		Replays     []struct {
			NewEventID  string `json:"newEventId"`
			Modified    bool   `json:"modified"`
			Reason      string `json:"reason"`
			ReplayCount int    `json:"replayCount"`
			Actor       struct{ TokenID, Role string }
		} `json:"replays"`
	}
	s.waitStatus("/api/v1/events/"+orig+"/replays", http.StatusOK, &audit, func() bool { return len(audit.Replays) == 3 })
	require.Equal(t, orig, audit.RootEventID)
	require.Equal(t, r1.EventID, audit.Replays[0].NewEventID)
	require.True(t, audit.Replays[0].Modified)
	require.Equal(t, "check the filter", audit.Replays[0].Reason)
	require.Equal(t, "analyst", audit.Replays[0].Actor.Role)
	require.NotEmpty(t, audit.Replays[0].Actor.TokenID)
	require.False(t, audit.Replays[1].Modified)
	require.Equal(t, "admin", audit.Replays[1].Actor.Role)

	// The CLI replays over the API.
	var cliOut bytes.Buffer
	err := run(t.Context(), []string{"replay", "--url", s.URL, "--token", analyst, "--event", orig}, &cliOut, io.Discard)
	require.Error(t, err, "past the bound")
	require.Contains(t, err.Error(), "409")
}

func TestReplayBatch100kKilledHalfway(t *testing.T) {
	t.Parallel()
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 10_000
	}
	dir := t.TempDir()
	dsn := pgtest.DSN(t, migrations.Migrate)
	// A relaxed fsync keeps this test in minutes on a loaded machine; the
	// restart is an orderly stop, so nothing acknowledged is lost.
	mutate := func(c *Config) { c.DataDir, c.DatabaseURL, c.NATSSync = dir, dsn, "1s" }
	s1 := startServer(t, mutate)
	ctx := t.Context()
	p, err := s1.Main.Accounts().Authenticate(ctx, s1.Token)
	require.NoError(t, err)
	webhook := eventstore.NewID()

	// Append the deliveries directly, concurrently.
	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
				ev.TenantID, ev.WebhookID = p.TenantID, webhook
				ev.Data = json.RawMessage(fmt.Sprintf(`{"method":"POST","path":"/x","headers":{},"body":{"i":%d},"bodyBytes":8,"auth":{"type":"none","verified":false}}`, i))
				if _, err := s1.Main.Store().Append(context.Background(), ev, eventstore.AppendOptions{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	var dry struct{ Matched int }
	require.Equal(t, http.StatusOK, s1.do("POST", "/api/v1/events/replay", s1.Token,
		map[string]any{"filter": map[string]any{"webhookId": webhook}, "dryRun": true}, &dry))
	require.Equal(t, n, dry.Matched)
	var created struct {
		JobID   string `json:"jobId"`
		Matched int    `json:"matched"`
	}
	require.Equal(t, http.StatusAccepted, s1.do("POST", "/api/v1/events/replay", s1.Token,
		map[string]any{"filter": map[string]any{"webhookId": webhook}, "ratePerSec": 100_000, "reason": "bulk"}, &created))
	require.Equal(t, n, created.Matched)

	type jobView struct {
		Status   string `json:"status"`
		Matched  int    `json:"matched"`
		Replayed int    `json:"replayed"`
		Skipped  int    `json:"skipped"`
		Failed   int    `json:"failed"`
		Position uint64 `json:"position"`
	}
	var job jobView
	// Progress shows while it runs; stop the server about halfway.
	var seen []int
	poll(t, 10*time.Minute, 100*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s1.do("GET", "/api/v1/replays/"+created.JobID, s1.Token, nil, &job))
		if len(seen) == 0 || seen[len(seen)-1] != job.Replayed {
			seen = append(seen, job.Replayed)
		}
		return job.Replayed >= n/2
	}, func() string { return fmt.Sprintf("no progress: %+v", job) })
	s1.Main.Close()
	require.Greater(t, len(seen), 2, "progress was visible: %v", seen)

	s2 := startServer(t, mutate)
	poll(t, 10*time.Minute, 100*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s2.do("GET", "/api/v1/replays/"+created.JobID, s2.Token, nil, &job))
		return job.Status == "completed"
	}, func() string { return fmt.Sprintf("job did not finish: %+v", job) })
	require.Equal(t, n, job.Replayed)
	require.Zero(t, job.Skipped+job.Failed)

	// Every delivery was replayed exactly once.
	per := make(map[string]int, n)
	replays := 0
	err = s2.Main.Store().Read(ctx, eventstore.ReadOptions{
		Stream:   eventstore.StreamHooks,
		Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, p.TenantID, webhook, hookstream.EventWebhookReceived)},
	}, func(ev *hookstream.Event) error {
		if ev.ReplayOf == "" {
			per[ev.ID] += 0
		} else {
			per[ev.ReplayOf]++
			replays++
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, n, replays)
	require.Len(t, per, n)
	for id, c := range per {
		if c != 1 {
			t.Fatalf("delivery %s replayed %d times", id, c)
		}
	}

	// The CLI follows the (finished) job.
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"replay", "--url", s2.URL, "--token", s2.Token, "--job", created.JobID, "--quiet"}, &out, io.Discard))
	require.Contains(t, out.String(), `"completed"`)
}

// The long-poll tail endpoint validates its cursor; the CLI now follows
// the live feed (TestEventsTailUsesTheFeed).
func TestEventsLiveEndpoint(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var p map[string]any
	require.Equal(t, http.StatusBadRequest, s.do("GET", "/api/v1/events/live?after=x", s.Token, nil, &p))
}
