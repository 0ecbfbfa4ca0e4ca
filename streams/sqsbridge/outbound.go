package sqsbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/hookstream/hookstream/eventstore"
)

// Message attribute names of outbound messages.
const (
	AttrTenantID   = "tenantId"
	AttrWebhookID  = "webhookId"
	AttrEventID    = "eventId"
	AttrEventType  = "eventType"
	AttrPriority   = "priority"
	AttrClaimCheck = "hookstreamClaimCheck"
	AttrSequence   = "hookstreamSequence"
)

// ClaimCheck is the body of a trigger too large for SQS: fetch the event
// with GET /api/v1/events/{eventId} (Href).
type ClaimCheck struct {
	ClaimCheck bool   `json:"claimCheck"`
	EventID    string `json:"eventId"`
	Stream     string `json:"stream"`
	Sequence   uint64 `json:"sequence"`
	Href       string `json:"href"`
}

// outEntry is one trigger on its way to SQS.
type outEntry struct {
	msg   eventstore.Msg
	queue int
	entry types.SendMessageBatchRequestEntry
	size  int
	done  atomic.Bool
}

func (b *Bridge) runOutbound(ctx context.Context, cons *eventstore.Consumer) {
	attempt := 0
	lastBacklog := time.Time{}
	for ctx.Err() == nil {
		if time.Since(lastBacklog) > 5*time.Second {
			b.refreshBacklog(ctx)
			lastBacklog = time.Now()
		}
		msgs, err := cons.Fetch(ctx, b.cfg.FetchBatch, time.Second)
		if err != nil && len(msgs) == 0 {
			if ctx.Err() != nil {
				return
			}
			b.log.WarnContext(ctx, "sqs bridge fetch failed", slog.String("error", err.Error()))
			sleep(ctx, backoff(attempt, b.cfg.RetryMin, b.cfg.RetryMax))
			attempt++
			continue
		}
		attempt = 0
		if len(msgs) > 0 {
			b.deliver(ctx, msgs)
		}
	}
}

