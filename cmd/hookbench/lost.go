package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/eventstore"
)

// LossCheck is the result of looking for every acknowledged event.
type LossCheck struct {
	// Method is how the events were looked up ("HOOKS stream", "GET /api/v1/events/{id}").
	Method string
	// Accepted is how many distinct event ids were answered with a 2xx.
	Accepted int
	// Found of them are stored; Missing are not.
	Found, Missing int
	// StreamMessages is how many messages of the webhook the stream holds
	// (stream method only); DuplicateIDs counts event ids stored twice.
	StreamMessages, DuplicateIDs int
	// ByType counts the webhook's stream messages by event type.
	ByType map[string]int
	// Err is set when the check could not run.
	Err string
}

func distinctIDs(acc []Accepted) map[string]struct{} {
	ids := make(map[string]struct{}, len(acc))
	for _, a := range acc {
		ids[a.EventID] = struct{}{}
	}
	return ids
}

// checkStream reads every message of the webhook's subjects from the HOOKS
// stream (the source of truth) with an ordered consumer and checks that
// each accepted event id is there.
// natsCreds is a credentials file (a .creds file or the server's user nkey
// seed, <data-dir>/nats-user.nk); NATS listeners are never anonymous.
func checkStream(ctx context.Context, natsURL, natsCreds, webhookID string, acc []Accepted) LossCheck {
	lc := LossCheck{Method: "HOOKS stream"}
	want := distinctIDs(acc)
	lc.Accepted = len(want)
	opts := []nats.Option{nats.Name("hookbench")}
	if natsCreds != "" {
		creds, err := eventstore.CredsOption(natsCreds)
		if err != nil {
			lc.Err = err.Error()
			return lc
		}
		opts = append(opts, creds)
	}
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		lc.Err = err.Error()
		return lc
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		lc.Err = err.Error()
		return lc
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	stream, err := js.Stream(ctx, eventstore.StreamHooks)
	if err != nil {
		lc.Err = fmt.Sprintf("stream: %v", err)
		return lc
	}
	// An ephemeral pull consumer: its pending count at creation is exact.
	cons, err := stream.CreateConsumer(ctx, jetstream.ConsumerConfig{
		FilterSubject:     eventstore.SubjectFilter(eventstore.StreamHooks, "", webhookID, ""),
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
	})
	if err != nil {
		lc.Err = fmt.Sprintf("consumer: %v", err)
		return lc
	}
	info, err := cons.Info(ctx)
	if err != nil {
		lc.Err = fmt.Sprintf("consumer info: %v", err)
		return lc
	}
	total := int(info.NumPending)
	seen := make(map[string]int, total)
	for lc.StreamMessages < total {
		batch, err := cons.Fetch(min(1000, total-lc.StreamMessages), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			lc.Err = fmt.Sprintf("fetch: %v", err)
			return lc
		}
		n := 0
		for m := range batch.Messages() {
			n++
			lc.StreamMessages++
			if lc.ByType == nil {
				lc.ByType = map[string]int{}
			}
			lc.ByType[subjectType(m.Subject())]++
			if id := eventstore.EventID(m.Headers(), m.Data()); id != "" {
				seen[id]++
			}
		}
		if err := batch.Error(); err != nil && n == 0 {
			lc.Err = fmt.Sprintf("fetch: %v", err)
			return lc
		}
		if n == 0 {
			lc.Err = fmt.Sprintf("stream stopped delivering after %d of %d messages", lc.StreamMessages, total)
			return lc
		}
	}
	for id, c := range seen {
		if c > 1 {
			lc.DuplicateIDs++
		}
		_ = id
	}
	for id := range want {
		if _, ok := seen[id]; ok {
			lc.Found++
		} else {
			lc.Missing++
		}
	}
	return lc
}

// checkAPI looks every accepted event up with GET /api/v1/events/{id} (for
// a server whose NATS the bench cannot reach). It needs the webhook_events
// projection; a 404 counts as missing.
func checkAPI(ctx context.Context, base, token string, acc []Accepted) LossCheck {
	lc := LossCheck{Method: "GET /api/v1/events/{id}"}
	want := distinctIDs(acc)
	lc.Accepted = len(want)
	ids := make(chan string)
	var found, missing atomic.Int64
	var firstErr atomic.Value
	client := newHTTPClient(16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for id := range ids {
				status, err := getStatus(ctx, client, base+"/api/v1/events/"+id, token)
				switch {
				case err != nil:
					firstErr.CompareAndSwap(nil, err.Error())
					missing.Add(1)
				case status == http.StatusOK:
					found.Add(1)
				default:
					missing.Add(1)
				}
			}
		})
	}
	for id := range want {
		ids <- id
	}
	close(ids)
	wg.Wait()
	lc.Found, lc.Missing = int(found.Load()), int(missing.Load())
	if e, ok := firstErr.Load().(string); ok {
		lc.Err = e
	}
	return lc
}

func getStatus(ctx context.Context, client *http.Client, url, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// subjectType is the event type at the end of hooks.<tenant>.<webhook>.<type>.
func subjectType(subject string) string {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) < 4 {
		return subject
	}
	return parts[3]
}
