package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
	"github.com/hookstream/hookstream/streams/replay"
	"github.com/hookstream/hookstream/streams/webhooks"
)

// The cluster test of issue 17 (SPEC §12): two hookstream nodes on a
// 3-node NATS cluster and one PostgreSQL, under signed load through both.
// Node A runs in-process (Main); node B is the real binary, so that it can
// be SIGKILLed.

// attempt is one HTTP request of the cluster load.
type attempt struct {
	node          int
	start, end    time.Time
	status        int // 0: no answer
	delivery      string
	eventID       string
	duplicateResp bool
}

// clusterLoad sends GitHub-signed webhooks to two nodes, each client
// preferring one node and, like a load balancer, trying the other when its
// node does not answer. A 503 or no answer is resent with the same delivery
// id, as a sender would.
type clusterLoad struct {
	urls    [2]string
	clients int

	mu       sync.Mutex
	attempts []attempt
	acked    map[string]string // delivery id → event id
	nAcked   atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (l *clusterLoad) start(t *testing.T) {
	l.acked = map[string]string{}
	l.stop = make(chan struct{})
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: l.clients}}
	run := t.Name()
	for c := range l.clients {
		l.wg.Go(func() {
			node := c % 2
			for n := 0; ; n++ {
				id := fmt.Sprintf("%s-c%d-n%d", strings.ReplaceAll(run, "/", "-"), c, n)
				body := fmt.Appendf(nil, `{"client":%d,"n":%d,"pad":"%s"}`, c, n, strings.Repeat("x", 512))
				sig := signGitHub(body)
				for {
					select {
					case <-l.stop:
						return
					default:
					}
					a := l.send(client, node, body, id, sig)
					l.mu.Lock()
					l.attempts = append(l.attempts, a)
					if a.status/100 == 2 {
						l.acked[id] = a.eventID
					}
					l.mu.Unlock()
					if a.status/100 == 2 {
						l.nAcked.Add(1)
						break
					}
					if a.status == 0 {
						node = 1 - node // the load balancer tries the other node
					}
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

func (l *clusterLoad) send(client *http.Client, node int, body []byte, id, sig string) attempt {
	a := attempt{node: node, start: time.Now(), delivery: id}
	defer func() { a.end = time.Now() }()
	req, err := http.NewRequest(http.MethodPost, l.urls[node]+"/api/v1/webhooks/cluster", bytes.NewReader(body))
	if err != nil {
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := client.Do(req)
	if err != nil {
		a.end = time.Now()
		return a
	}
	defer resp.Body.Close()
	var out struct {
		EventID   string `json:"eventId"`
		Duplicate bool   `json:"duplicate"`
	}
	if resp.StatusCode/100 == 2 {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.EventID == "" {
			a.end = time.Now()
			a.status = -resp.StatusCode // a 2xx without an event id
			return a
		}
	}
	a.end = time.Now()
	a.status, a.eventID, a.duplicateResp = resp.StatusCode, out.EventID, out.Duplicate
	return a
}

func (l *clusterLoad) waitAcked(t *testing.T, n int64) {
	t.Helper()
	target := l.nAcked.Load() + n
	eventstoretest.Poll(t, 3*time.Minute, 10*time.Millisecond, func() bool { return l.nAcked.Load() >= target },
		func() string { return fmt.Sprintf("acknowledged %d, want %d", l.nAcked.Load(), target) })
}

func (l *clusterLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// overlapping returns the attempts that were in flight at some moment of
// [from, to], in start order.
func (l *clusterLoad) overlapping(from, to time.Time) []attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []attempt
	for _, a := range l.attempts {
		if !a.end.Before(from) && !a.start.After(to) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b attempt) int { return a.start.Compare(b.start) })
	return out
}

func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test: builds the binary, kills NATS and hookstream nodes")
	}
	t.Parallel()
	cluster := eventstoretest.NewCluster(t)
	dsn := pgtest.DSN(t, migrations.Migrate)
	token := projections.NewToken()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	masterKey := base64.StdEncoding.EncodeToString(key)

	// Node A: in-process.
	portA := freeTCPPort(t)
	cfg, err := parseConfig("serve", nil, nil)
	require.NoError(t, err)
	cfg.HTTPAddr = fmt.Sprintf("127.0.0.1:%d", portA)
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = dsn
	cfg.BootstrapToken = token
	cfg.MasterKey = masterKey
	cfg.NATSURL = cluster.ClientURLs()
	cfg.NATSCreds = cluster.SeedFile()
	cfg.LogLevel = "warn"
	logsA := &syncBuffer{}
	nodeA := NewMain(cfg, logsA, logsA)
	require.NoError(t, nodeA.Run(t.Context()))
	t.Cleanup(nodeA.Close)
	require.True(t, nodeA.WaitPostgres(t.Context()))
	urlA := "http://" + nodeA.Addr

	// Node B: the real binary.
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookstream")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	logsB, err := os.Create(filepath.Join(dir, "node-b.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logsB.Close() })
	portB := freeTCPPort(t)
	nodeB := &binaryServer{t: t, bin: bin, logs: logsB, url: fmt.Sprintf("http://127.0.0.1:%d", portB), env: []string{
		fmt.Sprintf("HOOKSTREAM_HTTP_ADDR=127.0.0.1:%d", portB),
		"HOOKSTREAM_DATA_DIR=" + filepath.Join(dir, "data"),
		"HOOKSTREAM_DATABASE_URL=" + dsn,
		"HOOKSTREAM_BOOTSTRAP_TOKEN=" + token,
		"HOOKSTREAM_MASTER_KEY=" + masterKey,
		"HOOKSTREAM_NATS_URL=" + cluster.ClientURLs(),
		"HOOKSTREAM_NATS_CREDS=" + cluster.SeedFile(),
		"HOOKSTREAM_LOG_LEVEL=warn",
	}}
	t.Cleanup(func() {
		if nodeB.cmd != nil {
			_ = nodeB.cmd.Process.Kill()
			_ = nodeB.cmd.Wait()
		}
	})
	nodeB.start()
	defer func() {
		if t.Failed() {
			raw, _ := os.ReadFile(logsB.Name())
			t.Logf("node A logs:\n%s\nnode B logs:\n%s", logsA.String(), raw)
		}
	}()

	nc := cluster.Conn("cluster-test")
	st := cluster.Store(nc)
	// Streams and KV buckets have 3 replicas (SPEC §12).
	names := []string{"KV_" + webhooks.BucketDefault, "KV_" + replay.CounterBucketDefault}
	for _, st := range eventstore.Streams {
		names = append(names, st.Name)
	}
	for _, name := range names {
		s, err := st.JetStream().Stream(t.Context(), name)
		require.NoError(t, err)
		info, err := s.Info(t.Context())
		require.NoError(t, err)
		require.Equal(t, 3, info.Config.Replicas, "stream %s", name)
	}

	// A webhook created on node A is accepted on node B within a second.
	webhookID := createSignatureWebhook(t, urlA, token, "cluster")
	created := time.Now()
	probe := &clusterLoad{urls: [2]string{urlA, nodeB.url}}
	var propagated time.Duration
	eventstoretest.Poll(t, time.Second, 5*time.Millisecond, func() bool {
		body := []byte(`{"probe":true}`)
		a := probe.send(http.DefaultClient, 1, body, "probe-"+eventstore.NewID(), signGitHub(body))
		propagated = time.Since(created)
		return a.status == http.StatusAccepted
	}, func() string { return "node B does not accept the webhook created on node A" })
	t.Logf("webhook created on node A accepted on node B after %s", propagated)

	load := &clusterLoad{urls: [2]string{urlA, nodeB.url}, clients: 8}
	load.start(t)
	load.waitAcked(t, 100)

	// Kill the NATS node leading HOOKS.
	leader := cluster.WaitStreamLeader(nc, eventstore.StreamHooks, time.Minute)
	killed := time.Now()
	cluster.Kill(leader)
	newLeader := cluster.WaitStreamLeader(nc, eventstore.StreamHooks, time.Minute)
	elected := time.Now()
	load.waitAcked(t, 200)
	failedInElection := load.electionReport(t, killed, elected, cluster.Name(leader), cluster.Name(newLeader))
	require.Zero(t, failedInElection, "requests during the leader election must all end in 2xx")
	cluster.RestartNode(leader)
	load.waitAcked(t, 100)

	// SIGKILL node B; its clients go to node A, whose consumers carry on.
	nodeB.kill()
	load.mu.Lock()
	from := len(load.attempts)
	load.mu.Unlock()
	load.waitAcked(t, 200)
	load.mu.Lock()
	whileDown := map[string]string{}
	for _, a := range load.attempts[from:] {
		if a.status/100 == 2 && !a.duplicateResp {
			whileDown[a.delivery] = a.eventID
		}
	}
	load.mu.Unlock()
	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	logged := deliveryLog(t, pool, webhookID)
	eventstoretest.Poll(t, 2*time.Minute, 50*time.Millisecond, func() bool {
		got := logged()
		for _, id := range whileDown {
			if got[id] == 0 {
				return false
			}
		}
		return true
	}, func() string { return "the delivery log does not advance while node B is down" })
	t.Logf("node B down: %d events acknowledged by node A reached the delivery log", len(whileDown))
	nodeB.start()
	load.waitAcked(t, 100)
	load.halt()
	nodeB.stop()

	raw, _ := os.ReadFile(logsB.Name())
	statuses := load.verify(t, st, logged, webhookID, logsA.String()+string(raw))
	for status, n := range statuses {
		if status >= 500 {
			t.Errorf("%d requests answered %d", n, status)
		}
	}
}

// deliveryLog returns a function reading the delivery log of a webhook:
// event id → rows.
func deliveryLog(t *testing.T, pool *pgxpool.Pool, webhookID string) func() map[string]int {
	t.Helper()
	return func() map[string]int {
		rows, err := pool.Query(t.Context(), `SELECT id::text, count(*) FROM webhook_events WHERE webhook_id = $1 GROUP BY id`, webhookID)
		require.NoError(t, err)
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var id string
			var n int
			require.NoError(t, rows.Scan(&id, &n))
			m[id] = n
		}
		require.NoError(t, rows.Err())
		return m
	}
}

