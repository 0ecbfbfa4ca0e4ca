package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

func newTestEvent(m *Main) *hookstream.Event {
	ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
	ev.TenantID = "0193a9b2-0000-7000-8000-00000000000a"
	ev.WebhookID = "0193a9b2-0000-7000-8000-000000000001"
	ev.Data = json.RawMessage(`{"method":"POST","body":{"ok":true}}`)
	return ev
}

func appendOpts() eventstore.AppendOptions { return eventstore.AppendOptions{} }

// poll calls cond on the test goroutine every interval until it returns
// true; when timeout passes first the test fails with msg(). It is the
// one way these tests wait for asynchronous work (no fixed sleeps).
func poll(t testing.TB, timeout, interval time.Duration, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			if cond() {
				return
			}
			t.Fatalf("gave up after %s: %s", timeout, msg())
		case <-tick.C:
		}
	}
}
