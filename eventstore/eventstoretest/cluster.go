package eventstoretest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/eventstore"
)

// Cluster is a 3-node NATS cluster of in-process servers on loopback ports
// (routes between all three, a store directory per node under
// t.TempDir(), SyncAlways and JetStream on each, nkey authentication),
// stopped in t.Cleanup.
type Cluster struct {
	*eventstore.LocalCluster

	t testing.TB
}

// NewCluster starts the cluster and waits until its meta group has a leader.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	lc, err := eventstore.StartLocalCluster(context.Background(), eventstore.LocalClusterConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("start nats cluster: %v", err)
	}
	t.Cleanup(lc.Shutdown)
	return &Cluster{LocalCluster: lc, t: t}
}

// Conn connects to the cluster; the connection closes in t.Cleanup.
func (c *Cluster) Conn(name string) *nats.Conn {
	c.t.Helper()
	nc, err := c.Connect(name)
	if err != nil {
		c.t.Fatalf("connect cluster: %v", err)
	}
	c.t.Cleanup(nc.Close)
	return nc
}

// Store opens the store on the cluster with 3 replicas.
func (c *Cluster) Store(nc *nats.Conn) *eventstore.Store {
	c.t.Helper()
	st, err := eventstore.Open(context.Background(), nc, eventstore.Config{Replicas: 3})
	if err != nil {
		c.t.Fatalf("open store on cluster: %v", err)
	}
	return st
}

// WaitStreamLeader polls until stream has a leader and returns its node.
func (c *Cluster) WaitStreamLeader(nc *nats.Conn, stream string, timeout time.Duration) int {
	c.t.Helper()
	leader := -1
	var last error
	Poll(c.t, timeout, 20*time.Millisecond, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		leader, last = c.StreamLeader(ctx, nc, stream)
		return leader >= 0
	}, func() string { return "no leader of " + stream + ": " + errString(last) })
	return leader
}

// RestartNode restarts node i and waits until the cluster is whole again.
func (c *Cluster) RestartNode(i int) {
	c.t.Helper()
	if err := c.Restart(i); err != nil {
		c.t.Fatalf("restart node %d: %v", i, err)
	}
	if err := c.WaitMetaLeader(context.Background(), time.Minute); err != nil {
		c.t.Fatalf("%v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return "none"
	}
	return err.Error()
}