// verify checks that every 2xx is in the stream exactly once under the
// event id it answered and in the delivery log exactly once, logs the
// counts and returns the number of attempts by status. logs are the
// servers' logs, whose errors are shown.
func (l *clusterLoad) verify(t *testing.T, st *eventstore.Store, logged func() map[string]int, webhookID, logs string) map[int]int {
	t.Helper()
	// Every 2xx is in the stream exactly once and in the delivery log once.
	tenant := tenantOfWebhook(t, st, webhookID)
	count, ids := storedDeliveries(t, st, tenant, webhookID)
	l.mu.Lock()
	acked := maps.Clone(l.acked)
	attempts := slices.Clone(l.attempts)
	l.mu.Unlock()
	lost, dups := 0, 0
	for id, ev := range acked {
		switch n := count[id]; {
		case n == 0:
			lost++
			t.Errorf("acknowledged delivery %s is not in the stream", id)
		case n > 1:
			dups++
			t.Errorf("delivery %s is %d times in the stream", id, n)
		case ids[id] != ev:
			t.Errorf("delivery %s: answered event id %s, stored %s", id, ev, ids[id])
		}
	}
	var inLog map[string]int
	eventstoretest.Poll(t, 2*time.Minute, 100*time.Millisecond, func() bool {
		inLog = logged()
		for _, ev := range acked {
			if inLog[ev] == 0 {
				return false
			}
		}
		return true
	}, func() string { return "the delivery log misses acknowledged events" })
	for _, ev := range acked {
		require.Equal(t, 1, inLog[ev])
	}
	statuses := map[int]int{}
	for _, a := range attempts {
		statuses[a.status]++
		if a.status/100 != 2 {
			t.Logf("not 2xx: node %c at %s: status %d after %s", 'A'+a.node,
				a.start.Format("15:04:05.000"), a.status, a.end.Sub(a.start).Round(time.Millisecond))
		}
	}
	t.Logf("COUNTS: acknowledged=%d in_stream=%d lost=%d duplicated=%d in_delivery_log=%d attempts by status=%v",
		len(acked), len(count), lost, dups, len(inLog), statuses)
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Logf("server error: %s", line)
		}
	}
	for status, n := range statuses {
		if status < 0 {
			t.Errorf("%d requests answered %d without an event id", n, -status)
		}
	}
	return statuses
}

