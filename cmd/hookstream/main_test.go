package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// syncBuffer is a goroutine-safe buffer for the server's stdout/stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a real server started through Main on port 0, with an
// embedded NATS in a temp dir and a cloned test database.
type testServer struct {
	t     *testing.T
	Main  *Main
	URL   string
	Token string
	Logs  *syncBuffer
}

// startServer runs Main like `hookstream serve` does; mutate adjusts the config.
func startServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	cfg, err := parseConfig("serve", nil, nil)
	require.NoError(t, err)
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = pgtest.DSN(t, migrations.Migrate)
	cfg.BootstrapToken = projections.NewToken()
	cfg.LogLevel = "warn"
	if mutate != nil {
		mutate(&cfg)
	}
	logs := &syncBuffer{}
	m := NewMain(cfg, logs, logs)
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(m.Close)
	require.True(t, m.WaitPostgres(t.Context()))
	return &testServer{t: t, Main: m, URL: "http://" + m.Addr, Token: cfg.BootstrapToken, Logs: logs}
}

// do sends a JSON request with a bearer token and decodes the JSON answer.
func (s *testServer) do(method, path, token string, body any, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(s.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.URL+path, r)
	require.NoError(s.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	checkContract(s.t, req, resp, raw)
	if out != nil && len(raw) > 0 {
		require.NoError(s.t, json.Unmarshal(raw, out), string(raw))
	}
	return resp.StatusCode
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	require.Equal(t, http.StatusOK, s.do("GET", "/healthz", "", nil, nil))
	var ready struct {
		Status     string `json:"status"`
		Components []struct {
			Name, Status string
			Required     bool
		} `json:"components"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/readyz?verbose", "", nil, &ready))
	require.Equal(t, "ready", ready.Status)
	names := map[string]string{}
	for _, c := range ready.Components {
		names[c.Name] = c.Status
	}
	require.Equal(t, "ok", names["jetstream"])
	require.Equal(t, "ok", names["postgres"])
	require.Equal(t, "ok", names["migrations"])

	req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/metrics", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(raw), "go_goroutines")
}

func TestAuthenticationRolesAndTenants(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)

	// Missing and wrong tokens: 401 problem+json.
	var p map[string]any
	require.Equal(t, http.StatusUnauthorized, s.do("GET", "/api/v1/tokens", "", nil, &p))
	require.Equal(t, float64(401), p["status"])
	require.Equal(t, http.StatusUnauthorized, s.do("GET", "/api/v1/tokens", "hst_wrong", nil, nil))

	// The admin creates a viewer; the viewer reads but cannot create.
	var created struct{ ID, Token, Role string }
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/tokens", s.Token, map[string]string{"role": "viewer", "name": "v"}, &created))
	require.Equal(t, "viewer", created.Role)
	require.True(t, strings.HasPrefix(created.Token, "hst_"))
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/tokens", created.Token, nil, nil))
	require.Equal(t, http.StatusForbidden, s.do("POST", "/api/v1/tokens", created.Token, map[string]string{"role": "admin"}, nil))
	require.Equal(t, http.StatusForbidden, s.do("PUT", "/api/v1/settings/retention", created.Token, map[string]int{"retentionDays": 7}, nil))

	// A second tenant through the CLI path; its token cannot see or delete
	// the first tenant's token (404, not 403).
	var out bytes.Buffer
	err := run(t.Context(), []string{"tenants", "create", "--name", "acme", "--database-url", s.Main.Config.DatabaseURL}, &out, io.Discard)
	require.NoError(t, err)
	var acme struct{ TenantID, Token string }
	require.NoError(t, json.Unmarshal(out.Bytes(), &acme))
	require.NotEmpty(t, acme.TenantID)
	require.Equal(t, http.StatusNotFound, s.do("DELETE", "/api/v1/tokens/"+created.ID, acme.Token, nil, nil))
	var list struct {
		Tokens []struct{ ID string } `json:"tokens"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/tokens", acme.Token, nil, &list))
	require.Len(t, list.Tokens, 1)

	// tokens create for the new tenant.
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"tokens", "create", "--tenant", acme.TenantID, "--role", "analyst", "--database-url", s.Main.Config.DatabaseURL}, &out, io.Discard))
	var tok struct{ Token string }
	require.NoError(t, json.Unmarshal(out.Bytes(), &tok))
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/settings/retention", tok.Token, nil, nil))

	// Deleting a token revokes it at once.
	require.Equal(t, http.StatusNoContent, s.do("DELETE", "/api/v1/tokens/"+created.ID, s.Token, nil, nil))
	require.Equal(t, http.StatusUnauthorized, s.do("GET", "/api/v1/tokens", created.Token, nil, nil))

	// Retention validation and round trip.
	require.Equal(t, http.StatusUnprocessableEntity, s.do("PUT", "/api/v1/settings/retention", s.Token, map[string]int{"retentionDays": 0}, nil))
	var ret struct{ RetentionDays int }
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/settings/retention", s.Token, map[string]int{"retentionDays": 7}, &ret))
	require.Equal(t, 7, ret.RetentionDays)
	// Unknown API route: problem+json 404.
	require.Equal(t, http.StatusNotFound, s.do("GET", "/api/v1/nope", s.Token, nil, nil))
}

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dsn := pgtest.DSN(t, migrations.Migrate)
	mutate := func(c *Config) { c.DataDir, c.DatabaseURL = dir, dsn }
	s1 := startServer(t, mutate)
	ev := newTestEvent(s1.Main)
	res, err := s1.Main.Store().Append(t.Context(), ev, appendOpts())
	require.NoError(t, err)
	s1.Main.Close()

	s2 := startServer(t, mutate)
	got, err := s2.Main.Store().Get(t.Context(), res.Stream, res.Seq)
	require.NoError(t, err)
	require.Equal(t, ev.ID, got.ID)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err = s2.Main.Accounts().Authenticate(ctx, s1.Token)
	require.NoError(t, err)
}
