package eventstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// LocalClusterConfig configures a NATS cluster of in-process servers on
// loopback ports: what `hookstream cluster-dev` runs and what the cluster
// tests use. It is a development and test topology (every node in one
// process); production runs one nats-server per machine (docs/deploy.md).
type LocalClusterConfig struct {
	// Dir holds one store directory per node (<Dir>/n1, n2, …) and the
	// user nkey seed (<Dir>/NKeySeedFile). Required.
	Dir string
	// Nodes is the number of servers; default 3.
	Nodes int
	// Host of every listener; default 127.0.0.1.
	Host string
	// Name of the cluster; default "hookstream".
	Name string
}

// LocalCluster is a running LocalClusterConfig. Nodes keep their ports and
// store directories across Kill and Restart.
type LocalCluster struct {
	cfg     LocalClusterConfig
	seed    []byte
	routePW string

	mu    sync.Mutex
	nodes []*localNode
}

type localNode struct {
	cfg EmbeddedConfig
	srv *Embedded // nil while killed
}

// StartLocalCluster starts every node and waits until the JetStream meta
// group has a leader. Errors: a port or directory problem, or no leader
// within a minute.
func StartLocalCluster(ctx context.Context, cfg LocalClusterConfig) (*LocalCluster, error) {
	if cfg.Dir == "" {
		return nil, errors.New("local cluster: Dir is required")
	}
	if cfg.Nodes <= 0 {
		cfg.Nodes = 3
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Name == "" {
		cfg.Name = "hookstream"
	}
	seed, err := LoadOrCreateNKeySeed(filepath.Join(cfg.Dir, NKeySeedFile))
	if err != nil {
		return nil, err
	}
	pw := make([]byte, 16)
	_, _ = rand.Read(pw)
	c := &LocalCluster{cfg: cfg, seed: seed, routePW: hex.EncodeToString(pw)}
	clientPorts, err := freePorts(ctx, cfg.Host, cfg.Nodes)
	if err != nil {
		return nil, err
	}
	routePorts, err := freePorts(ctx, cfg.Host, cfg.Nodes)
	if err != nil {
		return nil, err
	}
	routes := make([]string, cfg.Nodes)
	for i, p := range routePorts {
		routes[i] = fmt.Sprintf("nats-route://route:%s@%s", c.routePW, net.JoinHostPort(cfg.Host, fmt.Sprint(p)))
	}
	for i := range cfg.Nodes {
		c.nodes = append(c.nodes, &localNode{cfg: EmbeddedConfig{
			StoreDir:        filepath.Join(cfg.Dir, fmt.Sprintf("n%d", i+1)),
			ServerName:      fmt.Sprintf("n%d", i+1),
			Listen:          net.JoinHostPort(cfg.Host, fmt.Sprint(clientPorts[i])),
			NKeySeed:        seed,
			ClusterName:     cfg.Name,
			ClusterListen:   net.JoinHostPort(cfg.Host, fmt.Sprint(routePorts[i])),
			Routes:          routes,
			ClusterUser:     "route",
			ClusterPassword: c.routePW,
		}})
	}
	// Every node starts at once: StartEmbedded waits for each to be ready,
	// which a clustered JetStream server is only once it sees its peers.
	var wg sync.WaitGroup
	errs := make([]error, cfg.Nodes)
	for i := range c.nodes {
		wg.Go(func() { errs[i] = c.Restart(i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.Shutdown()
		return nil, err
	}
	if err := c.WaitMetaLeader(ctx, time.Minute); err != nil {
		c.Shutdown()
		return nil, err
	}
	return c, nil
}

// freePorts asks the kernel for n free TCP ports on host.
func freePorts(ctx context.Context, host string, n int) ([]int, error) {
	ports := make([]int, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for range n {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Nodes is the number of nodes.
func (c *LocalCluster) Nodes() int { return len(c.nodes) }

// ClientURLs are the nats:// URLs of every node, comma-separated (the form
// of HOOKSTREAM_NATS_URL).
func (c *LocalCluster) ClientURLs() string {
	urls := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		urls[i] = "nats://" + n.cfg.Listen
	}
	return strings.Join(urls, ",")
}

// SeedFile is the user nkey seed every node accepts (HOOKSTREAM_NATS_CREDS).
func (c *LocalCluster) SeedFile() string { return filepath.Join(c.cfg.Dir, NKeySeedFile) }

// Name is node i's server name (n1, n2, …), as stream infos name leaders.
func (c *LocalCluster) Name(i int) string { return c.nodes[i].cfg.ServerName }

// Index returns the node of a server name, -1 if none.
func (c *LocalCluster) Index(name string) int {
	for i, n := range c.nodes {
		if n.cfg.ServerName == name {
			return i
		}
	}
	return -1
}

// Connect opens an authenticated client connection to every node's URL.
func (c *LocalCluster) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	auth, err := NKeyOption(c.seed)
	if err != nil {
		return nil, err
	}
	opts = append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond), auth}, opts...)
	nc, err := nats.Connect(c.ClientURLs(), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect cluster: %w", err)
	}
	return nc, nil
}

// Running reports whether node i is running.
func (c *LocalCluster) Running(i int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i].srv != nil
}

// Kill shuts node i down (its clients are disconnected and reconnect to
// the others; the leaderships it held move to other nodes).
func (c *LocalCluster) Kill(i int) {
	c.mu.Lock()
	srv := c.nodes[i].srv
	c.nodes[i].srv = nil
	c.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
	}
}

// Restart starts node i again on its ports and store directory; a no-op
// when it runs.
func (c *LocalCluster) Restart(i int) error {
	c.mu.Lock()
	n := c.nodes[i]
	running := n.srv != nil
	c.mu.Unlock()
	if running {
		return nil
	}
	srv, err := StartEmbedded(n.cfg)
	if err != nil {
		return fmt.Errorf("start %s: %w", n.cfg.ServerName, err)
	}
	c.mu.Lock()
	n.srv = srv
	c.mu.Unlock()
	return nil
}

// Shutdown stops every node.
func (c *LocalCluster) Shutdown() {
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Go(func() { c.Kill(i) })
	}
	wg.Wait()
}

// MetaLeader returns the node leading the JetStream meta group, -1 if none
// of the running nodes does.
func (c *LocalCluster) MetaLeader() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, n := range c.nodes {
		if n.srv != nil && n.srv.Server().JetStreamIsLeader() {
			return i
		}
	}
	return -1
}

// WaitMetaLeader polls until a meta leader exists and every running node
// is current with it.
func (c *LocalCluster) WaitMetaLeader(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if c.MetaLeader() >= 0 && c.allCurrent() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nats cluster: no JetStream meta leader: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

func (c *LocalCluster) allCurrent() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.srv != nil && !n.srv.Server().JetStreamIsCurrent() {
			return false
		}
	}
	return true
}

// StreamLeader asks the cluster through nc which node leads stream: -1
// with an error while it has none (an election) or nobody answers.
func (c *LocalCluster) StreamLeader(ctx context.Context, nc *nats.Conn, stream string) (int, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return -1, fmt.Errorf("jetstream: %w", err)
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return -1, fmt.Errorf("stream %s: %w", stream, translate(err))
	}
	info, err := st.Info(ctx)
	if err != nil {
		return -1, fmt.Errorf("stream info %s: %w", stream, translate(err))
	}
	if info.Cluster != nil {
		if i := c.Index(info.Cluster.Leader); i >= 0 {
			return i, nil
		}
	}
	return -1, fmt.Errorf("stream %s has no leader", stream)
}
