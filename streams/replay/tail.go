package replay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// Tail limits.
const (
	TailLimitDefault = 100
	TailLimitMax     = 1000
	TailWaitMax      = 30 * time.Second
	tailPoll         = 200 * time.Millisecond
)

// TailOptions select the events of a tail (long poll) request.
type TailOptions struct {
	// After is the stream sequence of the last event seen; nil starts at the
	// stream's head (only events appended from now on).
	After *uint64
	// WebhookID restricts to one webhook; empty: all of the tenant's.
	WebhookID string
	// Types restricts to event types (all in the same stream: webhook.* and
	// replay.* are in HOOKS, execution.* and step.* in EXEC).
	Types []string
	// Limit is the most events returned; default 100, at most 1000.
	Limit int
	// Wait is how long to wait for a first event; at most 30 s.
	Wait time.Duration
}

// TailResult is a page of a tail: events in stream order and the cursor of
// the next request.
type TailResult struct {
	Events []*hookstream.Event
	Stream string
	Next   uint64
}

// Tail returns the tenant's events after a stream position, waiting up to
// opts.Wait for the first one (a long poll). It reads the stream with a
// subject filter, so it sees every event type, not only the delivery log.
// Errors: EUNPROCESSABLE for types of different streams.
func Tail(ctx context.Context, store *eventstore.Store, tenantID string, opts TailOptions) (TailResult, error) {
	stream := eventstore.StreamHooks
	for i, t := range opts.Types {
		s := eventstore.StreamFor(t)
		if i > 0 && s != stream {
			return TailResult{}, hookstream.Invalid(hookstream.EUNPROCESSABLE, "types must all be of one stream",
				hookstream.FieldError{Field: "type", Message: "webhook.*/replay.* and execution.*/step.* cannot be mixed"})
		}
		stream = s
		if strings.ContainsAny(t, "*> ") || t == "" {
			return TailResult{}, hookstream.Invalid(hookstream.EUNPROCESSABLE, "invalid event type",
				hookstream.FieldError{Field: "type", Message: "not an event type"})
		}
	}
	var subjects []string
	if len(opts.Types) == 0 {
		subjects = []string{eventstore.SubjectFilter(stream, tenantID, opts.WebhookID, "")}
	}
	for _, t := range opts.Types {
		subjects = append(subjects, eventstore.SubjectFilter(stream, tenantID, opts.WebhookID, t))
	}
	if stream == eventstore.StreamExec && opts.WebhookID != "" {
		return TailResult{}, hookstream.Invalid(hookstream.EUNPROCESSABLE, "execution events are not per webhook",
			hookstream.FieldError{Field: "webhookId", Message: "not with execution or step types"})
	}
	limit := opts.Limit
	if limit <= 0 {
		limit = TailLimitDefault
	}
	limit = min(limit, TailLimitMax)
	wait := min(max(opts.Wait, 0), TailWaitMax)
	deadline := time.Now().Add(wait)
	res := TailResult{Stream: stream}
	last, _, err := store.StreamInfo(ctx, stream)
	if err != nil {
		return res, err
	}
	if opts.After == nil {
		res.Next = last
		return res, nil
	}
	after := *opts.After
	res.Next = after
	for {
		if last > after {
			err := store.Read(ctx, eventstore.ReadOptions{Stream: stream, Subjects: subjects, StartSeq: after + 1, StopSeq: last},
				func(ev *hookstream.Event) error {
					res.Events = append(res.Events, ev)
					res.Next = ev.Sequence
					if len(res.Events) >= limit {
						return eventstore.ErrStopRead
					}
					return nil
				})
			if err != nil {
				return res, fmt.Errorf("tail: %w", err)
			}
			if len(res.Events) > 0 {
				return res, nil
			}
			// Nothing of ours up to last: skip that range next time.
			after, res.Next = last, last
		}
		if !time.Now().Before(deadline) {
			return res, nil
		}
		if !hookstream.Sleep(ctx, min(tailPoll, time.Until(deadline))) {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return res, nil
			}
			return res, ctx.Err()
		}
		if last, _, err = store.StreamInfo(ctx, stream); err != nil {
			return res, err
		}
	}
}
