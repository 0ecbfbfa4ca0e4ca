package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// feedMsg is one live feed message.
type feedMsg struct {
	Seq    uint64           `json:"seq"`
	Stream string           `json:"stream"`
	Event  hookstream.Event `json:"event"`
}

// dialFeed connects to the live feed; header carries credentials.
func (s *testServer) dialFeed(query string, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
	s.t.Helper()
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	ctx, cancel := context.WithTimeout(s.t.Context(), 30*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/api/v1/ws"
	if query != "" {
		u += "?" + query
	}
	c, resp, err := websocket.Dial(ctx, u, opts)
	if c != nil {
		c.SetReadLimit(16 << 20)
		s.t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, resp, err
}

func bearer(token string) *websocket.DialOptions {
	return &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}}
}

// feedReader collects a connection's messages in the background.
type feedReader struct {
	mu   sync.Mutex
	msgs []feedMsg
	err  error
	done chan struct{}
}

func readFeed(t *testing.T, c *websocket.Conn) *feedReader {
	t.Helper()
	r := &feedReader{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			_, raw, err := c.Read(context.Background())
			if err != nil {
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
				return
			}
			var m feedMsg
			if err := json.Unmarshal(raw, &m); err != nil {
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
				return
			}
			r.mu.Lock()
			r.msgs = append(r.msgs, m)
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *feedReader) snapshot() []feedMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]feedMsg(nil), r.msgs...)
}

// received returns the ids of the webhook.received events seen, in order.
func (r *feedReader) received() []string {
	var ids []string
	for _, m := range r.snapshot() {
		if m.Event.Type == hookstream.EventWebhookReceived {
			ids = append(ids, m.Event.ID)
		}
	}
	return ids
}

// waitFor polls until the reader saw every id in want.
func (r *feedReader) waitFor(t *testing.T, want ...string) {
	t.Helper()
	poll(t, 60*time.Second, 20*time.Millisecond, func() bool {
		got := map[string]bool{}
		for _, m := range r.snapshot() {
			got[m.Event.ID] = true
		}
		for _, id := range want {
			if !got[id] {
				return false
			}
		}
		return true
	}, func() string {
		r.mu.Lock()
		defer r.mu.Unlock()
		return fmt.Sprintf("want %v, got %d messages (err %v)", want, len(r.msgs), r.err)
	})
}

func (s *testServer) ingest(path, body string) string {
	s.t.Helper()
	st, out := s.post(path, nil, body)
	require.Equal(s.t, http.StatusAccepted, st, out)
	return out["eventId"].(string)
}

func newTenant(t *testing.T, s *testServer, name string) (tenantID, token string) {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"tenants", "create", "--name", name, "--database-url", s.Main.Config.DatabaseURL}, &out, io.Discard))
	var acme struct{ TenantID, Token string }
	require.NoError(t, json.Unmarshal(out.Bytes(), &acme))
	return acme.TenantID, acme.Token
}

