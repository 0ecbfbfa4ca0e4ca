package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

// TestIngestDecidesWithoutWorkflow: for a webhook that triggers no
// workflow, ingest records the filter decision on webhook.received (one
// message per delivery); the delivery log shows the same statuses and
// reasons as when the pipeline decided, and nothing is derived.
func TestIngestDecidesWithoutWorkflow(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"name": "decide", "path": "decide-" + eventstore.NewID()[:8], "authType": "none"})

	// No rule set: processed at ingest (once the node's filter cache is loaded).
	stored := func(id string) *hookstream.Event {
		for _, ev := range s.events(h, hookstream.EventWebhookReceived) {
			if ev.ID == id {
				return ev
			}
		}
		t.Fatalf("event %s not in the stream", id)
		return nil
	}
	sendDecided := func(body string) *hookstream.Event {
		var ev *hookstream.Event
		poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
			st, out := s.post(h.Path, nil, body)
			require.Equal(t, http.StatusAccepted, st, out)
			ev = stored(out["eventId"].(string))
			return ev.Outcome != ""
		}, func() string { return "ingest never decided" })
		return ev
	}
	plain := sendDecided(`{"status":"paid"}`)
	require.Equal(t, hookstream.OutcomeProcessed, plain.Outcome)
	require.Equal(t, "processed", deliveryStatus(t, s, plain.ID, "processed"))

	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/webhooks/"+h.ID+"/filters", s.Token, map[string]any{
		"logic": "and", "rules": []any{map[string]any{"field": "$.status", "operator": "equals", "value": "paid"}},
	}, nil))
	dropped := sendDecided(`{"status":"open"}`)
	require.Equal(t, hookstream.OutcomeFiltered, dropped.Outcome)
	require.Contains(t, string(dropped.Data), `"filteredReason":`)
	require.Equal(t, "filtered", deliveryStatus(t, s, dropped.ID, "filtered"))
	var reason string
	require.NoError(t, s.Main.Pool().QueryRow(t.Context(), `SELECT filtered_reason FROM webhook_events WHERE id = $1`, dropped.ID).Scan(&reason))
	require.Contains(t, reason, `$.status equals "paid"`)
	kept := sendDecided(`{"status":"paid"}`)
	require.Equal(t, hookstream.OutcomeProcessed, kept.Outcome)
	require.Equal(t, "processed", deliveryStatus(t, s, kept.ID, "processed"))

	// Decided events have no derived events; the stream holds only what
	// ingest appended for them.
	for _, ev := range s.events(h, "") {
		if ev.Type == hookstream.EventWebhookReceived {
			continue
		}
		require.NotContains(t, string(ev.Data), plain.ID)
		require.NotContains(t, string(ev.Data), dropped.ID)
		require.NotContains(t, string(ev.Data), kept.ID)
	}
}
