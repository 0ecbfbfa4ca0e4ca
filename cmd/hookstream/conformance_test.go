package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

type consoleRun struct {
	Status  int             `json:"status"`
	Body    json.RawMessage `json:"body"`
	EventID string          `json:"eventId"`
}

// The test console signs only when asked (SPEC §9): with "sign": true every
// authenticated kind of webhook (signature, Basic, API key) gets its own
// credentials; without it the request goes as given and a protected
// webhook answers 401. Test deliveries are marked test: true in the events
// API and stay out of the statistics.
func TestTestConsoleSignsOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	hooks := map[string]hook{
		"signature": s.createHook(map[string]any{"path": "sig-" + eventstore.NewID()[:8], "authType": "signature", "signatureScheme": "github"}),
		"basic": s.createHook(map[string]any{"path": "basic-" + eventstore.NewID()[:8], "authType": "basic",
			"basicUsername": "shop", "basicPassword": "s3cret-password"}),
		"api_key": s.createHook(map[string]any{"path": "key-" + eventstore.NewID()[:8], "authType": "api_key"}),
	}
	testRun := func(h hook, body map[string]any) consoleRun {
		var r consoleRun
		require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/webhooks/"+h.ID+"/test", s.Token, body, &r))
		return r
	}
	var accepted []string
	for kind, h := range hooks {
		unsigned := testRun(h, map[string]any{"body": map[string]any{"kind": kind}})
		require.Equal(t, http.StatusUnauthorized, unsigned.Status, "%s without sign: %s", kind, unsigned.Body)
		unsignedFalse := testRun(h, map[string]any{"body": map[string]any{"kind": kind}, "sign": false})
		require.Equal(t, http.StatusUnauthorized, unsignedFalse.Status, kind)
		signed := testRun(h, map[string]any{"body": map[string]any{"kind": kind}, "sign": true})
		require.Equal(t, http.StatusAccepted, signed.Status, "%s with sign: %s", kind, signed.Body)
		require.NotEmpty(t, signed.EventID)
		accepted = append(accepted, signed.EventID)
	}

	// The events API marks every test delivery (accepted and rejected).
	h := hooks["basic"]
	var list struct {
		Events []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Test   *bool  `json:"test"`
		} `json:"events"`
	}
	s.waitStatus("/api/v1/events?webhookId="+h.ID, http.StatusOK, &list, func() bool { return len(list.Events) == 3 })
	for _, e := range list.Events {
		require.NotNil(t, e.Test, "test field missing")
		require.True(t, *e.Test, "%s (%s)", e.ID, e.Status)
	}
	for _, id := range accepted {
		var detail struct {
			Test *bool `json:"test"`
		}
		s.waitStatus("/api/v1/events/"+id, http.StatusOK, &detail, nil)
		require.NotNil(t, detail.Test)
		require.True(t, *detail.Test)
	}

	// Statistics leave tests out: no triggers, no errors, never triggered.
	type stats struct {
		TriggerCount    int64                 `json:"triggerCount"`
		LastTriggeredAt *time.Time            `json:"lastTriggeredAt"`
		ErrorRate       *hookstream.ErrorRate `json:"errorRate"`
	}
	for kind, h := range hooks {
		var st stats
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+h.ID, s.Token, nil, &st))
		require.Zero(t, st.TriggerCount, kind)
		require.Nil(t, st.LastTriggeredAt, kind)
		require.NotNil(t, st.ErrorRate)
		require.Zero(t, st.ErrorRate.LastHour, kind)
	}
	// A real delivery counts.
	n := s.createHook(map[string]any{"path": "real-" + eventstore.NewID()[:8], "authType": "none"})
	testRun(n, map[string]any{"body": map[string]any{"t": 1}})
	s.ingest(n.Path, `{"real":true}`)
	var st stats
	s.waitStatus("/api/v1/webhooks/"+n.ID, http.StatusOK, &st, func() bool { return st.TriggerCount > 0 })
	require.Equal(t, int64(1), st.TriggerCount)
	var ws map[string]any
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+n.ID+"/stats", s.Token, nil, &ws))
	raw, _ := json.Marshal(ws)
	require.NotContains(t, fmt.Sprint(ws), "test", string(raw))
}

// The event detail's replays carry the audit of each replay, as
// GET /api/v1/events/{id}/replays does; an edited replay never writes the
// mask placeholder over the original values (SPEC §7).
func TestReplayAuditInDetailAndMaskedEdits(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "masked-" + eventstore.NewID()[:8], "authType": "none",
		"maskPaths": []string{"$.customer.email", "$.cards[*].number"}})
	orig := s.ingest(h.Path, `{"status":"paid","customer":{"email":"ann@example.com","name":"Ann"},"cards":[{"number":"4111"},{"number":"5500"}]}`)

	// The dashboard shows the masked body; the analyst edits only status.
	var detail struct {
		Body json.RawMessage `json:"body"`
	}
	s.waitStatus("/api/v1/events/"+orig, http.StatusOK, &detail, nil)
	require.JSONEq(t, `{"status":"paid","customer":{"email":"***","name":"Ann"},"cards":[{"number":"***"},{"number":"***"}]}`, string(detail.Body))
	var edited map[string]any
	require.NoError(t, json.Unmarshal(detail.Body, &edited))
	edited["status"] = "refunded"
	edited["cards"].([]any)[1].(map[string]any)["number"] = "6011" // a real edit of a masked value stays
	var res struct {
		EventID string `json:"eventId"`
	}
	require.Equal(t, http.StatusAccepted, s.do("POST", "/api/v1/events/"+orig+"/replay", s.Token,
		map[string]any{"body": edited, "reason": "refund test"}, &res))

	// The replayed event in the stream has the original personal data.
	var replayed *hookstream.Event
	poll(t, 60*time.Second, 20*time.Millisecond, func() bool {
		for _, ev := range s.events(h, hookstream.EventWebhookReceived) {
			if ev.ID == res.EventID {
				replayed = ev
			}
		}
		return replayed != nil
	}, func() string { return "replay not in the stream" })
	var d hookstream.ReceivedData
	require.NoError(t, json.Unmarshal(replayed.Data, &d))
	require.JSONEq(t, `{"status":"refunded","customer":{"email":"ann@example.com","name":"Ann"},"cards":[{"number":"4111"},{"number":"6011"}]}`, string(d.Body))

	// The detail's replays carry the audit.
	var withReplays struct {
		Replays []struct {
			ID       string `json:"id"`
			Reason   string `json:"reason"`
			Modified bool   `json:"modified"`
			Actor    *struct {
				TokenID string `json:"tokenId"`
				Role    string `json:"role"`
			} `json:"actor"`
			CreatedAt time.Time `json:"createdAt"`
		} `json:"replays"`
	}
	s.waitStatus("/api/v1/events/"+orig, http.StatusOK, &withReplays, func() bool {
		return len(withReplays.Replays) == 1 && withReplays.Replays[0].Actor != nil
	})
	r := withReplays.Replays[0]
	require.Equal(t, res.EventID, r.ID)
	require.Equal(t, "refund test", r.Reason)
	require.True(t, r.Modified)
	require.Equal(t, "admin", r.Actor.Role)
	require.NotEmpty(t, r.Actor.TokenID)
	require.False(t, r.CreatedAt.IsZero())
}
