package eventstore

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedConfig configures the in-process nats-server.
type EmbeddedConfig struct {
	// StoreDir is the JetStream file store directory. Required.
	StoreDir string
	// Listen is host:port to accept NATS clients on; "" (default) accepts
	// in-process connections only. A listener requires NKeySeed: network
	// clients are never anonymous.
	Listen string
	// NKeySeed, when set, is the seed of the only user the server accepts
	// (in-process connections from Connect included); required with Listen.
	// See LoadOrCreateNKeySeed.
	NKeySeed []byte
	// ClusterName, ClusterListen (host:port) and Routes (nats-route://
	// URLs of every node, this one may be included) make the server a node
	// of a NATS cluster; "" (default) runs it alone.
	ClusterName   string
	ClusterListen string
	Routes        []string
	// ClusterUser and ClusterPassword, when set, are required of routes
	// (put them in the route URLs of the other nodes too).
	ClusterUser, ClusterPassword string
	// SyncInterval is 0 (default) for SyncAlways: fsync before every PubAck.
	// A positive interval fsyncs periodically: faster, but a power loss may
	// lose acknowledged messages (a process crash does not).
	SyncInterval time.Duration
	// EncryptionKey, when set, encrypts the store at rest (AES).
	EncryptionKey string
	// MaxPayload is the largest message; default MaxPayloadDefault.
	MaxPayload int32
	// ServerName names the server; default "hookstream".
	ServerName string
	Logger     *slog.Logger
}

// MaxPayloadDefault fits an 8 MiB body as base64 inside its envelope with
// headers and metadata (8 MiB × 4/3 ≈ 10.7 MiB).
const MaxPayloadDefault = 16 << 20

// Embedded is a running in-process nats-server.
type Embedded struct {
	srv     *server.Server
	connOpt nats.Option // authentication of in-process connections
}

// StartEmbedded starts nats-server with JetStream and waits until it is ready.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("embedded nats: StoreDir is required")
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = MaxPayloadDefault
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "hookstream"
	}
	opts := &server.Options{
		ServerName:         cfg.ServerName,
		JetStream:          true,
		StoreDir:           cfg.StoreDir,
		MaxPayload:         cfg.MaxPayload,
		MaxPending:         int64(cfg.MaxPayload) * 4,
		NoSigs:             true,
		NoLog:              true,
		DontListen:         cfg.Listen == "",
		JetStreamMaxMemory: 256 << 20,
	}
	if cfg.SyncInterval <= 0 {
		opts.SyncAlways = true
	} else {
		opts.SyncInterval = cfg.SyncInterval
	}
	if cfg.EncryptionKey != "" {
		opts.JetStreamKey = cfg.EncryptionKey
		opts.JetStreamCipher = server.AES
	}
	if cfg.Listen != "" {
		if len(cfg.NKeySeed) == 0 {
			return nil, errors.New("embedded nats: a network listener requires credentials (NKeySeed)")
		}
		host, p, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address: %w", err)
		}
		opts.Host, opts.Port = host, p
	}
	e := &Embedded{connOpt: func(*nats.Options) error { return nil }}
	if len(cfg.NKeySeed) > 0 {
		pub, err := NKeyPublic(cfg.NKeySeed)
		if err != nil {
			return nil, err
		}
		opts.Nkeys = []*server.NkeyUser{{Nkey: pub}}
		if e.connOpt, err = NKeyOption(cfg.NKeySeed); err != nil {
			return nil, err
		}
	}
	if err := clusterOptions(opts, cfg); err != nil {
		return nil, err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("new nats server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded nats: not ready after 30s")
	}
	e.srv = srv
	return e, nil
}

// clusterOptions sets the cluster listener and routes.
func clusterOptions(opts *server.Options, cfg EmbeddedConfig) error {
	if cfg.ClusterName == "" {
		return nil
	}
	host, p, err := splitHostPort(cfg.ClusterListen)
	if err != nil {
		return fmt.Errorf("nats cluster address: %w", err)
	}
	opts.Cluster = server.ClusterOpts{
		Name: cfg.ClusterName, Host: host, Port: p,
		Username: cfg.ClusterUser, Password: cfg.ClusterPassword,
	}
	for _, r := range cfg.Routes {
		u, err := url.Parse(r)
		if err != nil {
			return fmt.Errorf("nats route %q: %w", r, err)
		}
		opts.Routes = append(opts.Routes, u)
	}
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", port, err)
	}
	return host, p, nil
}

// Server is the running nats-server (tests and the local cluster use it to
// observe leadership).
func (e *Embedded) Server() *server.Server { return e.srv }

// Connect opens an in-process client connection.
func (e *Embedded) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.InProcessServer(e.srv), nats.Name(name), nats.MaxReconnects(-1), e.connOpt)
	if err != nil {
		return nil, fmt.Errorf("connect in-process: %w", err)
	}
	return nc, nil
}

// ClientURL is the network URL when Listen was set, "" otherwise.
func (e *Embedded) ClientURL() string {
	if e.srv.Addr() == nil {
		return ""
	}
	return e.srv.ClientURL()
}

// Shutdown stops the server and waits for it to finish; JetStream flushes.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
