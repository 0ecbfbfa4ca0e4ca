package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
)

func TestEventsAPIAndProjectionsCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	ctx := t.Context()
	p, err := s.Main.Accounts().Authenticate(ctx, s.Token)
	require.NoError(t, err)
	hook := eventstore.NewID()
	var ids []string
	for i := range 6 {
		ev := eventstore.NewEvent(hookstream.EventWebhookReceived)
		ev.TenantID, ev.WebhookID = p.TenantID, hook
		ev.Data, _ = json.Marshal(hookstream.ReceivedData{Method: "POST", ContentType: "application/json",
			Headers: map[string][]string{"X-Test": {"1"}},
			Body:    json.RawMessage(fmt.Sprintf(`{"data":{"status":%q},"note":"Hello World %d"}`, []string{"paid", "open"}[i%2], i))})
		_, err := s.Main.Store().Append(ctx, ev, eventstore.AppendOptions{})
		require.NoError(t, err)
		ids = append(ids, ev.ID)
	}
	done := eventstore.NewEvent(hookstream.EventWebhookProcessed)
	done.TenantID, done.WebhookID = p.TenantID, hook
	done.Data, _ = json.Marshal(map[string]string{"eventId": ids[0], "executionId": "exec-1"})
	_, err = s.Main.Store().Append(ctx, done, eventstore.AppendOptions{})
	require.NoError(t, err)

	type page struct {
		Events []struct {
			ID, Status, ExecutionID string
		} `json:"events"`
		NextCursor *string `json:"nextCursor"`
	}
	var processed page
	poll(t, time.Minute, 50*time.Millisecond, func() bool {
		processed = page{}
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events?status=processed", s.Token, nil, &processed))
		return len(processed.Events) == 1
	}, func() string { return "projection did not apply the events" })
	require.Equal(t, ids[0], processed.Events[0].ID)

	// Keyset pagination walks every row once.
	seen := map[string]bool{}
	cursor := ""
	for {
		var pg page
		require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events?limit=4&cursor="+cursor, s.Token, nil, &pg))
		for _, e := range pg.Events {
			require.False(t, seen[e.ID])
			seen[e.ID] = true
		}
		if pg.NextCursor == nil {
			break
		}
		cursor = *pg.NextCursor
	}
	require.Len(t, seen, 6)

	var pg page
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events?q=hello%20WORLD%203", s.Token, nil, &pg))
	require.Len(t, pg.Events, 1)
	require.Equal(t, ids[3], pg.Events[0].ID)
	require.Equal(t, http.StatusOK, s.do("GET", `/api/v1/events?path=`+urlQ(`$.data.status == "paid"`), s.Token, nil, &pg))
	require.Len(t, pg.Events, 3)
	require.Equal(t, http.StatusOK, s.do("GET", `/api/v1/events?path=`+urlQ(`$.data ? (@.status == "open")`), s.Token, nil, &pg))
	require.Len(t, pg.Events, 3)
	require.Equal(t, http.StatusBadRequest, s.do("GET", `/api/v1/events?path=`+urlQ(`$.data.status == `), s.Token, nil, nil))
	require.Equal(t, http.StatusBadRequest, s.do("GET", `/api/v1/events?status=bogus`, s.Token, nil, nil))
	require.Equal(t, http.StatusBadRequest, s.do("GET", `/api/v1/events?limit=501`, s.Token, nil, nil))
	require.Equal(t, http.StatusBadRequest, s.do("GET", `/api/v1/events?cursor=nope`, s.Token, nil, nil))

	var detail map[string]any
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events/"+ids[0], s.Token, nil, &detail))
	require.Equal(t, "processed", detail["status"])
	require.Equal(t, "/api/v1/executions/exec-1", detail["executionUrl"])
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/events/"+eventstore.NewID(), s.Token, nil, nil))
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/events/not-a-uuid", s.Token, nil, nil))

	// /events/export is not captured by /events/:id.
	for _, format := range []string{"csv", "ndjson"} {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/events/export?format="+format, nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, string(raw))
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if format == "csv" {
			require.Len(t, lines, 7)
			require.True(t, strings.HasPrefix(lines[0], "id,webhookId"))
		} else {
			require.Len(t, lines, 6)
		}
	}
	require.Equal(t, http.StatusBadRequest, s.do("GET", "/api/v1/events/export?format=xml", s.Token, nil, nil))

	var stats map[string]any
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+hook+"/stats", s.Token, nil, &stats))
	require.EqualValues(t, 6, stats["triggerCount"])
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/webhooks/"+eventstore.NewID()+"/stats", s.Token, nil, nil))

	// The CLI speaks to the API.
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"projections", "status", "--url", s.URL, "--token", s.Token}, &out, &errOut))
	require.Contains(t, out.String(), "webhook_events")
	out.Reset()
	require.NoError(t, run(ctx, []string{"projections", "rebuild", "webhook_events", "--url", s.URL, "--token", s.Token, "--poll", "50ms"}, &out, &errOut))
	require.Contains(t, out.String(), "rebuilt webhook_events")
	require.Error(t, run(ctx, []string{"projections", "rebuild", "nope", "--url", s.URL, "--token", s.Token}, &out, &errOut))
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/events/"+ids[0], s.Token, nil, &detail))
	require.Equal(t, "processed", detail["status"])
}

func urlQ(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20", `"`, "%22", "$", "%24", "=", "%3D", "?", "%3F", "@", "%40", "(", "%28", ")", "%29", "&", "%26", "+", "%2B")
	return r.Replace(s)
}
