package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pglocal"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// The durability tests of issue 3: an acknowledged webhook is never lost,
// whether the process is SIGKILLed or PostgreSQL goes away.

const durabilitySecret = "durability-secret-0123456789abcdef"

// signedLoad sends GitHub-signed webhooks from clients goroutines, each with
// unique delivery ids. A request without an answer (the server was killed)
// is resent with the same delivery id, as a sender would; a 2xx (202, or
// 200 duplicate of an earlier attempt that was stored) records the delivery
// as acknowledged.
type signedLoad struct {
	url     string
	clients int
	acked   sync.Map // delivery id → event id
	nAcked  atomic.Int64
	nDup    atomic.Int64
	nFailed atomic.Int64 // no answer or 5xx: resent
	other   atomic.Int64 // unexpected statuses
	lastBad atomic.Value
	stop    chan struct{}
	wg      sync.WaitGroup
}

func newSignedLoad(url string, clients int) *signedLoad {
	return &signedLoad{url: url, clients: clients, stop: make(chan struct{})}
}

func (l *signedLoad) start(t *testing.T) {
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: l.clients}}
	run := t.Name()
	for c := range l.clients {
		l.wg.Go(func() {
			for n := 0; ; n++ {
				id := fmt.Sprintf("%s-c%d-n%d", run, c, n)
				body := fmt.Appendf(nil, `{"client":%d,"n":%d,"pad":"%s"}`, c, n, strings.Repeat("x", 900))
				mac := hmac.New(sha256.New, []byte(durabilitySecret))
				mac.Write(body)
				sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
				for {
					select {
					case <-l.stop:
						return
					default:
					}
					status, eventID, dup := l.send(client, body, id, sig)
					if status == http.StatusAccepted || status == http.StatusOK {
						l.acked.Store(id, eventID)
						l.nAcked.Add(1)
						if dup {
							l.nDup.Add(1)
						}
						break
					}
					if status != 0 && status < 500 {
						l.other.Add(1)
						l.lastBad.Store(fmt.Sprintf("status %d for %s", status, id))
						break
					}
					l.nFailed.Add(1)
					select {
					case <-l.stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}
		})
	}
}

func (l *signedLoad) send(client *http.Client, body []byte, id, sig string) (status int, eventID string, dup bool) {
	req, err := http.NewRequest(http.MethodPost, l.url, bytes.NewReader(body))
	if err != nil {
		return 0, "", false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", false
	}
	defer resp.Body.Close()
	var out struct {
		EventID   string `json:"eventId"`
		Duplicate bool   `json:"duplicate"`
	}
	if resp.StatusCode/100 == 2 {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.EventID == "" {
			return 0, "", false
		}
	}
	return resp.StatusCode, out.EventID, out.Duplicate
}

func (l *signedLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// waitAcked polls until n more deliveries were acknowledged.
func (l *signedLoad) waitAcked(t *testing.T, n int64) {
	t.Helper()
	target := l.nAcked.Load() + n
	require.Eventually(t, func() bool { return l.nAcked.Load() >= target }, 2*time.Minute, 10*time.Millisecond,
		"acknowledged %d, want %d", l.nAcked.Load(), target)
}

// createSignatureWebhook creates a github-scheme webhook and returns its id.
func createSignatureWebhook(t *testing.T, baseURL, token, path string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"path": path, "authType": "signature", "signatureScheme": "github", "secret": durabilitySecret,
	})
	req, err := http.NewRequest(http.MethodPost, baseURL+"/api/v1/webhooks", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.NotEmpty(t, out.ID)
	return out.ID
}

// storedDeliveries reads webhook.received events of a webhook from the HOOKS
// stream: delivery id → how often, and its event id.
func storedDeliveries(t *testing.T, st *eventstore.Store, tenantID, webhookID string) (map[string]int, map[string]string) {
	t.Helper()
	var count map[string]int
	var ids map[string]string
	readStream(t, st, eventstore.ReadOptions{
		Stream:   eventstore.StreamHooks,
		Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, tenantID, webhookID, hookstream.EventWebhookReceived)},
	}, func() { count, ids = map[string]int{}, map[string]string{} }, func(ev *hookstream.Event) error {
		var d hookstream.ReceivedData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return err
		}
		count[d.DeliveryID]++
		ids[d.DeliveryID] = ev.ID
		return nil
	})
	return count, ids
}

