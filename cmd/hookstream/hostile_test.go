package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestHostileBodiesReachTheDeliveryLog sends bodies an outside probe used
// against an unauthenticated webhook (2.6/7 defect 1): every request that
// got a 2xx must reach the delivery log and be readable through the API,
// every refused one must be a rejected row, and a plain event sent after
// them must not wait behind them.
func TestHostileBodiesReachTheDeliveryLog(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "hostile", "authType": "none"})
	cases := []struct {
		name, ct, path, body string
		want                 int
	}{
		{"invalid UTF-8 in a JSON body", "application/json", "", "{\"a\":\"\xff\"}", http.StatusBadRequest},
		{"invalid UTF-8 as binary", "application/octet-stream", "", "{\"a\":\"\xff\"}", http.StatusAccepted},
		{"NUL escape", "application/json", "", `{"a":"x\u0000y","\u0000":1}`, http.StatusAccepted},
		{"lone surrogate", "application/json", "", `{"a":"\ud800"}`, http.StatusAccepted},
		{"invalid UTF-8 text", "text/plain", "", "caf\xe9 \x00", http.StatusAccepted},
		{"NUL in the query", "application/json", "?x=%00&y=%ff", `{}`, http.StatusAccepted},
		{"NUL in an id field", "application/json", "", `{"id":"\u0000"}`, http.StatusAccepted},
	}
	ids := map[string]string{}
	for _, c := range cases {
		hdr := http.Header{"Content-Type": {c.ct}}
		st, _, out := s.send("POST", "/api/v1/webhooks/"+h.Path+c.path, hdr, strings.NewReader(c.body))
		require.Equal(t, c.want, st, "%s: %v", c.name, out)
		if st == http.StatusAccepted {
			ids[out["eventId"].(string)] = c.name
		}
	}
	st, out := s.post(h.Path, nil, `{"plain":true}`)
	require.Equal(t, http.StatusAccepted, st)
	ids[out["eventId"].(string)] = "plain"

	for id, name := range ids {
		var ev map[string]any
		poll(t, 30*time.Second, 25*time.Millisecond, func() bool {
			return s.do("GET", "/api/v1/events/"+id, s.Token, nil, &ev) == http.StatusOK
		}, func() string {
			return fmt.Sprintf("%s: event %s never reached the delivery log; logs:\n%s", name, id, s.Logs.String())
		})
		require.Equal(t, id, ev["id"])
	}
	var list struct {
		Events []map[string]any `json:"events"`
	}
	poll(t, 30*time.Second, 25*time.Millisecond, func() bool {
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events?status=rejected&webhookId="+h.ID, s.Token, nil, &list))
		return len(list.Events) == 1
	}, func() string { return fmt.Sprintf("rejected rows: %v", list.Events) })
	require.EqualValues(t, http.StatusBadRequest, list.Events[0]["responseStatus"])
	var parked int
	require.NoError(t, s.Main.Pool().QueryRow(t.Context(), `SELECT count(*) FROM projection_dead_letters`).Scan(&parked))
	require.Zero(t, parked, "no acknowledged event is parked for its bytes")
}
