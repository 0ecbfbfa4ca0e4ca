package main

import (
	"encoding/json"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
)

func newTestEvent(m *Main) *hookstream.Event {
	ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
	ev.TenantID = "0193a9b2-0000-7000-8000-00000000000a"
	ev.WebhookID = "0193a9b2-0000-7000-8000-000000000001"
	ev.Data = json.RawMessage(`{"method":"POST","body":{"ok":true}}`)
	return ev
}

func appendOpts() eventstore.AppendOptions { return eventstore.AppendOptions{} }

// poll waits for asynchronous work; see eventstoretest.Poll.
var poll = eventstoretest.Poll
