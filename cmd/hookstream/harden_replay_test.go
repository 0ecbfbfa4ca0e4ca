package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
)

// TestEditedReplayObeysTheWebhookBodyLimit: an edited body larger than the
// webhook's maxBodyBytes is a 413 (a replay skips only authentication and
// deduplication, SPEC §7), and an edited replay does not keep the
// original's Content-Length (2.6/7 defect 6).
func TestEditedReplayObeysTheWebhookBodyLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "replay-limit", "authType": "none", "maxBodyBytes": 1024})
	st, out := s.post(h.Path, nil, `{"small":true}`)
	require.Equal(t, http.StatusAccepted, st, out)
	orig := out["eventId"].(string)

	big := map[string]any{"body": map[string]any{"pad": strings.Repeat("x", 5000)}}
	var p map[string]any
	poll(t, 90*time.Second, 50*time.Millisecond, func() bool {
		p = nil
		return s.do("POST", "/api/v1/events/"+orig+"/replay", s.Token, big, &p) != http.StatusNotFound
	}, func() string { return "event never reached the delivery log" })
	require.EqualValues(t, http.StatusRequestEntityTooLarge, p["status"], p)

	edited := `{"edited":"yes, a longer body than the original"}`
	var r struct{ EventID string }
	require.Equal(t, http.StatusAccepted, s.do("POST", "/api/v1/events/"+orig+"/replay", s.Token,
		map[string]any{"body": json.RawMessage(edited)}, &r))
	found := false
	for _, ev := range s.events(h, hookstream.EventWebhookReceived) {
		var d hookstream.ReceivedData
		require.NoError(t, json.Unmarshal(ev.Data, &d))
		cl := ""
		for k, v := range d.Headers {
			if strings.EqualFold(k, "Content-Length") && len(v) > 0 {
				cl = v[0]
			}
		}
		switch ev.ID {
		case orig:
			require.Equal(t, strconv.Itoa(len(`{"small":true}`)), cl, "the original keeps its header")
		case r.EventID:
			found = true
			if cl != "" {
				require.Equal(t, strconv.Itoa(len(edited)), cl, "an edited replay's Content-Length is its own")
			}
		}
	}
	require.True(t, found)
}
