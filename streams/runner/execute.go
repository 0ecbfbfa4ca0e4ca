package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Execution states in the KV bucket.
const (
	stateRunning   = "running"
	stateCompleted = "completed"
	stateFailed    = "failed"
)

// execState is an execution's progress, the value of its key in the KV
// bucket. Outbox holds the events decided by the last transition: they
// are written to the bucket before they are appended (with deterministic
// Nats-Msg-Ids), so a crash between the two appends them on the next
// delivery, and never twice.
type execState struct {
	ExecutionID string                    `json:"executionId"`
	TriggerID   string                    `json:"triggerId"`
	TenantID    string                    `json:"tenantId"`
	WorkflowID  string                    `json:"workflowId"`
	WebhookID   string                    `json:"webhookId"`
	EventID     string                    `json:"eventId"`
	Source      string                    `json:"source"`
	Priority    hookstream.Priority       `json:"priority"`
	ReplayCount int                       `json:"replayCount,omitempty"`
	ReplayOf    string                    `json:"replayOf,omitempty"`
	RedriveOf   string                    `json:"redriveOf,omitempty"`
	Spec        hookstream.WorkflowSpec   `json:"spec"`
	Trigger     hookstream.TriggerContext `json:"trigger"`
	ReceivedAt  time.Time                 `json:"receivedAt"`
	StartedAt   time.Time                 `json:"startedAt"`
	Status      string                    `json:"status"`
	Error       string                    `json:"error,omitempty"`
	Step        int                       `json:"step"`
	Attempt     int                       `json:"attempt"`
	Waits       int                       `json:"waits,omitempty"`
	StepStarted time.Time                 `json:"stepStarted,omitzero"`
	NextAt      time.Time                 `json:"nextAt,omitzero"`
	ResumeAt    time.Time                 `json:"resumeAt,omitzero"`
	Outputs     []json.RawMessage         `json:"outputs"`
	Outbox      []outEvent                `json:"outbox,omitempty"`
}

type outEvent struct {
	ID    string               `json:"id"`
	MsgID string               `json:"msgId"`
	Type  hookstream.EventType `json:"type"`
	Time  time.Time            `json:"time"`
	Data  json.RawMessage      `json:"data"`
}

type outcomeKind int

const (
	outAck outcomeKind = iota
	outWait
	outAbandon
	outTerm
)

type outcome struct {
	kind  outcomeKind
	delay time.Duration
}

var errLostOwnership = errors.New("execution state changed under us")

// execute advances the execution of one trigger delivery as far as it can.
func (r *Runner) execute(ctx context.Context, m eventstore.Msg) outcome {
	var td hookstream.TriggeredData
	if err := json.Unmarshal(m.Event.Data, &td); err != nil || td.ExecutionID == "" {
		r.log.ErrorContext(ctx, "runner dropped malformed workflow.triggered", slog.String("trigger", m.Event.ID))
		return outcome{kind: outTerm}
	}
	st, rev, err := r.load(ctx, m.Event, &td)
	if err != nil {
		return r.transientOutcome(ctx, err)
	}
	if m.LastAttempt && st.Status == stateRunning {
		r.failExecution(st, fmt.Sprintf("gave up after %d deliveries", m.Delivered), nil)
	}
	for {
		// Flush what the last transition decided.
		if len(st.Outbox) > 0 {
			if err := r.flush(ctx, st); err != nil {
				return r.transientOutcome(ctx, err)
			}
		}
		if st.Status != stateRunning {
			// The outbox of an ended execution stays: the trigger is acked
			// now, and only a lost ack redelivers it (after AckWait, well
			// inside the duplicate window), so no clearing write is needed.
			return outcome{kind: outAck}
		}
		if wait := time.Until(st.NextAt); wait > 0 {
			if len(st.Outbox) > 0 {
				st.Outbox = nil
				if rev, err = r.put(ctx, st, rev); err != nil {
					return r.transientOutcome(ctx, err)
				}
			}
			return outcome{kind: outWait, delay: wait}
		}
		st.Outbox = nil
		if err := r.step(ctx, st, &rev); err != nil {
			return r.transientOutcome(ctx, err)
		}
		if rev, err = r.put(ctx, st, rev); err != nil {
			return r.transientOutcome(ctx, err)
		}
	}
}

