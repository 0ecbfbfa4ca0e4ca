package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/streams/filter"
	"github.com/hookstream/hookstream/streams/schema"
)

// Defaults of Config.
const (
	DurableDefault     = "pipeline"
	BatchSizeDefault   = 128
	ConcurrencyDefault = 128
	InFlightDefault    = 4
	FetchWaitDefault   = time.Second
	RetryMinDefault    = 200 * time.Millisecond
	RetryMaxDefault    = 10 * time.Second
	MaxDeliverDefault  = 100
	// MissingWebhookGraceDefault: see Config.MissingWebhookGrace.
	MissingWebhookGraceDefault = 10 * time.Second
)

// ErrWebhookDeleted is the error of webhook.failed when the webhook of a
// received event is no longer in the registry.
var ErrWebhookDeleted = errors.New("webhook deleted")

// WebhookRegistry is the in-memory webhook configuration (the ingest
// cache, streams/webhooks). Get returns false for an unknown webhook or one
// of another tenant.
type WebhookRegistry interface {
	Get(tenantID, id string) (hookstream.Webhook, bool)
}

// FilterStore reads webhook filter rule sets (table webhook_filters).
type FilterStore interface {
	// Versions returns the version of each webhook's rule set; webhooks
	// without one are absent. Errors: the store is unreachable.
	Versions(ctx context.Context, webhookIDs []string) (map[string]time.Time, error)
	// RuleSet returns a webhook's rule set (JSON of a filter.RuleSet) and
	// its version. Errors: hookstream.ErrNotFound when it has none.
	RuleSet(ctx context.Context, webhookID string) (json.RawMessage, time.Time, error)
}

// Appender is the one append interface (hookstream.Appender): *eventstore.Store,
// or an *eventstore.Batcher for group commit (one fsync per batch of
// derived events instead of one per event).
type Appender = hookstream.Appender

var (
	_ Appender = (*eventstore.Store)(nil)
	_ Appender = (*eventstore.Batcher)(nil)
)

// Config configures a Pipeline. Store, Webhooks, Filters and Schemas are
// required.
type Config struct {
	// Store is where received events are consumed from (and derived events
	// appended to when Appender is nil).
	Store *eventstore.Store
	// Appender appends the derived events; default Store.
	Appender Appender
	Webhooks WebhookRegistry
	Filters  FilterStore
	Schemas  *Schemas
	Logger   *slog.Logger
	// Durable names the JetStream consumer; default "pipeline". Every node
	// uses the same durable, so JetStream spreads events among them.
	Durable string
	// BatchSize is the number of events fetched at once; default 128.
	BatchSize int
	// Concurrency is the number of events of a batch processed at once;
	// default 128. Appends wait for their PubAck, so this is what keeps the
	// store (and a Batcher's batches) busy.
	Concurrency int
	// InFlight is the number of fetched batches processed at once; default
	// 4. Overlapping batches keeps appends flowing while a batch waits for
	// its last PubAcks.
	InFlight int
	// FetchWait is how long a fetch waits for events; default 1 s.
	FetchWait time.Duration
	// RetryMin and RetryMax bound the backoff between attempts when
	// PostgreSQL or JetStream is unavailable; defaults 200 ms and 10 s.
	RetryMin, RetryMax time.Duration
	// MaxDeliver of the consumer; default 100. Transient failures are
	// retried in-process without a redelivery, so deliveries only count
	// crashes and stops.
	MaxDeliver int
	// MissingWebhookGrace is how long after its time an event whose webhook
	// is not in the registry waits for it (a webhook created on another node
	// reaches this node's registry through a KV watch, milliseconds later)
	// before it is declared deleted; default 10 s.
	MissingWebhookGrace time.Duration
	// TTLFunc, when set, returns the Nats-TTL of the events derived for a
	// tenant (its retention); nil or an error uses the stream's MaxAge.
	TTLFunc func(ctx context.Context, tenantID string) (time.Duration, error)
}

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Appender == nil && c.Store != nil {
		c.Appender = c.Store
	}
	if c.Durable == "" {
		c.Durable = DurableDefault
	}
	if c.BatchSize <= 0 {
		c.BatchSize = BatchSizeDefault
	}
	if c.Concurrency <= 0 {
		c.Concurrency = ConcurrencyDefault
	}
	if c.InFlight <= 0 {
		c.InFlight = InFlightDefault
	}
	if c.FetchWait <= 0 {
		c.FetchWait = FetchWaitDefault
	}
	if c.RetryMin <= 0 {
		c.RetryMin = RetryMinDefault
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(RetryMaxDefault, c.RetryMin)
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = MaxDeliverDefault
	}
	if c.MissingWebhookGrace <= 0 {
		c.MissingWebhookGrace = MissingWebhookGraceDefault
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("pipeline: Store is required")
	case c.Webhooks == nil:
		return errors.New("pipeline: Webhooks is required")
	case c.Filters == nil:
		return errors.New("pipeline: Filters is required")
	case c.Schemas == nil:
		return errors.New("pipeline: Schemas is required")
	}
	return nil
}

