package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/streams/schema"
	"github.com/hookstream/hookstream/streams/sqsbridge/sqstest"
)

type execSummary struct {
	ID           string     `json:"id"`
	WorkflowID   string     `json:"workflowId"`
	WorkflowName string     `json:"workflowName"`
	WebhookID    string     `json:"webhookId"`
	EventID      string     `json:"eventId"`
	Priority     int        `json:"priority"`
	Status       string     `json:"status"`
	Error        *string    `json:"error"`
	RedriveOf    *string    `json:"redriveOf"`
	StartedAt    *time.Time `json:"startedAt"`
	FinishedAt   *time.Time `json:"finishedAt"`
	DurationMs   *int64     `json:"durationMs"`
	StepCount    int        `json:"stepCount"`
	CurrentStep  int        `json:"currentStep"`
}

type execDetail struct {
	execSummary
	TriggerData map[string]any `json:"triggerData"`
	Steps       []struct {
		Index    int    `json:"index"`
		Type     string `json:"type"`
		Status   string `json:"status"`
		Attempts []struct {
			Attempt         int     `json:"attempt"`
			StatusCode      *int    `json:"statusCode"`
			Error           *string `json:"error"`
			ResponseExcerpt *string `json:"responseExcerpt"`
			DurationMs      *int64  `json:"durationMs"`
		} `json:"attempts"`
	} `json:"steps"`
}

type deadLetter struct {
	ID                 string  `json:"id"`
	ExecutionID        string  `json:"executionId"`
	WorkflowID         string  `json:"workflowId"`
	Error              string  `json:"error"`
	RedriveExecutionID *string `json:"redriveExecutionId"`
	RedriveCount       int     `json:"redriveCount"`
}

