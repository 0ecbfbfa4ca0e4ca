package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/eventstore/eventstoretest"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// natsProcs is a 3-node NATS cluster of real nats-server processes (built
// from the module's nats-server version), so a node can be SIGKILLed: no
// leadership transfer, the followers elect after raft's election timeout,
// as after a crash or a power loss.
type natsProcs struct {
	t     *testing.T
	bin   string
	names []string
	confs []string
	urls  []string
	cmds  []*exec.Cmd
	logs  []*os.File
	seed  string
}

func startNATSProcs(t *testing.T) *natsProcs {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "nats-server")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/nats-io/nats-server/v2").CombinedOutput()
	require.NoError(t, err, "build nats-server: %s", out)
	seedFile := filepath.Join(dir, eventstore.NKeySeedFile)
	seed, err := eventstore.LoadOrCreateNKeySeed(seedFile)
	require.NoError(t, err)
	pub, err := eventstore.NKeyPublic(seed)
	require.NoError(t, err)
	p := &natsProcs{t: t, bin: bin, seed: seedFile}
	var routes []string
	clientPorts := make([]int, 3)
	for i := range 3 {
		clientPorts[i] = freeTCPPort(t)
		routes = append(routes, fmt.Sprintf("nats-route://route:pw@127.0.0.1:%d", freeTCPPort(t)))
	}
	for i := range 3 {
		name := fmt.Sprintf("p%d", i+1)
		routePort := strings.TrimPrefix(routes[i][strings.LastIndex(routes[i], ":"):], ":")
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
max_payload: 16MB
max_pending: 64MB
jetstream { store_dir: %q, sync_interval: always }
cluster {
  name: hookstream
  listen: 127.0.0.1:%s
  authorization { user: route, password: pw }
  routes: [%s]
}
authorization { users: [ { nkey: %s } ] }
`, name, clientPorts[i], filepath.Join(dir, name), routePort, strings.Join(routes, ", "), pub)
		path := filepath.Join(dir, name+".conf")
		require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
		logf, err := os.Create(filepath.Join(dir, name+".log"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = logf.Close() })
		p.names = append(p.names, name)
		p.confs = append(p.confs, path)
		p.urls = append(p.urls, fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i]))
		p.logs = append(p.logs, logf)
		p.cmds = append(p.cmds, nil)
	}
	t.Cleanup(func() {
		for i := range p.cmds {
			if p.cmds[i] != nil {
				_ = p.cmds[i].Process.Kill()
				_ = p.cmds[i].Wait()
			}
		}
	})
	for i := range 3 {
		p.start(i)
	}
	return p
}

func (p *natsProcs) start(i int) {
	p.t.Helper()
	cmd := exec.Command(p.bin, "-c", p.confs[i])
	cmd.Stdout, cmd.Stderr = p.logs[i], p.logs[i]
	require.NoError(p.t, cmd.Start())
	p.cmds[i] = cmd
}

func (p *natsProcs) kill(i int) {
	p.t.Helper()
	require.NoError(p.t, p.cmds[i].Process.Signal(syscall.SIGKILL))
	_ = p.cmds[i].Wait()
	p.cmds[i] = nil
}

func (p *natsProcs) clientURLs() string { return strings.Join(p.urls, ",") }

func (p *natsProcs) connect() *nats.Conn {
	p.t.Helper()
	opt, err := eventstore.CredsOption(p.seed)
	require.NoError(p.t, err)
	var nc *nats.Conn
	eventstoretest.Poll(p.t, time.Minute, 100*time.Millisecond, func() bool {
		nc, err = nats.Connect(p.clientURLs(), opt, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
		return err == nil
	}, func() string { return fmt.Sprintf("connect: %v", err) })
	p.t.Cleanup(nc.Close)
	return nc
}

// streamLeader returns the node leading stream, -1 while it has none.
func (p *natsProcs) streamLeader(js jetstream.JetStream, stream string) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil {
		return -1
	}
	for i, n := range p.names {
		if n == info.Cluster.Leader {
			return i
		}
	}
	return -1
}

// TestClusterFailoverSIGKILL: the NATS node leading HOOKS is SIGKILLed
// under signed load through two hookstream nodes. The new leader comes
// after raft's election timeout (4-9 s in nats-server 2.15); requests wait
// it out up to HOOKSTREAM_INGEST_RETRY_DEADLINE (8 s). Every 2xx is stored
// exactly once; every request that started after the new leader was
// elected is 2xx; a 503 is only allowed when the election itself outlasted
// the deadline. Without -race (task test:cluster-sigkill) it kills three times in a row: an open defect, see the task.
func TestClusterFailoverSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test: builds nats-server and SIGKILLs it")
	}
	t.Parallel()
	kills := 1
	if !raceEnabled {
		kills = 3
	}
	procs := startNATSProcs(t)
	nc := procs.connect()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	dsn := pgtest.DSN(t, migrations.Migrate)
	token := projections.NewToken()
	var urls [2]string
	var logs [2]*syncBuffer
	for i := range 2 {
		cfg, err := parseConfig("serve", nil, nil)
		require.NoError(t, err)
		cfg.HTTPAddr = "127.0.0.1:0"
		cfg.DataDir = t.TempDir()
		cfg.DatabaseURL = dsn
		cfg.BootstrapToken = token
		cfg.MasterKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		cfg.NATSURL = procs.clientURLs()
		cfg.NATSCreds = procs.seed
		cfg.LogLevel = "warn"
		logs[i] = &syncBuffer{}
		m := NewMain(cfg, logs[i], logs[i])
		require.NoError(t, m.Run(t.Context()))
		t.Cleanup(m.Close)
		require.True(t, m.WaitPostgres(t.Context()))
		urls[i] = "http://" + m.Addr
	}
	webhookID := createSignatureWebhook(t, urls[0], token, "cluster")
	probe := &clusterLoad{urls: urls}
	eventstoretest.Poll(t, 5*time.Second, 10*time.Millisecond, func() bool {
		body := []byte(`{"probe":true}`)
		return probe.send(http.DefaultClient, 1, body, "probe-"+eventstore.NewID(), signGitHub(body)).status == http.StatusAccepted
	}, func() string { return "node B does not accept the webhook" })

	load := &clusterLoad{urls: urls, clients: 8}
	load.start(t)
	load.waitAcked(t, 100)
	for k := range kills {
		var leader int
		eventstoretest.Poll(t, time.Minute, 20*time.Millisecond, func() bool {
			leader = procs.streamLeader(js, eventstore.StreamHooks)
			return leader >= 0
		}, func() string { return "HOOKS has no leader" })
		killed := time.Now()
		procs.kill(leader)
		newLeader := -1
		eventstoretest.Poll(t, time.Minute, 20*time.Millisecond, func() bool {
			newLeader = procs.streamLeader(js, eventstore.StreamHooks)
			return newLeader >= 0 && newLeader != leader
		}, func() string { return "no new HOOKS leader" })
		elected := time.Now()
		load.waitAcked(t, 200)
		failed := load.electionReport(t, killed, elected, procs.names[leader], procs.names[newLeader])
		deadline := eventstore.RetryDeadlineDefault
		if elected.Sub(killed) < deadline-time.Second {
			require.Zero(t, failed, "kill %d: the election (%s) was shorter than the retry deadline, yet requests failed", k+1, elected.Sub(killed))
		}
		for _, a := range load.overlapping(elected, time.Now()) {
			require.True(t, a.status/100 == 2 || a.start.Before(elected), "a request after the election answered %d", a.status)
		}
		procs.start(leader)
		load.waitAcked(t, 100)
	}
	load.halt()

	pool, err := pgxpool.New(t.Context(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st, err := eventstore.Open(t.Context(), nc, eventstore.Config{Replicas: 3})
	require.NoError(t, err)
	statuses := load.verify(t, st, deliveryLog(t, pool, webhookID), webhookID, logs[0].String()+logs[1].String())
	t.Logf("SIGKILL: %d kills; 503 answers: %d", kills, statuses[http.StatusServiceUnavailable])
}