// Pipeline is the durable consumer of webhook.received (see the package doc).
type Pipeline struct {
	cfg     Config
	log     *slog.Logger
	filters *programCache

	lc hookstream.StartStop
}

// New returns a Pipeline; Start runs it.
func New(cfg Config) (*Pipeline, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Pipeline{cfg: cfg, log: cfg.Logger, filters: newProgramCache(cfg.Filters)}, nil
}

// ConsumerConfig is the durable consumer the pipeline reads from.
func (p *Pipeline) ConsumerConfig() eventstore.ConsumerConfig {
	return eventstore.ConsumerConfig{
		Stream:         eventstore.StreamHooks,
		Durable:        p.cfg.Durable,
		FilterSubjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, "", "", hookstream.EventWebhookReceived)},
		MaxDeliver:     p.cfg.MaxDeliver,
	}
}

// Start creates (or updates) the durable consumer and starts consuming in
// the background until Stop.
func (p *Pipeline) Start(ctx context.Context) error {
	runCtx, ok := p.lc.StartInit(ctx)
	if !ok {
		return nil
	}
	cons, err := p.cfg.Store.Durable(ctx, p.ConsumerConfig())
	if err != nil {
		p.lc.Stop()
		return err
	}
	p.lc.Go(func() { p.run(runCtx, cons) })
	return nil
}

// Stop ends consumption and waits for the batch in hand: its events are
// either appended and acked or left unacked for redelivery.
func (p *Pipeline) Stop() { p.lc.Stop() }

func (p *Pipeline) run(ctx context.Context, cons *eventstore.Consumer) {
	policy, failures := p.backoff(), 0
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, p.cfg.InFlight)
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		msgs, err := cons.Fetch(ctx, p.cfg.BatchSize, p.cfg.FetchWait)
		if err != nil && len(msgs) == 0 {
			if ctx.Err() != nil {
				return
			}
			<-slots
			p.log.WarnContext(ctx, "pipeline fetch failed", slog.String("error", err.Error()))
			failures++
			policy.Wait(ctx, failures)
			continue
		}
		failures = 0
		if len(msgs) == 0 {
			<-slots
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			p.handleBatch(ctx, msgs)
		}()
	}
}

// backoff is the pipeline's retry policy: hookstream.Backoff (full
// jitter) from RetryMin to RetryMax.
func (p *Pipeline) backoff() hookstream.Backoff {
	return hookstream.Backoff{Base: p.cfg.RetryMin, Max: p.cfg.RetryMax}
}

// transientError marks a failure worth retrying (PostgreSQL or JetStream
// unavailable): the event is not acked and not marked failed.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func transient(err error) error { return &transientError{err: err} }

func isTransient(err error) bool {
	var te *transientError
	return errors.As(err, &te)
}