// readStream reads a stream whole, starting over (after reset) while the
// event store is unavailable: right after a NATS node of a cluster was
// killed and restarted, a read can meet "no responders" until the
// cluster settles. Any other error fails the test.
func readStream(t *testing.T, st *eventstore.Store, opts eventstore.ReadOptions, reset func(), fn func(*hookstream.Event) error) {
	t.Helper()
	var err error
	poll(t, 60*time.Second, 250*time.Millisecond, func() bool {
		reset()
		err = st.Read(t.Context(), opts, fn)
		if hookstream.ErrorCode(err) == hookstream.EUNAVAILABLE {
			return false
		}
		require.NoError(t, err)
		return true
	}, func() string { return fmt.Sprintf("read %s: %v", opts.Stream, err) })
}

// assertAckedStoredOnce checks every acknowledged delivery is in the stream
// exactly once, under the event id its answer named.
func assertAckedStoredOnce(t *testing.T, l *signedLoad, count map[string]int, ids map[string]string) (acked, lost, dups int) {
	t.Helper()
	l.acked.Range(func(k, v any) bool {
		acked++
		id := k.(string)
		switch n := count[id]; {
		case n == 0:
			lost++
			t.Errorf("acknowledged delivery %s is not in the stream", id)
		case n > 1:
			dups++
			t.Errorf("delivery %s is %d times in the stream", id, n)
		case ids[id] != v.(string):
			t.Errorf("delivery %s: answered event id %s, stored %s", id, v, ids[id])
		}
		return true
	})
	for id, n := range count {
		if n > 1 {
			if _, ok := l.acked.Load(id); !ok {
				dups++
				t.Errorf("unacknowledged delivery %s is %d times in the stream", id, n)
			}
		}
	}
	return acked, lost, dups
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// binaryServer runs the real hookstream binary.
type binaryServer struct {
	t    *testing.T
	bin  string
	env  []string
	url  string
	cmd  *exec.Cmd
	logs *os.File
}

func (s *binaryServer) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "serve")
	cmd.Env = append(os.Environ(), s.env...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	require.NoError(s.t, cmd.Start())
	s.cmd = cmd
	require.Eventually(s.t, func() bool {
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 2*time.Minute, 20*time.Millisecond, "hookstream did not become ready; logs in %s", s.logs.Name())
}

func (s *binaryServer) kill() {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGKILL))
	_ = s.cmd.Wait()
	s.cmd = nil
}

func (s *binaryServer) stop() {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(s.t, s.cmd.Wait())
	s.cmd = nil
}

// TestDurabilityKillRestart: the real binary under signed load is SIGKILLed
// at random moments and restarted on the same data directory; every request
// that got a 2xx is in the stream exactly once.
func TestDurabilityKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("durability test: builds and kills the real binary")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookstream")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	logs, err := os.Create(filepath.Join(dir, "server.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logs.Close() })
	port := freeTCPPort(t)
	token := projections.NewToken()
	dataDir := filepath.Join(dir, "data")
	srv := &binaryServer{t: t, bin: bin, logs: logs, url: fmt.Sprintf("http://127.0.0.1:%d", port), env: []string{
		fmt.Sprintf("HOOKSTREAM_HTTP_ADDR=127.0.0.1:%d", port),
		"HOOKSTREAM_DATA_DIR=" + dataDir,
		"HOOKSTREAM_DATABASE_URL=" + pgtest.DSN(t, migrations.Migrate),
		"HOOKSTREAM_BOOTSTRAP_TOKEN=" + token,
		"HOOKSTREAM_LOG_LEVEL=warn",
		"HOOKSTREAM_GROUP_COMMIT=on",
	}}
	t.Cleanup(func() {
		if srv.cmd != nil {
			_ = srv.cmd.Process.Kill()
			_ = srv.cmd.Wait()
		}
	})
	srv.start()
	webhookID := createSignatureWebhook(t, srv.url, token, "durability")
	load := newSignedLoad(srv.url+"/api/v1/webhooks/durability", 24)
	load.start(t)

	const kills = 12
	for i := range kills {
		// Kill at a random moment of the load: after a random number (50 to
		// 449) of further acknowledgements, while requests are in flight.
		load.waitAcked(t, 50+rand.Int64N(400))
		srv.kill()
		srv.start()
		t.Logf("kill %d: %d acknowledged so far", i+1, load.nAcked.Load())
	}
	load.waitAcked(t, 50)
	load.halt()
	srv.stop()

	// Read the stream with an embedded server on the data directory.
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: filepath.Join(dataDir, "nats")})
	require.NoError(t, err)
	t.Cleanup(emb.Shutdown)
	nc, err := emb.Connect("durability-check")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	st, err := eventstore.Open(t.Context(), nc, eventstore.Config{})
	require.NoError(t, err)
	tenant := tenantOfWebhook(t, st, webhookID)
	count, ids := storedDeliveries(t, st, tenant, webhookID)
	acked, lost, dups := assertAckedStoredOnce(t, load, count, ids)
	require.Zero(t, load.other.Load(), "unexpected statuses, e.g. %v", load.lastBad.Load())
	t.Logf("kills=%d acked=%d (of which duplicate answers %d) in_stream=%d lost=%d duplicates=%d resent=%d",
		kills, acked, load.nDup.Load(), len(count), lost, dups, load.nFailed.Load())
	require.Positive(t, acked)
}

