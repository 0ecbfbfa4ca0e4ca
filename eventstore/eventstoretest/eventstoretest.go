// Package eventstoretest starts an in-process nats-server with JetStream for
// tests (StoreDir under t.TempDir(), no network listener). Import it only
// from _test.go files.
package eventstoretest

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/eventstore"
)

// Bundle is a running embedded server, a connection and an opened Store.
type Bundle struct {
	Server *eventstore.Embedded
	Conn   *nats.Conn
	Store  *eventstore.Store
	Dir    string
}

// New starts a server with SyncAlways (as production) and opens the store.
// Everything is shut down in t.Cleanup.
func New(t testing.TB) *Bundle {
	t.Helper()
	return NewWithConfig(t, eventstore.Config{})
}

// NewWithConfig is New with a store configuration.
func NewWithConfig(t testing.TB, cfg eventstore.Config) *Bundle {
	t.Helper()
	dir := t.TempDir()
	srv, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{StoreDir: dir})
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	nc, err := srv.Connect("test")
	if err != nil {
		srv.Shutdown()
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() {
		nc.Close()
		srv.Shutdown()
	})
	st, err := eventstore.Open(context.Background(), nc, cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return &Bundle{Server: srv, Conn: nc, Store: st, Dir: dir}
}
