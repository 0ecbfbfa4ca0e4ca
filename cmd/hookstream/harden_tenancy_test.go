package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/handlers/verify"
	"github.com/hookstream/hookstream/projections/pglocal"
)

// tenantFixture is one tenant's objects, made through the API.
type tenantFixture struct {
	Webhook, Event, Workflow, Token, TokenID, Job, EventType, Secret string
}

const canarySecret = "canary-secret-5f0c2a9e7d41b3c8"

// makeFixture creates a webhook with a known secret, an event type, a
// workflow, a delivery (waiting until the delivery log has it), a viewer
// token and a batch replay job.
func makeFixture(t *testing.T, s *testServer) tenantFixture {
	t.Helper()
	var f tenantFixture
	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/workflows", s.Token, map[string]any{
		"name": "canary-flow", "steps": []any{map[string]any{"type": "log", "message": "hi"}},
	}, &wf))
	f.Workflow = wf.ID
	f.EventType = "canary.type"
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/event-types", s.Token, map[string]any{
		"name": f.EventType, "schema": map[string]any{"type": "object"},
	}, nil))
	h := s.createHook(map[string]any{"path": "canary", "authType": "signature", "signatureScheme": "github",
		"secret": canarySecret, "workflowId": f.Workflow})
	f.Webhook, f.Secret = h.ID, canarySecret
	// The delivery is signed; the secret itself never travels.
	body := `{"canary":1}`
	hdr, err := verify.Sign(verify.SchemeGitHub, []byte(canarySecret), verify.HMACConfig{}, "canary-delivery-1", time.Now(), []byte(body))
	require.NoError(t, err)
	st, out := s.post(h.Path, hdr, body)
	require.Equal(t, http.StatusAccepted, st, out)
	f.Event = out["eventId"].(string)
	var ev map[string]any
	s.waitStatus("/api/v1/events/"+f.Event, http.StatusOK, &ev, nil)
	var tok struct{ ID, Token string }
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/tokens", s.Token, map[string]string{"role": "viewer", "name": "canary-viewer"}, &tok))
	f.TokenID, f.Token = tok.ID, tok.Token
	var job struct{ JobID string }
	require.Equal(t, http.StatusAccepted, s.do("POST", "/api/v1/events/replay", s.Token, map[string]any{"ids": []string{f.Event}}, &job))
	f.Job = job.JobID
	require.NotEmpty(t, f.Job)
	return f
}

// routeURL fills a route's parameters with the fixture's ids; "" when the
// route takes no tenant object (ingest by path, the dashboard).
func routeURL(path string, f tenantFixture) string {
	if strings.Contains(path, ":path") || strings.Contains(path, "*") {
		return ""
	}
	seg := strings.Split(path, "/")
	for i, p := range seg {
		if !strings.HasPrefix(p, ":") {
			continue
		}
		switch {
		case p == ":jobId":
			seg[i] = f.Job
		case p == ":name" && i > 0 && seg[i-1] == "event-types":
			seg[i] = f.EventType
		case p == ":name":
			seg[i] = "webhook_events"
		case i > 0 && seg[i-1] == "tokens":
			seg[i] = f.TokenID
		case i > 0 && seg[i-1] == "events":
			seg[i] = f.Event
		case i > 0 && seg[i-1] == "workflows":
			seg[i] = f.Workflow
		default:
			seg[i] = f.Webhook
		}
	}
	return strings.Join(seg, "/")
}