func TestFeedAuthentication(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"name": "feed", "path": "feed-" + eventstore.NewID()[:8], "authType": "none"})

	// 1. Authorization header.
	byHeader, _, err := s.dialFeed("", bearer(s.Token))
	require.NoError(t, err)
	// 2. Sec-WebSocket-Protocol: bearer, <token>, answered with "bearer".
	byProto, resp, err := s.dialFeed("", &websocket.DialOptions{Subprotocols: []string{"bearer", s.Token}})
	require.NoError(t, err)
	require.Equal(t, "bearer", resp.Header.Get("Sec-WebSocket-Protocol"))
	require.Equal(t, "bearer", byProto.Subprotocol())
	// 3. A single-use ticket.
	var ticket struct {
		Ticket    string    `json:"ticket"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/ws-ticket", s.Token, nil, &ticket))
	require.NotEmpty(t, ticket.Ticket)
	require.WithinDuration(t, time.Now().Add(60*time.Second), ticket.ExpiresAt, 15*time.Second)
	byTicket, _, err := s.dialFeed("ticket="+ticket.Ticket, nil)
	require.NoError(t, err)

	readers := []*feedReader{readFeed(t, byHeader), readFeed(t, byProto), readFeed(t, byTicket)}
	id := s.ingest(h.Path, `{"n":1}`)
	for _, r := range readers {
		r.waitFor(t, id)
	}

	// The ticket is single use.
	_, resp, err = s.dialFeed("ticket="+ticket.Ticket, nil)
	require.Error(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	// An unknown ticket, no credentials, a wrong token: 401.
	for _, q := range []string{"ticket=nope", ""} {
		_, resp, err = s.dialFeed(q, nil)
		require.Error(t, err)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, q)
	}
	_, resp, err = s.dialFeed("", bearer("hst_wrong"))
	require.Error(t, err)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	// A token in the URL is refused, even with a valid header.
	for _, q := range []string{"token=" + s.Token, "access_token=" + s.Token} {
		_, resp, err = s.dialFeed(q, bearer(s.Token))
		require.Error(t, err)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, q)
	}
	// Tickets need a token.
	require.Equal(t, http.StatusUnauthorized, s.do("POST", "/api/v1/ws-ticket", "", nil, nil))
	// A bad filter is a 422 before the upgrade.
	_, resp, err = s.dialFeed("types=config.changed", bearer(s.Token))
	require.Error(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestFeedTicketRedeemedOnceUnderRace(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var ticket struct{ Ticket string }
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/ws-ticket", s.Token, nil, &ticket))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for range 8 {
		wg.Go(func() {
			c, resp, err := s.dialFeed("ticket="+ticket.Ticket, nil)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
				_ = c.Close(websocket.StatusNormalClosure, "")
				return
			}
			if resp != nil && resp.StatusCode == http.StatusUnauthorized {
				refused++
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, ok)
	require.Equal(t, 7, refused)
}

func TestFeedTenantsAndFilters(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	w1 := s.createHook(map[string]any{"name": "w1", "path": "w1-" + eventstore.NewID()[:8], "authType": "none"})
	w2 := s.createHook(map[string]any{"name": "w2", "path": "w2-" + eventstore.NewID()[:8], "authType": "none",
		"maskPaths": []string{"$.email"}})
	_, otherToken := newTenant(t, s, "other")
	var w3 hook
	var raw map[string]any
	require.Equal(t, http.StatusCreated, s.do("POST", "/api/v1/webhooks", otherToken,
		map[string]any{"name": "w3", "path": "w3-" + eventstore.NewID()[:8], "authType": "none"}, &raw))
	b, _ := json.Marshal(raw)
	require.NoError(t, json.Unmarshal(b, &w3))

	dial := func(token, q string) *feedReader {
		c, _, err := s.dialFeed(q, bearer(token))
		require.NoError(t, err)
		return readFeed(t, c)
	}
	all := dial(s.Token, "")
	onlyW2 := dial(s.Token, "webhookId="+w2.ID+"&types=webhook.received")
	prefix := dial(s.Token, "types=webhook.*")
	other := dial(otherToken, "")

	e1 := s.ingest(w1.Path, `{"n":1}`)
	e2 := s.ingest(w2.Path, `{"n":2,"email":"a@example.com"}`)
	all.waitFor(t, e1, e2)
	e3 := s.ingest(w3.Path, `{"n":3}`)
	other.waitFor(t, e3)
	onlyW2.waitFor(t, e2)
	prefix.waitFor(t, e1, e2)
	// The hub dispatches each stream in order: once a later delivery e4
	// reached "all", every client has been offered everything about e1 and
	// e2 (a delivery decided at ingest has no derived event, 2.4/7).
	e4 := s.ingest(w1.Path, `{"n":4}`)
	all.waitFor(t, e4)

	// The other tenant never sees this tenant's events, and vice versa.
	for _, m := range other.snapshot() {
		require.Equal(t, w3.TenantID, m.Event.TenantID)
	}
	for _, m := range all.snapshot() {
		require.NotEqual(t, w3.TenantID, m.Event.TenantID)
		require.NotEqual(t, e3, m.Event.ID)
	}
	// The webhook and type filters.
	for _, m := range onlyW2.snapshot() {
		require.Equal(t, w2.ID, m.Event.WebhookID)
		require.Equal(t, hookstream.EventWebhookReceived, m.Event.Type)
	}
	for _, m := range prefix.snapshot() {
		require.True(t, strings.HasPrefix(m.Event.Type, "webhook."), m.Event.Type)
	}
	// Shape: seq is an opaque JS-safe integer, stream is named, bodies masked.
	for _, m := range all.snapshot() {
		require.Less(t, m.Seq, uint64(1)<<53)
		require.NotEqual(t, m.Event.Sequence, m.Seq)
		require.Contains(t, []string{"HOOKS", "EXEC"}, m.Stream)
		if m.Event.ID == e2 {
			var d hookstream.ReceivedData
			require.NoError(t, json.Unmarshal(m.Event.Data, &d))
			require.JSONEq(t, `{"n":2,"email":"***"}`, string(d.Body))
		}
	}
}

func TestFeedResumeAcrossRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dsn := pgtest.DSN(t, migrations.Migrate)
	mutate := func(c *Config) { c.DataDir, c.DatabaseURL = dir, dsn }
	s1 := startServer(t, mutate)
	h := s1.createHook(map[string]any{"name": "resume", "path": "resume-" + eventstore.NewID()[:8], "authType": "none"})
	c, _, err := s1.dialFeed("types=webhook.received", bearer(s1.Token))
	require.NoError(t, err)
	r := readFeed(t, c)
	var before []string
	for i := range 3 {
		before = append(before, s1.ingest(h.Path, fmt.Sprintf(`{"n":%d}`, i)))
	}
	r.waitFor(t, before...)
	msgs := r.snapshot()
	cursor := msgs[len(msgs)-1].Seq
	require.Equal(t, before[2], msgs[len(msgs)-1].Event.ID)
	_ = c.Close(websocket.StatusNormalClosure, "")

	// Missed while disconnected, before and after the restart.
	var missed []string
	for i := range 2 {
		missed = append(missed, s1.ingest(h.Path, fmt.Sprintf(`{"m":%d}`, i)))
	}
	s1.Main.Close()
	s2 := startServer(t, mutate)
	for i := range 2 {
		missed = append(missed, s2.ingest(h.Path, fmt.Sprintf(`{"m2":%d}`, i)))
	}
	c2, _, err := s2.dialFeed("types=webhook.received&since="+strconv.FormatUint(cursor, 10), bearer(s2.Token))
	require.NoError(t, err)
	r2 := readFeed(t, c2)
	r2.waitFor(t, missed...)
	live := s2.ingest(h.Path, `{"live":true}`)
	r2.waitFor(t, live)
	// Exactly the missed events, then the live one: nothing lost, nothing
	// from before the cursor, no repeats.
	require.Equal(t, append(missed, live), r2.received())

	// A forged cursor is refused with 1008 after the upgrade.
	c3, _, err := s2.dialFeed("since=12345", bearer(s2.Token))
	require.NoError(t, err)
	_, _, err = c3.Read(t.Context())
	require.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(err), "%v", err)
}

func TestFeedSlowClientClosed1008(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) {
		c.FeedQueueSize, c.FeedWriteTimeout, c.FeedPingInterval = 4, 10*time.Minute, 10*time.Minute
	})
	h := s.createHook(map[string]any{"name": "slow", "path": "slow-" + eventstore.NewID()[:8], "authType": "none"})
	fastConn, _, err := s.dialFeed("types=webhook.received", bearer(s.Token))
	require.NoError(t, err)
	fast := readFeed(t, fastConn)
	// The stalled client reads nothing, through a small receive buffer.
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return errors.Join(err, serr)
	}}
	stalled, _, err := s.dialFeed("types=webhook.received", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + s.Token}},
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
	})
	require.NoError(t, err)

	body := `{"pad":"` + strings.Repeat("x", 256<<10) + `"}`
	var ids []string
	start := time.Now()
	for range 40 {
		ids = append(ids, s.ingest(h.Path, body))
	}
	fast.waitFor(t, ids...)
	t.Logf("40 large events ingested and received by the fast client in %s", time.Since(start))
	// The fast client keeps receiving.
	last := s.ingest(h.Path, `{"after":"slow"}`)
	fast.waitFor(t, last)

	// The stalled client finds, after what was buffered, a 1008 close.
	var closeErr error
	for {
		_, _, err := stalled.Read(t.Context())
		if err != nil {
			closeErr = err
			break
		}
	}
	require.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(closeErr), "%v", closeErr)
	fast.mu.Lock()
	require.NoError(t, fast.err)
	fast.mu.Unlock()
}

// `hookstream events tail` follows the live feed.
func TestEventsTailUsesTheFeed(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"name": "tail", "path": "tail-" + eventstore.NewID()[:8], "authType": "none"})
	ctx, cancel := context.WithCancel(t.Context())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"events", "tail", "--json", "--type", "webhook.received", "--webhook", h.ID, "--url", s.URL, "--token", s.Token}, out, errOut)
	}()
	// The tail connects asynchronously: keep sending until one shows up.
	var first string
	poll(t, 60*time.Second, 100*time.Millisecond, func() bool {
		if first != "" && strings.Contains(out.String(), first) {
			return true
		}
		first = s.ingest(h.Path, `{"tail":1}`)
		return false
	}, func() string { return "tail printed nothing: " + errOut.String() })
	second := s.ingest(h.Path, `{"tail":2}`)
	poll(t, 60*time.Second, 20*time.Millisecond, func() bool { return strings.Contains(out.String(), second) },
		func() string { return "second event not printed" })
	cancel()
	require.NoError(t, <-done)
	for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		var ev hookstream.Event
		require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
		require.Equal(t, hookstream.EventWebhookReceived, ev.Type)
	}
	// Wrong token: a clear error, no retry loop.
	err := run(t.Context(), []string{"events", "tail", "--url", s.URL, "--token", "hst_wrong"}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "401")
}

// Pings keep a reading client connected and drop one that stopped
// answering (a dead peer).
func TestFeedPings(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *Config) { c.FeedPingInterval = 100 * time.Millisecond })
	h := s.createHook(map[string]any{"name": "ping", "path": "ping-" + eventstore.NewID()[:8], "authType": "none"})
	alive, _, err := s.dialFeed("", bearer(s.Token))
	require.NoError(t, err)
	r := readFeed(t, alive) // reading answers pings
	dead, _, err := s.dialFeed("", bearer(s.Token))
	require.NoError(t, err) // never reads: pings go unanswered
	// Wait until the server has given up on the silent client: its
	// connection is closed under it.
	poll(t, 60*time.Second, 50*time.Millisecond, func() bool {
		return testutilGauge(t, s, "hookstream_feed_clients") == 1
	}, func() string { return "the silent client was not dropped" })
	id := s.ingest(h.Path, `{"after":"pings"}`)
	r.waitFor(t, id)
	_, _, err = dead.Read(t.Context())
	require.Error(t, err)
}

// testutilGauge reads one gauge from the server's registry.
func testutilGauge(t *testing.T, s *testServer, name string) float64 {
	t.Helper()
	mfs, err := s.Main.Registry().Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}