// handleBatch processes a batch and acks each event after its appends.
// Events that failed transiently are retried in-process with backoff,
// keeping their ack deadline alive, until they succeed or ctx ends.
func (p *Pipeline) handleBatch(ctx context.Context, msgs []eventstore.Msg) {
	pending := make([]eventstore.Msg, 0, len(msgs))
	for _, m := range msgs {
		if m.DecodeErr != nil {
			// Nothing to reference in a derived event: park it.
			p.log.ErrorContext(ctx, "pipeline dropped undecodable event",
				slog.Uint64("seq", m.Event.Sequence), slog.String("error", m.DecodeErr.Error()))
			_ = m.Term()
			continue
		}
		pending = append(pending, m)
	}
	policy := p.backoff()
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			for _, m := range pending {
				_ = m.InProgress()
			}
			policy.Wait(ctx, attempt)
		}
		if ctx.Err() != nil {
			// Stopping: hand the events back for redelivery.
			for _, m := range pending {
				_ = m.Nak()
			}
			return
		}
		pending = p.attempt(ctx, pending)
	}
}

// attempt processes msgs concurrently and returns those that failed
// transiently.
func (p *Pipeline) attempt(ctx context.Context, msgs []eventstore.Msg) []eventstore.Msg {
	ids := make([]string, 0, len(msgs))
	undecided := msgs[:0:0]
	for _, m := range msgs {
		if m.Event.Outcome != "" {
			// Ingest recorded the decision (Decider): nothing to append.
			// A redelivery after a lost ack is skipped the same way.
			_ = m.AckAsync()
			continue
		}
		undecided = append(undecided, m)
		ids = append(ids, m.Event.WebhookID)
	}
	msgs = undecided
	if len(msgs) == 0 {
		return nil
	}
	progs, verr := p.filters.refresh(ctx, ids)
	if verr != nil {
		p.log.WarnContext(ctx, "pipeline cannot check filter versions; using cached filters",
			slog.String("error", verr.Error()))
	}

	var (
		mu    sync.Mutex
		retry []eventstore.Msg
		wg    sync.WaitGroup
		sem   = make(chan struct{}, p.cfg.Concurrency)
	)
	for _, m := range msgs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			entry, known := progs[m.Event.WebhookID]
			var err error
			if !known {
				err = transient(fmt.Errorf("filter of webhook %s unknown: %w", m.Event.WebhookID, verr))
			} else {
				err = p.process(ctx, m.Event, entry)
			}
			if err == nil {
				if aerr := m.Ack(ctx); aerr != nil {
					// The appends are deduplicated: a redelivery is harmless.
					p.log.WarnContext(ctx, "pipeline ack failed", slog.String("event_id", m.Event.ID), slog.String("error", aerr.Error()))
				}
				return
			}
			p.log.WarnContext(ctx, "pipeline will retry event", slog.String("event_id", m.Event.ID), slog.String("error", err.Error()))
			mu.Lock()
			retry = append(retry, m)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return retry
}

// Derived event data (SPEC §4; the core schemas in streams/schema/core).
type (
	filteredData struct {
		EventID string       `json:"eventId"`
		Reason  string       `json:"reason"`
		Rule    *filter.Rule `json:"rule,omitempty"`
	}
	processedData struct {
		EventID      string                  `json:"eventId"`
		ExecutionID  string                  `json:"executionId,omitempty"`
		WorkflowID   string                  `json:"workflowId,omitempty"`
		SchemaErrors []hookstream.FieldError `json:"schemaErrors,omitempty"`
	}
	failedData struct {
		EventID string `json:"eventId"`
		Error   string `json:"error"`
	}
	triggeredData struct {
		ExecutionID string              `json:"executionId"`
		WorkflowID  string              `json:"workflowId"`
		NodeID      string              `json:"nodeId,omitempty"`
		Trigger     triggerContext      `json:"trigger"`
		Priority    hookstream.Priority `json:"priority"`
	}
	triggerContext struct {
		Headers   map[string][]string `json:"headers"`
		Query     map[string][]string `json:"query,omitempty"`
		Body      json.RawMessage     `json:"body"`
		Metadata  map[string]any      `json:"metadata"`
		EventID   string              `json:"eventId"`
		WebhookID string              `json:"webhookId"`
	}
)