// electionReport logs every request in flight between the kill of the
// HOOKS leader and a second after the new one was seen (the leader as a
// stream info names it, which also needs the meta leader), and the
// failover timeline with the first 2xx of a request sent after the kill;
// it returns how many of them did not end in 2xx.
func (l *clusterLoad) electionReport(t *testing.T, killed, elected time.Time, from, to string) int {
	t.Helper()
	window := l.overlapping(killed, elected.Add(time.Second))
	var firstOK time.Time
	var longest time.Duration
	failed := 0
	for _, a := range window {
		t.Logf("election: node %c +%6.0fms %4d in %6.0fms", 'A'+a.node, ms(a.start.Sub(killed)), a.status, ms(a.end.Sub(a.start)))
		longest = max(longest, a.end.Sub(a.start))
		// The first 2xx of a request sent after the kill: ingest resumed.
		if a.status/100 == 2 && a.start.After(killed) && (firstOK.IsZero() || a.end.Before(firstOK)) {
			firstOK = a.end
		}
		if a.status/100 != 2 {
			failed++
		}
	}
	t.Logf("FAILOVER: killed NATS %s → new HOOKS leader %s after %s → first 2xx after %s; longest request %s; %d requests in the window, %d not 2xx",
		from, to, elected.Sub(killed).Round(time.Millisecond), firstOK.Sub(killed).Round(time.Millisecond), longest.Round(time.Millisecond), len(window), failed)
	if failed > 0 {
		t.Logf("FAILOVER: %d requests in the window were not 2xx", failed)
	}
	return failed
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
