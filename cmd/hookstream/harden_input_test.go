package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/handlers"
)

// raw sends body as is (nil: no body) with the admin token and returns the
// status and the answer.
func (s *testServer) raw(method, path string, body io.Reader, contentLength int64) (int, string) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.URL+path, body)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	if contentLength >= 0 {
		req.ContentLength = contentLength
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// jsonBodyRoutes are the management routes that read a JSON body; {id} and
// {name} are filled with a real webhook id and event type name.
var jsonBodyRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/webhooks"},
	{"PUT", "/api/v1/webhooks/{id}"},
	{"POST", "/api/v1/webhooks/{id}/regenerate-secret"},
	{"POST", "/api/v1/webhooks/{id}/test"},
	{"PUT", "/api/v1/webhooks/{id}/filters"},
	{"POST", "/api/v1/webhooks/{id}/filters/test"},
	{"POST", "/api/v1/tokens"},
	{"PUT", "/api/v1/settings/retention"},
	{"PUT", "/api/v1/settings/replays"},
	{"POST", "/api/v1/event-types"},
	{"POST", "/api/v1/event-types/{name}/versions"},
	{"POST", "/api/v1/event-types/{name}/validate"},
	{"POST", "/api/v1/workflows"},
	{"POST", "/api/v1/events/replay"},
	{"POST", "/api/v1/events/{event}/replay"},
}

// TestJSONBodyMustBeAnObject: null, arrays, numbers and strings are 400 on
// every JSON-body route, and create nothing (2.6/7 defect 8).
func TestJSONBodyMustBeAnObject(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "obj-" + strings.ToLower(t.Name()[:8]), "authType": "none"})
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{
		"name": "order.paid", "schema": map[string]any{"type": "object"},
	}, nil))
	st, out := s.post(h.Path, nil, `{"a":1}`)
	require.Equal(t, http.StatusAccepted, st)
	event := out["eventId"].(string)
	var before struct{ Total int }
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks", s.Token, nil, &before))
	for _, r := range jsonBodyRoutes {
		path := strings.NewReplacer("{id}", h.ID, "{name}", "order.paid", "{event}", event).Replace(r.path)
		for _, body := range []string{"null", "[]", "[{}]", "1", `"x"`, "true", " null "} {
			st, answer := s.raw(r.method, path, strings.NewReader(body), -1)
			require.Equal(t, http.StatusBadRequest, st, "%s %s with %q: %s", r.method, r.path, body, answer)
		}
	}
	var after struct{ Total int }
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks", s.Token, nil, &after))
	require.Equal(t, before.Total, after.Total, "a non-object body created a webhook")
}

// TestManagementBodyLimit: every JSON-body route refuses a body over its
// class's limit with 413, whether announced by Content-Length or streamed
// chunked (2.6/7 defect 4).
func TestManagementBodyLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "limit-hook", "authType": "none"})
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{
		"name": "order.paid", "schema": map[string]any{"type": "object"},
	}, nil))
	st, out := s.post(h.Path, nil, `{"a":1}`)
	require.Equal(t, http.StatusAccepted, st)
	event := out["eventId"].(string)
	// Over every class's limit (the largest is the payload class). A JSON
	// object that is valid up to the limit, so only the size can refuse it.
	const size = handlers.BodyLimitPayload + 1<<20
	big := func() io.Reader {
		return io.MultiReader(strings.NewReader(`{"name":"`), io.LimitReader(repeatReader('a'), size), strings.NewReader(`"}`))
	}
	for _, r := range jsonBodyRoutes {
		path := strings.NewReplacer("{id}", h.ID, "{name}", "order.paid", "{event}", event).Replace(r.path)
		st, answer := s.raw(r.method, path, big(), size+11)
		require.Equal(t, http.StatusRequestEntityTooLarge, st, "%s %s announced: %s", r.method, r.path, answer)
		st, answer = s.raw(r.method, path, big(), 0) // chunked: unknown length
		require.Equal(t, http.StatusRequestEntityTooLarge, st, "%s %s chunked: %s", r.method, r.path, answer)
	}
	// A body within the limit still works.
	st, answer := s.raw("POST", "/api/v1/event-types/order.paid/validate", bytes.NewReader([]byte(`{"payload":{"a":1}}`)), -1)
	require.Equal(t, http.StatusOK, st, answer)
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// TestBadQueryParametersAre400: every bad query value on the list
// endpoints is a 400 problem, never a 500 (2.6/7 defect 5).
func TestBadQueryParametersAre400(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "query-hook", "authType": "none"})
	lists := []string{"/api/v1/events", "/api/v1/events/export", "/api/v1/webhooks", "/api/v1/workflows",
		"/api/v1/event-types", "/api/v1/events/live", "/api/v1/tokens", "/api/v1/webhooks/" + h.ID + "/tests",
		"/api/v1/webhooks/" + h.ID + "/stats"}
	bad := []string{"q=%00", "q=%ff", "q=a%00b", "cursor=%00", "cursor=nope", "cursor=" + strings.Repeat("A", 5000),
		"limit=0", "limit=-1", "limit=100000", "limit=abc", "limit=%00", "from=yesterday", "to=%00", "from=2026-13-01T00:00:00Z",
		"webhookId=not-a-uuid", "webhookId=%00", "workflowId=%00", "workflowId=x'", "status=%00", "path=%00",
		"after=x", "after=%00", "wait=x", "type=%00", "enabled=maybe", "format=xml", "x=%00", "%00=1", "window=%00"}
	for _, l := range lists {
		for _, q := range bad {
			st, answer := s.raw("GET", l+"?"+q, nil, -1)
			if st == http.StatusOK && !strings.Contains(q, "%00") && !strings.Contains(q, "%ff") {
				// A parameter this list does not read is ignored; only
				// NUL and invalid UTF-8 are refused everywhere.
				continue
			}
			require.Equal(t, http.StatusBadRequest, st, fmt.Sprintf("GET %s?%s: %s", l, q, answer))
			require.Contains(t, answer, `"status":400`)
		}
	}
}