// process decides one received event and appends what it decided. It
// returns only transient errors; anything else becomes webhook.failed.
func (p *Pipeline) process(ctx context.Context, ev *hookstream.Event, entry cachedProgram) error {
	err := entry.err
	if err == nil {
		err = p.decide(ctx, ev, entry.prog)
	}
	if ctx.Err() != nil {
		return transient(ctx.Err())
	}
	if err == nil || isTransient(err) {
		return err
	}
	workflowID := workflowOf(ev, nil)
	if wh, ok := p.cfg.Webhooks.Get(ev.TenantID, ev.WebhookID); ok {
		workflowID = workflowOf(ev, &wh)
	}
	ferr := p.emit(ctx, ev, hookstream.EventWebhookFailed, workflowID, failedData{EventID: ev.ID, Error: err.Error()})
	if ferr != nil && !isTransient(ferr) {
		// Retrying cannot help; keep the consumer moving.
		p.log.ErrorContext(ctx, "pipeline cannot record a failed event",
			slog.String("event_id", ev.ID), slog.String("cause", err.Error()), slog.String("error", ferr.Error()))
		return nil
	}
	return ferr
}

func workflowOf(ev *hookstream.Event, wh *hookstream.Webhook) string {
	if ev.WorkflowID != "" { // a replay may name another workflow
		return ev.WorkflowID
	}
	if wh != nil {
		return wh.WorkflowID
	}
	return ""
}

func (p *Pipeline) decide(ctx context.Context, ev *hookstream.Event, prog *filter.Program) error {
	wh, ok := p.cfg.Webhooks.Get(ev.TenantID, ev.WebhookID)
	if !ok {
		if time.Since(ev.Time) < p.cfg.MissingWebhookGrace {
			return transient(fmt.Errorf("webhook %s not in the registry yet", ev.WebhookID))
		}
		return ErrWebhookDeleted
	}
	workflowID := workflowOf(ev, &wh)
	warn := wh.SchemaMode == hookstream.SchemaWarn && wh.EventType != ""

	// The data is decoded only when something reads it: a rule set, a
	// trigger, or a warn-mode validation.
	var rd hookstream.ReceivedData
	if prog != nil || workflowID != "" || warn {
		if err := json.Unmarshal(ev.Data, &rd); err != nil {
			return fmt.Errorf("malformed webhook.received data: %w", err)
		}
	}
	if prog != nil {
		in, err := filterInput(&rd)
		if err != nil {
			return err
		}
		res := prog.Match(in)
		if !res.Matched {
			data := filteredData{EventID: ev.ID, Reason: res.Reason}
			if res.Failed != nil {
				rule := res.Failed.Rule
				data.Rule = &rule
			}
			return p.emit(ctx, ev, hookstream.EventWebhookFiltered, workflowID, data)
		}
	}

	processed := processedData{EventID: ev.ID}
	if warn {
		errs, err := p.schemaErrors(ctx, &wh, &rd)
		if err != nil {
			return err
		}
		processed.SchemaErrors = errs
	}
	if workflowID != "" {
		execID, err := p.trigger(ctx, ev, &wh, workflowID, &rd)
		if err != nil {
			return err
		}
		processed.ExecutionID, processed.WorkflowID = execID, workflowID
	}
	return p.emit(ctx, ev, hookstream.EventWebhookProcessed, workflowID, processed)
}

// schemaErrors returns the body's validation errors under the webhook's
// event type: those ingest recorded, or the pipeline's own check when the
// event carries none (ingest does not validate in warn mode, or did and
// found nothing, which validating again confirms).
func (p *Pipeline) schemaErrors(ctx context.Context, wh *hookstream.Webhook, rd *hookstream.ReceivedData) ([]hookstream.FieldError, error) {
	if len(rd.SchemaErrors) > 0 {
		return rd.SchemaErrors, nil
	}
	v, err := p.cfg.Schemas.Validator(ctx, wh.TenantID, wh.EventType, wh.EventTypeVersion)
	switch {
	case hookstream.ErrorCode(err) == hookstream.ENOTFOUND:
		return []hookstream.FieldError{{Keyword: "$ref", Message: fmt.Sprintf("event type %s is not registered", wh.EventType)}}, nil
	case err != nil && errors.Is(err, schema.ErrInvalidSchema), err != nil && errors.Is(err, schema.ErrDanglingRef):
		return []hookstream.FieldError{{Keyword: "$ref", Message: hookstream.ErrorMessage(err)}}, nil
	case err != nil:
		return nil, transient(fmt.Errorf("event type %s: %w", wh.EventType, err))
	}
	body := rd.Body
	if len(body) == 0 || rd.BodyEncoding != "" {
		body = json.RawMessage("null")
	}
	errs, err := v.ValidateJSON(body)
	if err != nil {
		return []hookstream.FieldError{{Message: "body is not JSON"}}, nil //nolint:nilerr // a non-JSON body is a validation finding, not a failure
	}
	return schema.FieldErrors(errs), nil
}