func (r *Runner) transientOutcome(ctx context.Context, err error) outcome {
	if errors.Is(err, errLostOwnership) || ctx.Err() != nil {
		return outcome{kind: outAbandon}
	}
	r.log.WarnContext(ctx, "runner will retry execution", slog.String("error", err.Error()))
	return outcome{kind: outWait, delay: time.Second + time.Duration(r.cfg.RandFunc()*float64(time.Second))}
}

// load returns the execution's state, creating it (and execution.started)
// on its first delivery.
func (r *Runner) load(ctx context.Context, ev *hookstream.Event, td *hookstream.TriggeredData) (*execState, uint64, error) {
	entry, err := r.kv.Get(ctx, td.ExecutionID)
	if err == nil {
		var st execState
		if err := json.Unmarshal(entry.Value(), &st); err != nil {
			return nil, 0, fmt.Errorf("decode state of %s: %w", td.ExecutionID, err)
		}
		return &st, entry.Revision(), nil
	}
	if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, fmt.Errorf("load state of %s: %w", td.ExecutionID, err)
	}
	st := &execState{
		ExecutionID: td.ExecutionID, TriggerID: ev.ID, TenantID: ev.TenantID, WorkflowID: td.WorkflowID,
		WebhookID: ev.WebhookID, EventID: td.Trigger.EventID, Source: ev.Source, Priority: clampPriority(ev.Priority),
		ReplayCount: ev.ReplayCount, ReplayOf: ev.ReplayOf, RedriveOf: td.RedriveOf, Trigger: td.Trigger,
		ReceivedAt: receivedAt(ev, td), StartedAt: time.Now().UTC(), Status: stateRunning, Outputs: []json.RawMessage{},
	}
	if st.EventID == "" {
		st.EventID = ev.ID
	}
	wf, err := r.cfg.Workflows.Get(ctx, ev.TenantID, td.WorkflowID)
	switch {
	case hookstream.ErrorCode(err) == hookstream.ENOTFOUND:
		r.failExecution(st, fmt.Sprintf("workflow %s not found", td.WorkflowID), nil)
	case err != nil:
		return nil, 0, fmt.Errorf("workflow %s: %w", td.WorkflowID, err)
	default:
		spec, serr := SpecOf(wf)
		if serr != nil {
			r.failExecution(st, serr.Error(), nil)
			break
		}
		st.Spec = spec
		started := hookstream.ExecutionStartedData{
			ExecutionID: st.ExecutionID, WorkflowID: st.WorkflowID, EventID: st.EventID, RedriveOf: st.RedriveOf,
			ReceivedAt: st.ReceivedAt, StepCount: len(spec.Steps),
		}
		for _, s := range spec.Steps {
			started.StepTypes = append(started.StepTypes, s.Type)
			started.StepNames = append(started.StepNames, s.Name)
		}
		r.emit(st, hookstream.EventExecutionStarted, st.ExecutionID+":started", started)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return nil, 0, fmt.Errorf("encode state: %w", err)
	}
	rev, err := r.kv.Create(ctx, st.ExecutionID, data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, 0, errLostOwnership // another worker created it first
	}
	if err != nil {
		return nil, 0, fmt.Errorf("create state of %s: %w", st.ExecutionID, err)
	}
	return st, rev, nil
}

// receivedAt is when the delivery was received: the enrichment metadata's
// receivedAt, or the trigger's time.
func receivedAt(ev *hookstream.Event, td *hookstream.TriggeredData) time.Time {
	if s, ok := td.Trigger.Metadata["receivedAt"].(string); ok && td.RedriveOf == "" && ev.ReplayCount == 0 {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
	}
	return ev.Time.UTC()
}