// tenantOfWebhook finds the tenant of a webhook from its webhook.received
// events (the test only knows the id the API answered).
func tenantOfWebhook(t *testing.T, st *eventstore.Store, webhookID string) string {
	t.Helper()
	var tenant string
	readStream(t, st, eventstore.ReadOptions{Stream: eventstore.StreamHooks}, func() { tenant = "" }, func(ev *hookstream.Event) error {
		if ev.WebhookID == webhookID && tenant == "" {
			tenant = ev.TenantID
		}
		return nil
	})
	require.NotEmpty(t, tenant)
	return tenant
}

// TestDurabilityPostgresDown: PostgreSQL stops under load; ingest keeps
// answering 202, and after PostgreSQL returns the delivery log
// (webhook_events) holds every acknowledged event.
func TestDurabilityPostgresDown(t *testing.T) {
	if testing.Short() {
		t.Skip("durability test: stops PostgreSQL under load")
	}
	t.Parallel()
	pg := pgtest.NewServer(t)
	dsn := pg.DSN(pglocal.DatabaseName)
	s := startServer(t, func(c *Config) { c.DatabaseURL = dsn })
	webhookID := createSignatureWebhook(t, s.URL, s.Token, "pg-down")

	load := newSignedLoad(s.URL+"/api/v1/webhooks/pg-down", 16)
	load.start(t)
	load.waitAcked(t, 200)

	ctx := t.Context()
	require.NoError(t, pg.Stop(ctx))
	before := load.nAcked.Load()
	failedBefore := load.nFailed.Load()
	load.waitAcked(t, 500)
	require.Equal(t, failedBefore, load.nFailed.Load(), "ingest refused requests while PostgreSQL was down")
	t.Logf("acknowledged %d requests while PostgreSQL was down", load.nAcked.Load()-before)
	require.NoError(t, pg.Start(ctx))
	load.waitAcked(t, 100)
	load.halt()
	require.Zero(t, load.other.Load(), "unexpected statuses, e.g. %v", load.lastBad.Load())
	require.Zero(t, load.nFailed.Load(), "no request may fail: ingest does not need PostgreSQL")

	pool, err := pgxpool.New(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	want := int(load.nAcked.Load())
	var got int
	defer func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", s.Logs.String())
		}
	}()
	require.Eventually(t, func() bool {
		err := pool.QueryRow(ctx, `SELECT count(DISTINCT delivery_id) FROM webhook_events WHERE webhook_id = $1`, webhookID).Scan(&got)
		return err == nil && got >= want
	}, 2*time.Minute, 100*time.Millisecond, "delivery log holds %d of %d events", got, want)

	// Every acknowledged event id is in the delivery log.
	rows, err := pool.Query(ctx, `SELECT id::text FROM webhook_events WHERE webhook_id = $1`, webhookID)
	require.NoError(t, err)
	logged := map[string]bool{}
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		logged[id] = true
	}
	require.NoError(t, rows.Err())
	missing := 0
	load.acked.Range(func(_, v any) bool {
		if !logged[v.(string)] {
			missing++
		}
		return true
	})
	require.Zero(t, missing, "acknowledged events missing from the delivery log")
	t.Logf("acked=%d in_delivery_log=%d missing=0", want, got)
}