// trigger appends workflow.triggered and returns its execution id. A
// redelivered event finds the trigger already stored (deduplicated by its
// Nats-Msg-Id) and reuses that execution id.
func (p *Pipeline) trigger(ctx context.Context, ev *hookstream.Event, wh *hookstream.Webhook, workflowID string, rd *hookstream.ReceivedData) (string, error) {
	headers := rd.Headers
	if headers == nil {
		headers = map[string][]string{}
	}
	metadata := rd.Metadata
	if metadata == nil {
		metadata = map[string]any{}
	}
	body := rd.Body
	if len(body) == 0 {
		body = json.RawMessage("null")
	}
	data := triggeredData{
		ExecutionID: eventstore.NewID(),
		WorkflowID:  workflowID,
		NodeID:      wh.NodeID,
		Trigger: triggerContext{
			Headers: headers, Query: rd.Query, Body: body, Metadata: metadata,
			EventID: ev.ID, WebhookID: ev.WebhookID,
		},
		Priority: ev.Priority,
	}
	res, err := p.append(ctx, ev, hookstream.EventWorkflowTriggered, workflowID, data)
	if err != nil {
		return "", err
	}
	if !res.Duplicate {
		return data.ExecutionID, nil
	}
	stored, err := p.cfg.Store.Get(ctx, res.Stream, res.Seq)
	if err != nil {
		return "", transient(fmt.Errorf("read stored trigger: %w", err))
	}
	var prev triggeredData
	if err := json.Unmarshal(stored.Data, &prev); err != nil || prev.ExecutionID == "" {
		return "", fmt.Errorf("stored trigger of %s is malformed", ev.ID)
	}
	return prev.ExecutionID, nil
}

func (p *Pipeline) emit(ctx context.Context, ev *hookstream.Event, t hookstream.EventType, workflowID string, data any) error {
	_, err := p.append(ctx, ev, t, workflowID, data)
	return err
}

// MsgID is the Nats-Msg-Id of the event of type t derived from the received
// event receivedID: a redelivery never appends a second one inside the
// duplicate window.
func MsgID(receivedID string, t hookstream.EventType) string {
	return receivedID + ":" + t
}

// append stores a derived event carrying the received event's tenant,
// webhook, priority and replay attributes.
func (p *Pipeline) append(ctx context.Context, ev *hookstream.Event, t hookstream.EventType, workflowID string, data any) (eventstore.AppendResult, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("encode %s: %w", t, err)
	}
	out := eventstore.NewEvent(t)
	out.Source = ev.Source
	out.DataContentType = "application/json"
	out.TenantID, out.WebhookID, out.WorkflowID = ev.TenantID, ev.WebhookID, workflowID
	out.Priority, out.ReplayCount, out.ReplayOf = ev.Priority, ev.ReplayCount, ev.ReplayOf
	out.Data = raw
	opts := eventstore.AppendOptions{MsgID: MsgID(ev.ID, t)}
	if p.cfg.TTLFunc != nil {
		if ttl, err := p.cfg.TTLFunc(ctx, ev.TenantID); err == nil {
			opts.TTL = ttl
		}
	}
	res, err := p.cfg.Appender.Append(ctx, out, opts)
	if err != nil {
		if ctx.Err() != nil || hookstream.ErrorCode(err) == hookstream.EUNAVAILABLE {
			return res, transient(err)
		}
		return res, fmt.Errorf("append %s: %s", t, hookstream.ErrorMessage(err))
	}
	return res, nil
}