func (r *Runner) put(ctx context.Context, st *execState, rev uint64) (uint64, error) {
	data, err := json.Marshal(st)
	if err != nil {
		return 0, fmt.Errorf("encode state: %w", err)
	}
	n, err := r.kv.Update(ctx, st.ExecutionID, data, rev)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, errLostOwnership
		}
		return 0, fmt.Errorf("save state of %s: %w", st.ExecutionID, err)
	}
	return n, nil
}

// emit adds an event to the outbox.
func (r *Runner) emit(st *execState, t hookstream.EventType, msgID string, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		panic("runner: event data does not encode: " + err.Error()) // our own types always do
	}
	st.Outbox = append(st.Outbox, outEvent{ID: eventstore.NewID(), MsgID: msgID, Type: t, Time: time.Now().UTC(), Data: raw})
}

// flush appends the outbox in order.
func (r *Runner) flush(ctx context.Context, st *execState) error {
	var ttl time.Duration
	if r.cfg.TTLFunc != nil {
		if d, err := r.cfg.TTLFunc(ctx, st.TenantID); err == nil {
			ttl = d
		}
	}
	for _, o := range st.Outbox {
		ev := &hookstream.Event{
			SpecVersion: "1.0", ID: o.ID, Source: "/workflows/" + st.WorkflowID, Type: o.Type, Time: o.Time,
			DataContentType: "application/json", TenantID: st.TenantID, WebhookID: st.WebhookID,
			WorkflowID: st.WorkflowID, Priority: st.Priority, ReplayCount: st.ReplayCount, ReplayOf: st.ReplayOf,
			Subject: st.ExecutionID, Data: o.Data,
		}
		res, err := r.cfg.Appender.Append(ctx, ev, eventstore.AppendOptions{MsgID: o.MsgID, TTL: ttl})
		if err != nil {
			return fmt.Errorf("append %s: %w", o.Type, err)
		}
		if res.Duplicate {
			continue
		}
		switch o.Type {
		case hookstream.EventExecutionStarted:
			r.observeStart(ctx, st, o.Time)
		case hookstream.EventExecutionCompleted, hookstream.EventExecutionFailed, hookstream.EventExecutionCancelled:
			r.metrics.executions.WithLabelValues(strings.TrimPrefix(o.Type, "execution.")).Inc()
			if o.Type == hookstream.EventExecutionFailed {
				r.metrics.dead.Inc()
			}
		}
	}
	return nil
}

func (r *Runner) observeStart(ctx context.Context, st *execState, at time.Time) {
	name := hookstream.PriorityName(st.Priority)
	d := max(at.Sub(st.ReceivedAt), 0)
	r.metrics.toStart.WithLabelValues(name).Observe(d.Seconds())
	if d > r.sla.targets(ctx, st.TenantID).Of(st.Priority) {
		r.metrics.breaches.WithLabelValues(name).Inc()
	}
}

func (r *Runner) failExecution(st *execState, msg string, failedStep *int) {
	st.Status, st.Error = stateFailed, msg
	st.NextAt = time.Time{}
	r.emit(st, hookstream.EventExecutionFailed, st.ExecutionID+":failed", hookstream.ExecutionFinishedData{
		ExecutionID: st.ExecutionID, WorkflowID: st.WorkflowID, EventID: st.EventID, Error: msg,
		DurationMs: time.Since(st.StartedAt).Milliseconds(), FailedStep: failedStep,
	})
}

// templateContext is what the templates of the current step see.
func (st *execState) templateContext() *templateData {
	var body any
	if len(st.Trigger.Body) > 0 {
		_ = json.Unmarshal(st.Trigger.Body, &body)
	}
	headers := make(map[string]string, len(st.Trigger.Headers))
	for k, v := range st.Trigger.Headers {
		if len(v) > 0 {
			headers[k] = v[0]
		}
	}
	steps := make([]any, len(st.Outputs))
	for i, o := range st.Outputs {
		var v any
		_ = json.Unmarshal(o, &v)
		steps[i] = v
	}
	return &templateData{
		Event: map[string]any{
			"id": st.EventID, "type": hookstream.EventWebhookReceived, "time": st.ReceivedAt.Format(time.RFC3339Nano),
			"webhookId": st.WebhookID, "priority": int(st.Priority), "executionId": st.ExecutionID,
		},
		Body: body, Headers: headers, Metadata: st.Trigger.Metadata, Steps: steps,
	}
}