func (s *testServer) executions(t *testing.T, query string) []execSummary {
	t.Helper()
	var page struct {
		Executions []execSummary `json:"executions"`
		NextCursor *string       `json:"nextCursor"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/executions?"+query, s.Token, nil, &page))
	return page.Executions
}

// waitExecution polls an execution until it reaches one of the statuses.
func (s *testServer) waitExecution(t *testing.T, id string, statuses ...string) execDetail {
	t.Helper()
	var ex execDetail
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		ex = execDetail{}
		var raw json.RawMessage
		if s.do("GET", "/api/v1/executions/"+id, s.Token, nil, &raw) != http.StatusOK {
			return false
		}
		require.NoError(t, json.Unmarshal(raw, &ex))
		for _, st := range statuses {
			if ex.Status == st {
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("execution %s is %q, want %v", id, ex.Status, statuses) })
	return ex
}

func TestExecutionsAPI(t *testing.T) {
	t.Parallel()
	var okHits, failHits atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			failHits.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		okHits.Add(1)
		_, _ = w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(sink.Close)
	s := startServer(t, func(c *Config) { c.OutboundAllowCIDRs = "127.0.0.1/32" })

	// Workflow validation: a http step without url names the field; a
	// broken template is refused at save time.
	var p struct{ Errors []hookstream.FieldError }
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "bad", "steps": []any{map[string]any{"type": "http", "method": "POST"}},
	}, &p))
	require.Equal(t, "steps[0].url", p.Errors[0].Field)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "bad", "steps": []any{map[string]any{"type": "http", "url": sink.URL, "body": "{{.Body"}},
	}, &p))
	require.Equal(t, "steps[0].body", p.Errors[0].Field)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "bad", "steps": []any{map[string]any{"type": "delay"}}, "retry": map[string]any{"maxAttempts": 500},
	}, &p))
	require.ElementsMatch(t, []string{"steps[0].ms", "retry.maxAttempts"}, []string{p.Errors[0].Field, p.Errors[1].Field})

	var okWf, failWf map[string]any
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "notify", "steps": []any{
			map[string]any{"type": "http", "name": "post", "url": sink.URL + "/ok/{{.Body.id}}", "body": `{{json .Body}}`},
			map[string]any{"type": "log", "message": "sent {{(index .Steps 0).statusCode}}"},
		},
	}, &okWf))
	require.EqualValues(t, 5, okWf["retry"].(map[string]any)["maxAttempts"])
	require.EqualValues(t, 10000, okWf["timeoutMs"])
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "failing", "steps": []any{map[string]any{"type": "http", "url": sink.URL + "/fail"}},
		"retry":   map[string]any{"maxAttempts": 2, "initialIntervalMs": 10, "maxIntervalMs": 20, "multiplier": 2},
		"breaker": map[string]any{"failureThreshold": 100, "cooldownMs": 1000},
	}, &failWf))
	okID, failID := okWf["id"].(string), failWf["id"].(string)

	// PUT and DELETE round trip on a third workflow.
	var tmp map[string]any
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{"name": "tmp", "steps": []any{}}, &tmp))
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/workflows/"+tmp["id"].(string), s.Token, map[string]any{
		"name": "tmp2", "description": "d", "steps": []any{map[string]any{"type": "delay", "ms": 5}}, "timeoutMs": 2000,
	}, &tmp))
	require.Equal(t, "tmp2", tmp["name"])
	require.EqualValues(t, 2000, tmp["timeoutMs"])
	require.Equal(t, http.StatusUnprocessableEntity, s.do("PUT", "/api/v1/workflows/"+tmp["id"].(string), s.Token, map[string]any{
		"name": "tmp2", "steps": []any{map[string]any{"type": "log", "message": "{{end}}"}},
	}, nil))
	require.Equal(t, http.StatusNoContent, s.do("DELETE", "/api/v1/workflows/"+tmp["id"].(string), s.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/workflows/"+tmp["id"].(string), s.Token, nil, nil))

	createWebhook(t, s, map[string]any{"name": "ok", "path": "exec-ok", "authType": "none", "workflowId": okID, "priority": 3})
	createWebhook(t, s, map[string]any{"name": "fail", "path": "exec-fail", "authType": "none", "workflowId": failID})

	status, out := send(t, s, "exec-ok", `{"id":"o-1"}`)
	require.Equal(t, http.StatusAccepted, status)
	eventID := out["eventId"].(string)

	// The event detail's executionId links to the execution.
	var execID string
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		var ev struct{ ExecutionID string }
		s.do("GET", "/api/v1/events/"+eventID, s.Token, nil, &ev)
		execID = ev.ExecutionID
		return execID != ""
	}, func() string { return "no executionId on the event" })
	ex := s.waitExecution(t, execID, "completed")
	require.Equal(t, okID, ex.WorkflowID)
	require.Equal(t, "notify", ex.WorkflowName)
	require.Equal(t, eventID, ex.EventID)
	require.Equal(t, 3, ex.Priority)
	require.Equal(t, 2, ex.StepCount)
	require.Equal(t, 2, ex.CurrentStep)
	require.NotNil(t, ex.DurationMs)
	require.NotNil(t, ex.FinishedAt)
	require.Equal(t, eventID, ex.TriggerData["eventId"])
	require.Len(t, ex.Steps, 2)
	require.Equal(t, "completed", ex.Steps[0].Status)
	require.Len(t, ex.Steps[0].Attempts, 1)
	require.Equal(t, 200, *ex.Steps[0].Attempts[0].StatusCode)
	require.JSONEq(t, `{"received":true}`, *ex.Steps[0].Attempts[0].ResponseExcerpt)

	// Filters and keyset pagination.
	require.Len(t, s.executions(t, "workflowId="+okID), 1)
	require.Len(t, s.executions(t, "eventId="+eventID+"&status=completed&priority=critical"), 1)
	require.Empty(t, s.executions(t, "workflowId="+okID+"&status=failed"))
	require.Equal(t, http.StatusBadRequest, s.do("GET", "/api/v1/executions?status=bogus", s.Token, nil, nil))
	for i := range 3 {
		st, _ := send(t, s, "exec-ok", fmt.Sprintf(`{"id":"p-%d"}`, i))
		require.Equal(t, http.StatusAccepted, st)
	}
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		return len(s.executions(t, "workflowId="+okID+"&status=completed")) == 4
	}, func() string { return "4 completed executions" })
	var page struct {
		Executions []execSummary `json:"executions"`
		NextCursor *string       `json:"nextCursor"`
	}
	seen := map[string]bool{}
	cursor := ""
	for {
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/executions?limit=3&workflowId="+okID+cursor, s.Token, nil, &page))
		for _, e := range page.Executions {
			require.False(t, seen[e.ID])
			seen[e.ID] = true
		}
		if page.NextCursor == nil {
			break
		}
		cursor = "&cursor=" + *page.NextCursor
	}
	require.Len(t, seen, 4)

	// A failing execution: exhausted attempts, execution failed, one dead letter.
	status, _ = send(t, s, "exec-fail", `{"id":"f-1"}`)
	require.Equal(t, http.StatusAccepted, status)
	var failed execSummary
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		list := s.executions(t, "workflowId="+failID+"&status=failed")
		if len(list) == 1 {
			failed = list[0]
		}
		return len(list) == 1
	}, func() string { return "no failed execution" })
	require.Contains(t, *failed.Error, "after 2 attempts")
	fd := s.waitExecution(t, failed.ID, "failed")
	require.Len(t, fd.Steps[0].Attempts, 2)
	require.Equal(t, 503, *fd.Steps[0].Attempts[1].StatusCode)
	var dls struct {
		DeadLetters []deadLetter `json:"deadLetters"`
	}
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/dead-letters?workflowId="+failID, s.Token, nil, &dls))
		return len(dls.DeadLetters) == 1
	}, func() string { return "no dead letter" })
	dl := dls.DeadLetters[0]
	require.Equal(t, failed.ID, dl.ExecutionID)

	// Single redrive: a new execution linked both ways.
	var rd struct{ ExecutionID, DeadLetterID string }
	require.Equal(t, http.StatusAccepted, s.do("POST", "/api/v1/dead-letters/"+dl.ID+"/redrive", s.Token, nil, &rd))
	require.Equal(t, dl.ID, rd.DeadLetterID)
	again := s.waitExecution(t, rd.ExecutionID, "failed")
	require.NotNil(t, again.RedriveOf)
	require.Equal(t, failed.ID, *again.RedriveOf)
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/dead-letters?workflowId="+failID, s.Token, nil, &dls))
		for _, d := range dls.DeadLetters {
			if d.ID == dl.ID {
				return d.RedriveExecutionID != nil && *d.RedriveExecutionID == rd.ExecutionID && d.RedriveCount == 1
			}
		}
		return false
	}, func() string { return fmt.Sprintf("dead letter not linked: %+v", dls.DeadLetters) })
	require.Len(t, dls.DeadLetters, 2, "the redriven execution failed again: a dead letter of its own")

	// Bulk redrive: dry run, then a job with progress.
	var dry struct{ Matched int }
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/dead-letters/redrive", s.Token, map[string]any{
		"filter": map[string]any{"workflowId": failID}, "dryRun": true,
	}, &dry))
	require.Equal(t, 2, dry.Matched)
	require.Equal(t, http.StatusUnprocessableEntity, s.do("POST", "/api/v1/dead-letters/redrive", s.Token, map[string]any{}, nil))
	var job struct {
		JobID   string `json:"jobId"`
		Matched int    `json:"matched"`
	}
	require.Equal(t, http.StatusAccepted, s.do("POST", "/api/v1/dead-letters/redrive", s.Token, map[string]any{"ids": []string{dl.ID}}, &job))
	require.Equal(t, 1, job.Matched)
	var js struct {
		JobID, Status       string
		Matched, Done, Fail int
		FinishedAt          *time.Time
	}
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/redrives/"+job.JobID, s.Token, nil, &js))
		return js.Status == "completed"
	}, func() string { return "job not completed: " + js.Status })
	require.Equal(t, 1, js.Done)
	require.NotNil(t, js.FinishedAt)
	var jobs struct {
		Jobs []struct{ JobID string } `json:"jobs"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/redrives", s.Token, nil, &jobs))
	require.Equal(t, job.JobID, jobs.Jobs[0].JobID)
	require.Equal(t, http.StatusOK, s.do("DELETE", "/api/v1/redrives/"+job.JobID, s.Token, nil, &js))
	require.Equal(t, "completed", js.Status, "a finished job stays finished")
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/dead-letters?workflowId="+failID, s.Token, nil, &dls))
		for _, d := range dls.DeadLetters {
			if d.ID == dl.ID {
				return d.RedriveCount == 2
			}
		}
		return false
	}, func() string { return "bulk redrive not recorded" })
	// The bulk-redriven execution fails too: a third dead letter.
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/dead-letters?workflowId="+failID, s.Token, nil, &dls))
		return len(dls.DeadLetters) == 3
	}, func() string { return fmt.Sprintf("%d dead letters, want 3", len(dls.DeadLetters)) })

	// Breakers: the sink's host, closed.
	var br struct {
		Breakers []struct {
			Host, State         string
			ConsecutiveFailures int
		} `json:"breakers"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/breakers", s.Token, nil, &br))
	require.Len(t, br.Breakers, 1)
	require.Equal(t, "127.0.0.1", br.Breakers[0].Host)
	require.Equal(t, "closed", br.Breakers[0].State)

	// SLA: four priorities, critical first; settings round trip.
	var sla struct {
		Priorities []struct {
			Priority int
			Name     string
			TargetMs int64
			Hour     struct {
				Started  int
				P50Ms    *float64
				Breaches int
			}
		} `json:"priorities"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/sla", s.Token, nil, &sla))
	require.Len(t, sla.Priorities, 4)
	require.Equal(t, "critical", sla.Priorities[0].Name)
	require.EqualValues(t, 1000, sla.Priorities[0].TargetMs)
	require.Equal(t, 4, sla.Priorities[0].Hour.Started)
	require.NotNil(t, sla.Priorities[0].Hour.P50Ms)
	require.Equal(t, "low", sla.Priorities[3].Name)
	var targets struct {
		TargetsMs map[string]int64 `json:"targetsMs"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/settings/sla", s.Token, nil, &targets))
	require.Equal(t, map[string]int64{"critical": 1000, "high": 5000, "normal": 30000, "low": 300000}, targets.TargetsMs)
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/settings/sla", s.Token, map[string]any{"targetsMs": map[string]any{"critical": 1}}, &targets))
	require.EqualValues(t, 1, targets.TargetsMs["critical"])
	require.EqualValues(t, 5000, targets.TargetsMs["high"])
	require.Equal(t, http.StatusUnprocessableEntity, s.do("PUT", "/api/v1/settings/sla", s.Token, map[string]any{"targetsMs": map[string]any{"low": 0}}, nil))
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/sla", s.Token, nil, &sla))
	require.Equal(t, 4, sla.Priorities[0].Hour.Breaches, "every start counts against a 1 ms target")

	// Metrics: SLA, breakers, executions.
	req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/metrics", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"hookstream_runner_time_to_start_seconds", "hookstream_runner_breaker_state", "hookstream_runner_executions_total", "hookstream_runner_sla_breaches_total", "hookstream_runner_dead_letters_total 3"} {
		require.True(t, strings.Contains(string(raw), m), m)
	}

	// The runner's events (and redrive triggers) are valid under the latest
	// registered version of their core type.
	requireValidUnderLatest(t, s)

	// Both read models rebuild to the same answers.
	snapshot := func() []string {
		var a, b, c json.RawMessage
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/executions/"+execID, s.Token, nil, &a))
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/executions/"+rd.ExecutionID, s.Token, nil, &b))
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/dead-letters", s.Token, nil, &c))
		return []string{string(a), string(b), string(c)}
	}
	before := snapshot()
	for _, name := range []string{"executions", "execution_triggers"} {
		var cliOut, cliErr bytes.Buffer
		require.NoError(t, run(t.Context(), []string{"projections", "rebuild", name, "--url", s.URL, "--token", s.Token, "--poll", "50ms"}, &cliOut, &cliErr), cliErr.String())
		require.Contains(t, cliOut.String(), "rebuilt "+name)
	}
	after := snapshot()
	for i := range before {
		require.JSONEq(t, before[i], after[i])
	}

	// Tenancy: another tenant sees none of it (404, not 403).
	var outBuf bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"tenants", "create", "--name", "other", "--database-url", s.Main.Config.DatabaseURL}, &outBuf, io.Discard))
	var other struct{ TenantID, Token string }
	require.NoError(t, json.Unmarshal(outBuf.Bytes(), &other))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/executions/"+execID, other.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("POST", "/api/v1/dead-letters/"+dl.ID+"/redrive", other.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/redrives/"+job.JobID, other.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("DELETE", "/api/v1/redrives/"+job.JobID, other.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/workflows/"+okID, other.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("PUT", "/api/v1/workflows/"+okID, other.Token, map[string]any{"name": "x", "steps": []any{}}, nil))
	require.Equal(t, http.StatusNotFound, s.do("DELETE", "/api/v1/workflows/"+okID, other.Token, nil, nil))
	var empty struct {
		Executions []execSummary `json:"executions"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/executions", other.Token, nil, &empty))
	require.Empty(t, empty.Executions)
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/breakers", other.Token, nil, &br))
	require.Empty(t, br.Breakers)
	require.Positive(t, okHits.Load())
	require.EqualValues(t, 6, failHits.Load(), "2 attempts x (first run, single redrive, bulk redrive)")
}

// TestExecutorSQSLeavesTriggers: with HOOKSTREAM_EXECUTOR=sqs the runner
// does not consume workflow.triggered (another engine runs workflows), but
// the executions read model and API still serve what is in the streams.
// Not t.Parallel: it sets the AWS environment of the process.
func TestExecutorSQSLeavesTriggers(t *testing.T) {
	q := sqstest.Start(t)
	sqsEnv(t, q)
	queue := q.CreateQueue(t, "triggers", sqstest.QueueOptions{})
	s := startServer(t, func(c *Config) { c.Executor, c.SQSQueueURL = "sqs", queue })
	var wf map[string]any
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "external", "steps": []any{map[string]any{"type": "log", "message": "x"}},
	}, &wf))
	createWebhook(t, s, map[string]any{"name": "ext", "path": "exec-sqs", "authType": "none", "workflowId": wf["id"]})
	status, _ := send(t, s, "exec-sqs", `{"id":1}`)
	require.Equal(t, http.StatusAccepted, status)
	var list []execSummary
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		list = s.executions(t, "workflowId="+wf["id"].(string))
		return len(list) == 1
	}, func() string { return "the trigger is not in the executions read model" })
	require.Equal(t, "pending", list[0].Status)
	var br struct {
		Breakers []any `json:"breakers"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/breakers", s.Token, nil, &br))
	require.Empty(t, br.Breakers)
	info, err := s.Main.Store().JetStream().Consumer(t.Context(), "HOOKS", "runner-normal")
	require.Error(t, err, "no runner consumer with the sqs executor: %v", info)
}

// requireValidUnderLatest validates every EXEC event against the latest
// registered version of its type. (workflow.triggered is the pipeline's:
// its trigger metadata carries enrichment fields, e.g. userAgent.
// browserVersion, that webhook.received v1's metadata schema does not
// list; a redrive copies that trigger as it is.)
func requireValidUnderLatest(t *testing.T, s *testServer) {
	t.Helper()
	validators := map[string]*schema.Validator{}
	validator := func(name string) *schema.Validator {
		if v, ok := validators[name]; ok {
			return v
		}
		var et struct {
			LatestVersion int `json:"latestVersion"`
			Versions      []struct {
				Version int             `json:"version"`
				Schema  json.RawMessage `json:"schema"`
			} `json:"versions"`
		}
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/event-types/"+name, s.Token, nil, &et))
		last := et.Versions[len(et.Versions)-1]
		require.Equal(t, et.LatestVersion, last.Version)
		v, err := schema.Compile(schema.Type{Name: name, Version: last.Version, Schema: last.Schema}, schema.Resolver(schema.Core()...))
		require.NoError(t, err)
		validators[name] = v
		return v
	}
	seen := map[string]int{}
	check := func(ev *hookstream.Event) error {
		errs, err := validator(ev.Type).ValidateJSON(ev.Data)
		require.NoError(t, err)
		require.Empty(t, errs, "%s %s", ev.Type, ev.Data)
		seen[ev.Type]++
		return nil
	}
	require.NoError(t, s.Main.Store().Read(t.Context(), eventstore.ReadOptions{Stream: eventstore.StreamExec}, check))
	for _, typ := range []string{"execution.started", "execution.completed", "execution.failed", "step.started", "step.completed", "step.retrying", "step.failed"} {
		require.Positive(t, seen[typ], typ)
	}
}
