package sqsbridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Reasons an inbound message is invalid (label of
// hookstream_sqsbridge_inbound_invalid_total).
const (
	InvalidJSON     = "invalid_json"
	InvalidEnvelope = "invalid_envelope"
	InvalidTenant   = "unknown_tenant"
	InvalidType     = "unknown_type"
	InvalidReserved = "reserved_type"
	InvalidSchema   = "schema_violation"
	InvalidTooLarge = "too_large"
)

// invalidError is a message that will never be appended: it is left to
// the queue's redrive policy.
type invalidError struct {
	reason, msg string
}

func (e *invalidError) Error() string { return e.reason + ": " + e.msg }

func invalid(reason, format string, args ...any) error {
	return &invalidError{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// inboundEvent is a CloudEvents 1.0 event in structured JSON mode, as an
// external producer writes it into the inbound queue.
type inboundEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            *time.Time      `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	TenantID        string          `json:"tenantid"`
	WebhookID       string          `json:"webhookid"`
	WorkflowID      string          `json:"workflowid"`
	Priority        *int            `json:"priority"`
	Data            json.RawMessage `json:"data"`
	DataBase64      *string         `json:"data_base64"`
}

func (b *Bridge) runInbound(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		callCtx, cancel := context.WithTimeout(ctx, time.Duration(b.cfg.WaitTimeSeconds)*time.Second+b.cfg.SendTimeout)
		out, err := b.cfg.SQS.ReceiveMessage(callCtx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(b.cfg.InboundQueueURL),
			MaxNumberOfMessages:         b.cfg.ReceiveBatch,
			WaitTimeSeconds:             b.cfg.WaitTimeSeconds,
			VisibilityTimeout:           int32(b.cfg.VisibilityTimeout / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
		})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			b.in.fail(errorString(err))
			b.log.WarnContext(ctx, "sqs receive failed; backing off", slog.String("queue", b.cfg.InboundQueueURL),
				slog.Int("attempt", attempt+1), slog.String("error", errorString(err)))
			sleep(ctx, backoff(attempt, b.cfg.RetryMin, b.cfg.RetryMax))
			attempt++
			continue
		}
		attempt = 0
		b.in.success()
		if len(out.Messages) > 0 {
			b.n.received.Add(int64(len(out.Messages)))
			b.handleInbound(ctx, out.Messages)
		}
	}
}

// handleInbound appends each valid message (concurrently, so a slow or
// invalid one holds up nothing behind it), deletes the appended ones in one
// DeleteMessageBatch after their PubAcks, and leaves the invalid ones to
// reappear after their visibility timeout until the queue's redrive policy
// moves them to its DLQ. Visibility is extended while appends are slow.
func (b *Bridge) handleInbound(ctx context.Context, msgs []types.Message) {
	var mu sync.Mutex
	inHand := map[string]types.Message{}
	for _, m := range msgs {
		inHand[aws.ToString(m.MessageId)] = m
	}
	release := func(id string) {
		mu.Lock()
		delete(inHand, id)
		mu.Unlock()
	}
	hbCtx, stopHB := context.WithCancel(ctx)
	var hb sync.WaitGroup
	hb.Go(func() {
		t := time.NewTicker(b.cfg.VisibilityTimeout / 3)
		defer t.Stop()
		for {
			select {
			case <-hbCtx.Done():
				return
			case <-t.C:
			}
			mu.Lock()
			held := make([]types.Message, 0, len(inHand))
			for _, m := range inHand {
				held = append(held, m)
			}
			mu.Unlock()
			b.extendVisibility(hbCtx, held)
		}
	})

	var wg sync.WaitGroup
	appended := make([]types.Message, 0, len(msgs))
	for _, m := range msgs {
		wg.Go(func() {
			id := aws.ToString(m.MessageId)
			err := b.appendInbound(ctx, m)
			var inv *invalidError
			switch {
			case err == nil:
				mu.Lock()
				appended = append(appended, m)
				mu.Unlock()
			case errors.As(err, &inv):
				release(id)
				b.n.invalid.Add(1)
				b.n.invalidBy.WithLabelValues(inv.reason).Inc()
				b.in.note("invalid message " + id + ": " + inv.Error())
				b.log.WarnContext(ctx, "sqs inbound message invalid; left to the queue's redrive policy",
					slog.String("message_id", id), slog.String("reason", inv.reason), slog.String("error", inv.msg),
					slog.String("receive_count", m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]))
			default:
				// Stopping mid-append: the message reappears later and its
				// Nats-Msg-Id makes a second append a duplicate.
				release(id)
			}
		})
	}
	wg.Wait()
	stopHB()
	hb.Wait()
	if len(appended) > 0 {
		b.deleteMessages(ctx, appended)
	}
}

// appendInbound validates a message and appends its event, retrying
// transient failures (JetStream unavailable) until ctx ends. Errors:
// *invalidError, or ctx's error.
func (b *Bridge) appendInbound(ctx context.Context, m types.Message) error {
	ev, ttl, err := b.decodeInbound(ctx, m)
	for attempt := 0; err != nil; attempt++ {
		var inv *invalidError
		if errors.As(err, &inv) {
			return err
		}
		b.in.fail(err.Error())
		b.log.WarnContext(ctx, "sqs inbound validation unavailable; retrying", slog.String("error", err.Error()))
		if !sleep(ctx, backoff(attempt, b.cfg.RetryMin, b.cfg.RetryMax)) {
			return ctx.Err()
		}
		ev, ttl, err = b.decodeInbound(ctx, m)
	}
	opts := eventstore.AppendOptions{MsgID: aws.ToString(m.MessageId), TTL: ttl}
	for attempt := 0; ; attempt++ {
		res, err := b.cfg.Appender.Append(ctx, ev, opts)
		if err == nil {
			if res.Duplicate {
				b.n.duplicates.Add(1)
			} else {
				b.n.appended.Add(1)
			}
			return nil
		}
		if hookstream.ErrorCode(err) == hookstream.ETOOLARGE {
			return invalid(InvalidTooLarge, "%v", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.in.fail(err.Error())
		b.log.WarnContext(ctx, "sqs inbound append failed; retrying", slog.String("message_id", aws.ToString(m.MessageId)), slog.String("error", err.Error()))
		if !sleep(ctx, backoff(attempt, b.cfg.RetryMin, b.cfg.RetryMax)) {
			return ctx.Err()
		}
	}
}

// decodeInbound turns a message into the event to append (see the package
// doc for the rules). Errors: *invalidError, or a transient error of the
// schema registry.
func (b *Bridge) decodeInbound(ctx context.Context, m types.Message) (*hookstream.Event, time.Duration, error) {
	body := []byte(aws.ToString(m.Body))
	dec := json.NewDecoder(bytes.NewReader(body))
	var in inboundEvent
	if err := dec.Decode(&in); err != nil {
		return nil, 0, invalid(InvalidJSON, "body is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, 0, invalid(InvalidJSON, "trailing data after the JSON object")
	}
	switch {
	case in.SpecVersion != "1.0":
		return nil, 0, invalid(InvalidEnvelope, "specversion must be \"1.0\"")
	case in.ID == "" || in.Source == "" || in.Type == "":
		return nil, 0, invalid(InvalidEnvelope, "id, source and type are required")
	case uuid.Validate(in.TenantID) != nil:
		return nil, 0, invalid(InvalidEnvelope, "tenantid must be a tenant's UUID")
	case in.WebhookID != "" && uuid.Validate(in.WebhookID) != nil:
		return nil, 0, invalid(InvalidEnvelope, "webhookid must be a UUID")
	case in.WorkflowID != "" && uuid.Validate(in.WorkflowID) != nil:
		return nil, 0, invalid(InvalidEnvelope, "workflowid must be a UUID")
	case in.DataBase64 != nil:
		return nil, 0, invalid(InvalidEnvelope, "data_base64 is not accepted: data must be JSON")
	case in.DataContentType != "" && !strings.HasPrefix(in.DataContentType, "application/json"):
		return nil, 0, invalid(InvalidEnvelope, "datacontenttype must be application/json")
	case in.Priority != nil && (*in.Priority < 0 || *in.Priority > 3):
		return nil, 0, invalid(InvalidEnvelope, "priority must be 0-3")
	}
	stream := eventstore.StreamFor(in.Type)
	if stream == eventstore.StreamConfig || (stream == eventstore.StreamHooks && isCoreHooksType(in.Type)) {
		return nil, 0, invalid(InvalidReserved, "type %s is hookstream's own and cannot come from SQS", in.Type)
	}
	data := in.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	var ttl time.Duration
	if b.cfg.TenantFunc != nil {
		t, err := b.cfg.TenantFunc(ctx, in.TenantID)
		switch {
		case hookstream.ErrorCode(err) == hookstream.ENOTFOUND:
			return nil, 0, invalid(InvalidTenant, "tenant %s does not exist", in.TenantID)
		case err == nil:
			ttl = t
		}
	}
	v, err := b.cfg.Schemas.Validator(ctx, in.TenantID, in.Type, 0)
	if hookstream.ErrorCode(err) == hookstream.ENOTFOUND {
		return nil, 0, invalid(InvalidType, "event type %s is not registered for tenant %s", in.Type, in.TenantID)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("schema of %s: %w", in.Type, err)
	}
	verrs, err := v.ValidateJSON(data)
	if err != nil {
		return nil, 0, invalid(InvalidJSON, "data: %v", err)
	}
	if len(verrs) > 0 {
		parts := make([]string, 0, min(len(verrs), 5))
		for _, e := range verrs[:min(len(verrs), 5)] {
			parts = append(parts, e.String())
		}
		return nil, 0, invalid(InvalidSchema, "%s v%d: %s", in.Type, v.Version(), strings.Join(parts, "; "))
	}
	ev := eventstore.NewEvent(in.Type)
	ev.Source, ev.Subject = in.Source, in.Subject
	if in.Time != nil {
		ev.Time = in.Time.UTC()
	}
	ev.TenantID, ev.WebhookID, ev.WorkflowID = in.TenantID, in.WebhookID, in.WorkflowID
	ev.Priority = hookstream.PriorityNormal
	if in.Priority != nil {
		ev.Priority = hookstream.Priority(*in.Priority)
	}
	if stream == eventstore.StreamExec && ev.WorkflowID == "" {
		var d struct {
			WorkflowID string `json:"workflowId"`
		}
		if json.Unmarshal(data, &d) == nil && uuid.Validate(d.WorkflowID) == nil {
			ev.WorkflowID = d.WorkflowID
		}
	}
	ev.Data = data
	return ev, ttl, nil
}

// isCoreHooksType reports hookstream's own types of the HOOKS stream
// (webhook.*, workflow.triggered, replay.requested): only hookstream
// appends those.
func isCoreHooksType(t string) bool {
	return strings.HasPrefix(t, "webhook.") || t == hookstream.EventWorkflowTriggered || t == hookstream.EventReplayRequested
}

// extendVisibility gives messages still in hand another VisibilityTimeout.
func (b *Bridge) extendVisibility(ctx context.Context, msgs []types.Message) {
	for start := 0; start < len(msgs); start += MaxBatchEntries {
		part := msgs[start:min(start+MaxBatchEntries, len(msgs))]
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, 0, len(part))
		for i, m := range part {
			entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle,
				VisibilityTimeout: int32(b.cfg.VisibilityTimeout / time.Second),
			})
		}
		callCtx, cancel := context.WithTimeout(ctx, b.cfg.SendTimeout)
		_, err := b.cfg.SQS.ChangeMessageVisibilityBatch(callCtx, &sqs.ChangeMessageVisibilityBatchInput{
			QueueUrl: aws.String(b.cfg.InboundQueueURL), Entries: entries,
		})
		cancel()
		if err != nil && ctx.Err() == nil {
			b.log.WarnContext(ctx, "sqs visibility extension failed", slog.String("error", errorString(err)))
		}
	}
}

// deleteMessages deletes appended messages, retrying failures a few times;
// a message left undeleted reappears and is recognised by its Nats-Msg-Id.
func (b *Bridge) deleteMessages(ctx context.Context, msgs []types.Message) {
	for start := 0; start < len(msgs); start += MaxBatchEntries {
		pending := msgs[start:min(start+MaxBatchEntries, len(msgs))]
		for attempt := 0; len(pending) > 0 && attempt < 5; attempt++ {
			if attempt > 0 && !sleep(ctx, backoff(attempt-1, b.cfg.RetryMin, b.cfg.RetryMax)) {
				return
			}
			entries := make([]types.DeleteMessageBatchRequestEntry, 0, len(pending))
			for i, m := range pending {
				entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			}
			callCtx, cancel := context.WithTimeout(ctx, b.cfg.SendTimeout)
			out, err := b.cfg.SQS.DeleteMessageBatch(callCtx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(b.cfg.InboundQueueURL), Entries: entries})
			cancel()
			if err != nil {
				b.in.fail(errorString(err))
				continue
			}
			var again []types.Message
			for _, f := range out.Failed {
				if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i < len(pending) {
					again = append(again, pending[i])
				}
			}
			if len(again) > 0 {
				b.in.fail(aws.ToString(out.Failed[0].Code) + ": " + aws.ToString(out.Failed[0].Message))
			}
			pending = again
		}
	}
}
