package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// tcpProxy forwards connections to target until Close, which also cuts the
// open ones: PostgreSQL "goes away" for the server behind it.
type tcpProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &tcpProxy{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { defer p.wg.Done(); _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	t.Cleanup(p.Close)
	return p
}

func (p *tcpProxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting and cuts every open connection.
func (p *tcpProxy) Close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// TestPostgresDownIs503: while PostgreSQL cannot be reached, the routes
// that read it answer 503 with Retry-After, and an unknown token (it cannot
// be checked) a 503 too — never a 500 (2.6/7 defect 7).
func TestPostgresDownIs503(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t, migrations.Migrate)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.Addr()
	s := startServer(t, func(c *Config) { c.DatabaseURL = u.String() })
	// The admin token is now cached by the server; the database goes away.
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/tokens", s.Token, nil, nil))
	proxy.Close()

	for _, path := range []string{"/api/v1/events", "/api/v1/tokens", "/api/v1/settings/retention", "/api/v1/settings/replays",
		"/api/v1/workflows", "/api/v1/events/export"} {
		req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%s: %s", path, body)
		require.NotEmpty(t, resp.Header.Get("Retry-After"), path)
		require.Contains(t, string(body), `"code":"unavailable"`)
	}
	var p map[string]any
	require.Equal(t, http.StatusServiceUnavailable, s.do("GET", "/api/v1/tokens", "hst_unknown_token", nil, &p), p)
	require.NotContains(t, s.Logs.String(), "hst_unknown_token")
}