// step runs (a part of) the current step and records the transition in st.
func (r *Runner) step(ctx context.Context, st *execState, rev *uint64) error {
	if st.Step >= len(st.Spec.Steps) {
		st.Status = stateCompleted
		r.emit(st, hookstream.EventExecutionCompleted, st.ExecutionID+":completed", hookstream.ExecutionFinishedData{
			ExecutionID: st.ExecutionID, WorkflowID: st.WorkflowID, EventID: st.EventID,
			DurationMs: time.Since(st.StartedAt).Milliseconds(),
		})
		return nil
	}
	s := st.Spec.Steps[st.Step]
	switch s.Type {
	case hookstream.StepLog:
		st.Attempt = 1
		r.stepStarted(st, s)
		msg, err := render("message", s.Message, st.templateContext())
		if err != nil {
			r.failStep(st, s, err.Error(), 0, "")
			return nil
		}
		r.completeStep(st, s, encodeOutput(map[string]string{"message": msg}), 0, "")
	case hookstream.StepDelay:
		if st.ResumeAt.IsZero() {
			st.Attempt = 1
			st.ResumeAt = time.Now().Add(time.Duration(s.Ms) * time.Millisecond).UTC()
			st.NextAt = st.ResumeAt
			resume := st.ResumeAt
			st.StepStarted = time.Now().UTC()
			r.emit(st, hookstream.EventStepStarted, r.stepMsgID(st, "started", 1), hookstream.StepEventData{
				ExecutionID: st.ExecutionID, StepIndex: st.Step, StepType: s.Type, Attempt: 1, ResumeAt: &resume,
			})
			return nil
		}
		r.completeStep(st, s, encodeOutput(map[string]int64{"delayedMs": s.Ms}), 0, "")
	case hookstream.StepHTTP:
		return r.httpStep(ctx, st, s, rev)
	default:
		r.failStep(st, s, fmt.Sprintf("unknown step type %q", s.Type), 0, "")
	}
	return nil
}

func (r *Runner) stepMsgID(st *execState, kind string, n int) string {
	return st.ExecutionID + ":" + strconv.Itoa(st.Step) + ":" + kind + ":" + strconv.Itoa(n)
}

func (r *Runner) stepStarted(st *execState, s hookstream.Step) {
	if st.Attempt == 1 || st.StepStarted.IsZero() {
		st.StepStarted = time.Now().UTC()
	}
	r.emit(st, hookstream.EventStepStarted, r.stepMsgID(st, "started", st.Attempt), hookstream.StepEventData{
		ExecutionID: st.ExecutionID, StepIndex: st.Step, StepType: s.Type, Attempt: st.Attempt,
	})
}

func (r *Runner) completeStep(st *execState, s hookstream.Step, output json.RawMessage, status int, excerpt string) {
	r.emit(st, hookstream.EventStepCompleted, st.ExecutionID+":"+strconv.Itoa(st.Step)+":completed", hookstream.StepEventData{
		ExecutionID: st.ExecutionID, StepIndex: st.Step, StepType: s.Type, Attempt: max(st.Attempt, 1),
		DurationMs: time.Since(st.StepStarted).Milliseconds(), StatusCode: status, ResponseExcerpt: excerpt, Output: output,
	})
	st.Outputs = append(st.Outputs, output)
	st.Step++
	st.Attempt, st.Waits = 0, 0
	st.NextAt, st.ResumeAt, st.StepStarted = time.Time{}, time.Time{}, time.Time{}
	if st.Step >= len(st.Spec.Steps) {
		st.Status = stateCompleted
		r.emit(st, hookstream.EventExecutionCompleted, st.ExecutionID+":completed", hookstream.ExecutionFinishedData{
			ExecutionID: st.ExecutionID, WorkflowID: st.WorkflowID, EventID: st.EventID,
			DurationMs: time.Since(st.StartedAt).Milliseconds(),
		})
	}
}