// deliver sends a fetched batch of triggers and acks each one after SQS
// accepted it. Queues are served concurrently; a queue's batches go in
// order, one after the other (a FIFO queue keeps each webhook's order).
// Until then every trigger in hand is kept in progress, however long SQS
// is unreachable; on Stop the ones not accepted are handed back.
func (b *Bridge) deliver(ctx context.Context, msgs []eventstore.Msg) {
	entries := make([]*outEntry, 0, len(msgs))
	for i, m := range msgs {
		e, err := b.entry(i, m)
		if err != nil {
			// An event that cannot be decoded has no id or tenant to send:
			// it is parked (Term) and logged, like the pipeline does.
			b.log.ErrorContext(ctx, "sqs bridge cannot send undecodable trigger",
				slog.Uint64("seq", m.Event.Sequence), slog.String("error", err.Error()))
			b.n.failed.Add(1)
			_ = m.Term()
			continue
		}
		entries = append(entries, e)
	}
	b.n.inFlight.Add(int64(len(entries)))
	defer func() {
		var left int64
		for _, e := range entries {
			if !e.done.Load() {
				left++
			}
		}
		b.n.inFlight.Add(-left)
	}()

	hbCtx, stopHB := context.WithCancel(ctx)
	var hb sync.WaitGroup
	hb.Go(func() { b.heartbeat(hbCtx, entries) })
	defer func() { stopHB(); hb.Wait() }()

	perQueue := make([][]*outEntry, len(b.queues))
	for _, e := range entries {
		perQueue[e.queue] = append(perQueue[e.queue], e)
	}
	var wg sync.WaitGroup
	for qi, list := range perQueue {
		for _, lane := range b.lanes(b.queues[qi], list) {
			wg.Go(func() {
				for _, chunk := range b.chunks(lane) {
					if !b.send(ctx, b.queues[qi], chunk) {
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		for _, e := range entries {
			if !e.done.Load() {
				_ = e.msg.Nak()
			}
		}
	}
}

// heartbeat marks the triggers not yet accepted in progress every third of
// the consumer's AckWait, so JetStream does not redeliver them meanwhile.
func (b *Bridge) heartbeat(ctx context.Context, entries []*outEntry) {
	t := time.NewTicker(b.cfg.AckWait / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, e := range entries {
				if !e.done.Load() {
					_ = e.msg.InProgress()
				}
			}
		}
	}
}

// lanes splits a queue's entries into up to SendConcurrency lists sent
// concurrently, each in order. On a FIFO queue a message group (webhook)
// always falls in one lane, which keeps its order; on a standard queue
// consecutive runs of 10 entries are spread over the lanes.
func (b *Bridge) lanes(q queue, list []*outEntry) [][]*outEntry {
	n := b.cfg.SendConcurrency
	lanes := make([][]*outEntry, n)
	for i, e := range list {
		k := (i / MaxBatchEntries) % n
		if q.fifo {
			h := fnv.New32a()
			_, _ = h.Write([]byte(aws.ToString(e.entry.MessageGroupId)))
			k = int(h.Sum32() % uint32(n))
		}
		lanes[k] = append(lanes[k], e)
	}
	return slices.DeleteFunc(lanes, func(l []*outEntry) bool { return len(l) == 0 })
}

// chunks splits a queue's entries into batches of at most 10 entries and
// MaxMessageBytes, in order.
func (b *Bridge) chunks(list []*outEntry) [][]*outEntry {
	var out [][]*outEntry
	cur := make([]*outEntry, 0, MaxBatchEntries)
	size := 0
	for _, e := range list {
		if len(cur) == MaxBatchEntries || (len(cur) > 0 && size+e.size > b.cfg.MaxMessageBytes) {
			out = append(out, cur)
			cur, size = make([]*outEntry, 0, MaxBatchEntries), 0
		}
		cur = append(cur, e)
		size += e.size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// send sends one batch until SQS accepted every entry, retrying only the
// entries that failed, with full-jitter backoff. False when ctx ended.
func (b *Bridge) send(ctx context.Context, q queue, chunk []*outEntry) bool {
	pending := chunk
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 && !sleep(ctx, backoff(attempt-1, b.cfg.RetryMin, b.cfg.RetryMax)) {
			return false
		}
		if ctx.Err() != nil {
			return false
		}
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url), Entries: make([]types.SendMessageBatchRequestEntry, 0, len(pending))}
		byID := make(map[string]*outEntry, len(pending))
		for _, e := range pending {
			in.Entries = append(in.Entries, e.entry)
			byID[aws.ToString(e.entry.Id)] = e
		}
		callCtx, cancel := context.WithTimeout(ctx, b.cfg.SendTimeout)
		out, err := b.cfg.SQS.SendMessageBatch(callCtx, in)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			b.n.failed.Add(int64(len(pending)))
			b.out.fail(errorString(err))
			b.log.WarnContext(ctx, "sqs send failed; backing off", slog.String("queue", q.url),
				slog.Int("entries", len(pending)), slog.Int("attempt", attempt+1), slog.String("error", errorString(err)))
			continue
		}
		for _, ok := range out.Successful {
			e := byID[aws.ToString(ok.Id)]
			if e == nil || e.done.Load() {
				continue
			}
			// Acked only now that SQS accepted the entry. A lost ack means
			// a second send: FIFO queues drop it by deduplication id.
			_ = e.msg.AckAsync()
			e.done.Store(true)
			b.n.inFlight.Add(-1)
			b.n.sent.Add(1)
		}
		if len(out.Successful) > 0 {
			b.out.success()
		}
		var failed []*outEntry
		for _, f := range out.Failed {
			if e := byID[aws.ToString(f.Id)]; e != nil && !e.done.Load() {
				failed = append(failed, e)
			}
		}
		// An entry SQS neither accepted nor refused is retried too.
		for _, e := range pending {
			if !e.done.Load() && !contains(failed, e) {
				failed = append(failed, e)
			}
		}
		if len(out.Failed) > 0 {
			f := out.Failed[0]
			msg := fmt.Sprintf("%s: %s (%d of %d entries refused)", aws.ToString(f.Code), aws.ToString(f.Message), len(out.Failed), len(pending))
			b.n.failed.Add(int64(len(failed)))
			b.out.fail(msg)
			b.log.WarnContext(ctx, "sqs refused batch entries; retrying them", slog.String("queue", q.url),
				slog.Int("failed", len(out.Failed)), slog.Bool("sender_fault", f.SenderFault), slog.String("error", msg))
		}
		if len(failed) < len(pending) {
			attempt = -1 // progress: the next retry starts from the shortest backoff
		}
		pending = failed
	}
	return true
}

func contains(list []*outEntry, e *outEntry) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

// errorString names an SQS error by its code (throttling and the like)
// without the request id noise.
func errorString(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// entry builds the SQS entry of a trigger: its CloudEvent as the body, the
// attributes, FIFO group and deduplication ids, or a claim check when the
// message would exceed MaxMessageBytes.
func (b *Bridge) entry(i int, m eventstore.Msg) (*outEntry, error) {
	if m.DecodeErr != nil {
		return nil, m.DecodeErr
	}
	ev := m.Event
	p := min(max(int(ev.Priority), 0), 3)
	qi := b.byPriority[p]
	q := b.queues[qi]
	attrs := map[string]types.MessageAttributeValue{
		AttrTenantID:  str(ev.TenantID),
		AttrEventID:   str(ev.ID),
		AttrEventType: str(ev.Type),
		AttrPriority:  {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(p))},
	}
	if ev.WebhookID != "" {
		attrs[AttrWebhookID] = str(ev.WebhookID)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	size := len(body) + attrSize(attrs)
	if size > b.cfg.MaxMessageBytes {
		cc := ClaimCheck{ClaimCheck: true, EventID: ev.ID, Stream: ev.Stream, Sequence: ev.Sequence, Href: "/api/v1/events/" + ev.ID}
		if body, err = json.Marshal(cc); err != nil {
			return nil, err
		}
		attrs[AttrClaimCheck] = str("true")
		attrs[AttrSequence] = types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(strconv.FormatUint(ev.Sequence, 10))}
		size = len(body) + attrSize(attrs)
		b.n.claimChecks.Add(1)
	}
	e := types.SendMessageBatchRequestEntry{
		Id:                aws.String(strconv.Itoa(i)),
		MessageBody:       aws.String(string(body)),
		MessageAttributes: attrs,
	}
	if q.fifo {
		group := ev.WebhookID
		if group == "" {
			group = ev.TenantID
		}
		e.MessageGroupId, e.MessageDeduplicationId = aws.String(group), aws.String(ev.ID)
	}
	return &outEntry{msg: m, queue: qi, entry: e, size: size}, nil
}

func str(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// attrSize is what SQS counts of message attributes toward the size
// limit: each name, data type and value.
func attrSize(attrs map[string]types.MessageAttributeValue) int {
	n := 0
	for k, v := range attrs {
		n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue))
	}
	return n
}