// TestTenancyEveryRoute walks every route the server registered (Echo's
// route list: a new route is covered without editing this test) as an
// admin of another tenant, with the first tenant's ids in the path, the
// query and the body: only 403/404 (or a refusal of the body), never the
// first tenant's data.
func TestTenancyEveryRoute(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	a := makeFixture(t, s)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"tenants", "create", "--name", "intruder", "--database-url", s.Main.Config.DatabaseURL}, &out, io.Discard))
	var b struct{ Token string }
	require.NoError(t, json.Unmarshal(out.Bytes(), &b))

	q := url.Values{"webhookId": {a.Webhook}, "workflowId": {a.Workflow}}.Encode()
	body, _ := json.Marshal(map[string]any{"ids": []string{a.Event}, "webhookId": a.Webhook, "workflowId": a.Workflow,
		"filter": map[string]any{"webhookId": a.Webhook}, "schema": map[string]any{"type": "object"}, "payload": map[string]any{}})
	routes := s.Main.server.Echo().Routes()
	require.Greater(t, len(routes), 30)
	// Reads first: the writes below leave the intruder's own objects
	// naming the ids it sent.
	sort.SliceStable(routes, func(i, j int) bool {
		return routes[i].Method == http.MethodGet && routes[j].Method != http.MethodGet
	})
	checked := 0
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == echo.RouteNotFound {
			continue
		}
		path := routeURL(r.Path, a)
		if path == "" {
			continue
		}
		var rd io.Reader
		if r.Method != http.MethodGet && r.Method != http.MethodDelete {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(t.Context(), r.Method, s.URL+path+"?"+q, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+b.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		checked++
		where := r.Method + " " + r.Path + " → " + resp.Status + ": " + string(answer)
		if strings.Contains(r.Path, "/:") {
			require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, resp.StatusCode, where)
		} else {
			require.Less(t, resp.StatusCode, 500, where)
		}
		// The ids sent in the request may come back (a webhook of the
		// intruder's naming the workflow id it chose); nothing else of
		// the first tenant may.
		leaks := []string{a.TokenID, a.Job, a.Secret, a.Token}
		if r.Method == http.MethodGet {
			leaks = append(leaks, a.Event)
		}
		if !strings.Contains(r.Path, "/:") && r.Method == http.MethodGet {
			leaks = append(leaks, a.Webhook, a.Workflow)
		}
		for _, id := range leaks {
			if strings.Contains(path, id) && resp.StatusCode == http.StatusNotFound {
				continue // a 404 may name what it did not find
			}
			require.NotContains(t, string(answer), id, where)
		}
		if r.Method == http.MethodPost && r.Path == "/api/v1/events/replay" && resp.StatusCode < 300 {
			var res struct{ Matched int }
			require.NoError(t, json.Unmarshal(answer, &res))
			require.Zero(t, res.Matched, "a batch replay matched another tenant's event: %s", where)
		}
	}
	t.Logf("%d routes checked", checked)
}

// TestCanarySecretsNeverInClear: a known webhook secret and a known token
// never appear in clear in the NATS store files, the PostgreSQL data files
// (WAL included), the server's logs (at debug level) or any answer a
// viewer can read from any GET route.
func TestCanarySecretsNeverInClear(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Cleanup(func() { _ = pglocal.Remove(filepath.Join(dir, "pg")) })
	s := startServer(t, func(c *Config) { c.DataDir, c.DatabaseURL, c.LogLevel = dir, "", "debug" })
	f := makeFixture(t, s)
	canaries := []string{f.Secret, f.Token, s.Token}

	// Every GET route as the viewer.
	for _, r := range s.Main.server.Echo().Routes() {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		path := routeURL(r.Path, f)
		if path == "" {
			continue
		}
		req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+f.Token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, c := range canaries {
			require.NotContains(t, string(answer), c, "GET %s as a viewer", path)
		}
	}
	// Make PostgreSQL write its pages, then stop everything so the files are final.
	_, err := s.Main.Pool().Exec(t.Context(), "CHECKPOINT")
	require.NoError(t, err)
	pgDir := s.Main.pg.DataDir()
	s.Main.Close()
	for _, c := range canaries {
		require.NotContains(t, s.Logs.String(), c, "server logs")
	}
	for _, root := range []string{filepath.Join(dir, "nats"), pgDir} {
		n := 0
		require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return err
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			for _, c := range canaries {
				require.False(t, bytes.Contains(raw, []byte(c)), "%q in clear in %s", c[:8], p)
			}
			return nil
		}))
		require.Positive(t, n, root)
	}
}