func (r *Runner) failStep(st *execState, s hookstream.Step, msg string, status int, excerpt string) {
	idx := st.Step
	r.emit(st, hookstream.EventStepFailed, st.ExecutionID+":"+strconv.Itoa(st.Step)+":failed", hookstream.StepEventData{
		ExecutionID: st.ExecutionID, StepIndex: st.Step, StepType: s.Type, Attempt: max(st.Attempt, 1), Error: msg,
		DurationMs: time.Since(st.StepStarted).Milliseconds(), StatusCode: status, ResponseExcerpt: excerpt,
	})
	name := s.Type
	if s.Name != "" {
		name = s.Name + " (" + s.Type + ")"
	}
	r.failExecution(st, fmt.Sprintf("step %d %s: %s", idx, name, msg), &idx)
}

// httpResult is one attempt's outcome.
type httpResult struct {
	status     int
	header     http.Header
	body       []byte
	err        error
	retryable  bool
	retryAfter time.Duration
	duration   time.Duration
}

func (r *Runner) httpStep(ctx context.Context, st *execState, s hookstream.Step, rev *uint64) error {
	tc := st.templateContext()
	target, err := render("url", s.URL, tc)
	if err != nil {
		st.Attempt = max(st.Attempt, 1)
		r.failStep(st, s, err.Error(), 0, "")
		return nil
	}
	u, ok := absoluteURL(target)
	if !ok {
		st.Attempt = max(st.Attempt, 1)
		r.failStep(st, s, fmt.Sprintf("url %q is not an absolute http or https URL", target), 0, "")
		return nil
	}
	headers := http.Header{}
	for k, v := range s.Headers {
		hv, err := render("header "+k, v, tc)
		if err != nil {
			st.Attempt = max(st.Attempt, 1)
			r.failStep(st, s, err.Error(), 0, "")
			return nil
		}
		headers.Set(k, hv)
	}
	body, err := render("body", s.Body, tc)
	if err != nil {
		st.Attempt = max(st.Attempt, 1)
		r.failStep(st, s, err.Error(), 0, "")
		return nil
	}

	hb := r.breakers.get(st.TenantID, u.Hostname(), st.Spec.Breaker)
	done, nextProbe, ok := hb.allow()
	if !ok {
		st.Waits++
		st.NextAt = nextProbe.UTC()
		next := st.NextAt
		r.emit(st, hookstream.EventStepRetrying, r.stepMsgID(st, "circuit", st.Waits), hookstream.StepEventData{
			ExecutionID: st.ExecutionID, StepIndex: st.Step, StepType: s.Type, Attempt: st.Attempt + 1,
			Error: "circuit open for " + u.Hostname(), NextAttemptAt: &next, Reason: hookstream.ReasonCircuitOpen,
		})
		return nil
	}
	st.Attempt++
	r.stepStarted(st, s)
	// Record the attempt before sending it: a crash during the request
	// counts it, so attempts stay bounded.
	nrev, err := r.put(ctx, st, *rev)
	if err != nil {
		done(true)
		return err
	}
	*rev = nrev
	res := r.send(ctx, st, s, u.String(), headers, body)
	if ctx.Err() != nil {
		done(true)
		return ctx.Err() // stopping: the next delivery makes the next attempt
	}
	excerpt := string(res.body)
	switch {
	case res.err == nil && res.status >= 200 && res.status < 300:
		done(true)
		r.metrics.attempts.WithLabelValues("success").Inc()
		out := encodeOutput(map[string]any{"statusCode": res.status, "headers": flatHeaders(res.header), "body": bodyValue(res.body)})
		r.completeStep(st, s, out, res.status, excerpt)
	case !res.retryable:
		done(true) // the destination answered (or was never dialled): not its failure
		r.metrics.attempts.WithLabelValues("failed").Inc()
		r.failStep(st, s, attemptError(res), res.status, excerpt)
	case st.Attempt >= st.Spec.Retry.MaxAttempts:
		done(false)
		r.metrics.attempts.WithLabelValues("exhausted").Inc()
		r.failStep(st, s, fmt.Sprintf("%s after %d attempts", attemptError(res), st.Attempt), res.status, excerpt)
	default:
		done(false)
		r.metrics.attempts.WithLabelValues("retry").Inc()
		delay := Backoff(st.Spec.Retry, st.Attempt, r.cfg.RandFunc)
		if res.retryAfter > 0 {
			delay = min(res.retryAfter, time.Duration(st.Spec.Retry.MaxIntervalMs)*time.Millisecond)
		}
		st.NextAt = time.Now().Add(delay).UTC()
		next := st.NextAt
		r.emit(st, hookstream.EventStepRetrying, r.stepMsgID(st, "retrying", st.Attempt), hookstream.StepEventData{
			ExecutionID: st.ExecutionID, StepIndex: st.Step, StepType: s.Type, Attempt: st.Attempt,
			Error: attemptError(res), DurationMs: res.duration.Milliseconds(), StatusCode: res.status,
			ResponseExcerpt: excerpt, NextAttemptAt: &next,
		})
	}
	return nil
}

