package eventstore

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
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
	// in-process connections only.
	Listen string
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
	srv *server.Server
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
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats listen address %q: %w", cfg.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("nats listen port %q: %w", port, err)
		}
		opts.Host, opts.Port = host, p
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
	return &Embedded{srv: srv}, nil
}

// Connect opens an in-process client connection.
func (e *Embedded) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.InProcessServer(e.srv), nats.Name(name), nats.MaxReconnects(-1))
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