func attemptError(res httpResult) string {
	if res.err != nil {
		return res.err.Error()
	}
	return fmt.Sprintf("%d %s", res.status, http.StatusText(res.status))
}

// Backoff is the wait after failed attempt n (1-based): full jitter, a
// random duration in [0, min(maxInterval, initial·multiplier^(n-1))].
func Backoff(p hookstream.RetryPolicy, n int, randf func() float64) time.Duration {
	p = p.WithDefaults()
	ceil := float64(p.InitialIntervalMs) * math.Pow(p.Multiplier, float64(max(n-1, 0)))
	ceil = min(ceil, float64(p.MaxIntervalMs))
	return time.Duration(randf() * ceil * float64(time.Millisecond))
}

func (r *Runner) send(ctx context.Context, st *execState, s hookstream.Step, target string, headers http.Header, body string) httpResult {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(st.Spec.TimeoutMs)*time.Millisecond)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, s.Method, target, rd)
	if err != nil {
		return httpResult{err: fmt.Errorf("build request: %w", err)}
	}
	req.Header = headers
	if req.Header.Get("Content-Type") == "" && body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "hookstream-runner/1")
	req.Header.Set("Idempotency-Key", st.ExecutionID+"-"+strconv.Itoa(st.Step))
	start := time.Now()
	resp, err := r.client.Do(req)
	res := httpResult{duration: time.Since(start)}
	if err != nil {
		res.err = err
		switch {
		case errors.Is(err, ErrDestinationRefused):
			var re *refusedError
			if errors.As(err, &re) {
				res.err = re
			}
		case errors.Is(err, errTooManyRedirects):
			res.err = fmt.Errorf("more than %d redirects", MaxRedirects)
		default:
			res.retryable = true
		}
		return res
	}
	defer resp.Body.Close()
	res.body, _ = io.ReadAll(io.LimitReader(resp.Body, hookstream.ResponseExcerptMax))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	res.status, res.header = resp.StatusCode, resp.Header
	res.duration = time.Since(start)
	switch {
	case res.status >= 200 && res.status < 300:
	case res.status == http.StatusRequestTimeout, res.status == http.StatusTooEarly,
		res.status == http.StatusTooManyRequests, res.status >= 500:
		res.retryable = true
		res.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	}
	return res
}

func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// bodyValue is a response body as a JSON value when it is JSON, else a string.
func bodyValue(b []byte) any {
	var v any
	if len(b) > 0 && json.Unmarshal(b, &v) == nil {
		return v
	}
	return string(b)
}

// encodeOutput is a step's output as JSON (outputs are built from JSON
// values, so an encoding error is reported in the output itself).
func encodeOutput(v any) json.RawMessage {
	out, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{"error":"output does not encode"}`)
	}
	return out
}

// absoluteURL parses an http or https URL with a host.
func absoluteURL(s string) (*url.URL, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}
