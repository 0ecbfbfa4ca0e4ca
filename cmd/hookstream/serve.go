package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/handlers"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pglocal"
	"github.com/hookstream/hookstream/streams/pipeline"
	"github.com/hookstream/hookstream/streams/webhooks"
	"github.com/hookstream/hookstream/web"
)

// Component is a long-running part started after the stores are open and
// stopped, in reverse order, before they close.
type Component interface {
	Start(ctx context.Context) error
	Stop()
}

// Main is the server process: Config → wiring → Run → Close (STYLE §4).
type Main struct {
	Config Config
	// Addr is the bound HTTP address after Run (port 0 picks one).
	Addr string
	// AdminToken is the admin token (bootstrap, generated or read back).
	AdminToken string
	// adminTokenSource says where AdminToken came from: "generated" (printed
	// once, by Banner), "file" (<data-dir>/admin-token) or "config".
	adminTokenSource string

	stdout, stderr io.Writer
	logger         *slog.Logger
	registry       *prometheus.Registry

	embedded *eventstore.Embedded
	nc       *nats.Conn
	store    *eventstore.Store
	batcher  *eventstore.Batcher // group commit, see Appender
	retrier  *eventstore.Retrier // waits out leader elections, see Appender
	decider  *pipeline.Decider   // ingest's filter decisions, see Decider
	pg       *pglocal.Server
	pool     *pgxpool.Pool
	accounts *projections.Accounts
	sealer   *hookstream.Sealer
	// cursorKey seals stream positions handed to tenants (handlers.Config.CursorKey).
	cursorKey []byte
	server    *handlers.Server
	serveErr  chan error

	closeOnce       sync.Once
	webhookRegistry *webhooks.Registry
	mu              sync.Mutex
	components      []Component
	pgReady         chan struct{}
	extraReady      []handlers.ReadyCheck
	cancelBg        context.CancelFunc
	bgDone          sync.WaitGroup
}

// NewMain returns a Main for cfg writing its banner to stdout and logs to stderr.
func NewMain(cfg Config, stdout, stderr io.Writer) *Main {
	return &Main{Config: cfg, stdout: stdout, stderr: stderr, pgReady: make(chan struct{})}
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Run opens the stores, starts every component and the HTTP server, and
// returns once the server is accepting connections.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Config.validate(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	m.logger = newLogger(m.Config, m.stderr)
	m.registry = prometheus.NewRegistry()
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if m.Config.DataDir == "" {
		m.Config.DataDir = "./data"
	}
	dataDir, err := filepath.Abs(m.Config.DataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	m.Config.DataDir = dataDir
	if err := os.MkdirAll(dataDir, 0o711); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	key, err := m.masterKey()
	if err != nil {
		return err
	}
	if m.sealer, err = hookstream.NewSealer(key); err != nil {
		return err
	}
	m.cursorKey = deriveKey(key, "hookstream/cursor/v1")
	if err := m.openNATS(ctx); err != nil {
		return err
	}
	if err := m.openPostgres(ctx); err != nil {
		return err
	}
	if err := m.buildServer(ctx); err != nil {
		return err
	}
	addr, err := m.server.Listen(m.Config.HTTPAddr)
	if err != nil {
		return err
	}
	m.Addr = addr.String()
	m.serveErr = make(chan error, 1)
	go func() { m.serveErr <- m.server.Serve() }()
	m.logger.InfoContext(ctx, "hookstream listening", slog.String("addr", m.Addr), slog.String("data_dir", dataDir))
	return nil
}

// deriveKey derives a purpose's key from the master key (HMAC-SHA256).
func deriveKey(master []byte, purpose string) []byte {
	mac := hmac.New(sha256.New, master)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

// masterKey returns the configured key or the one generated into the data dir.
func (m *Main) masterKey() ([]byte, error) {
	if m.Config.MasterKey != "" {
		k, err := base64.StdEncoding.DecodeString(m.Config.MasterKey)
		if err != nil || len(k) != 32 {
			return nil, errors.New("HOOKSTREAM_MASTER_KEY must be base64 of 32 bytes")
		}
		return k, nil
	}
	p := filepath.Join(m.Config.DataDir, "master.key")
	if raw, err := os.ReadFile(p); err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s is not base64 of 32 bytes", p)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write master key: %w", err)
	}
	m.logger.Info("generated master key", slog.String("path", p))
	return k, nil
}

func (m *Main) openNATS(ctx context.Context) error {
	var err error
	replicas := m.Config.NATSReplicas
	if m.Config.NATSURL != "" {
		opts := []nats.Option{nats.Name("hookstream"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
		if m.Config.NATSCreds != "" {
			creds, err := eventstore.CredsOption(m.Config.NATSCreds)
			if err != nil {
				return fmt.Errorf("HOOKSTREAM_NATS_CREDS: %w", err)
			}
			opts = append(opts, creds)
		}
		m.nc, err = nats.Connect(m.Config.NATSURL, opts...)
		if err != nil {
			return fmt.Errorf("connect nats %s: %w", m.Config.NATSURL, err)
		}
		if replicas == 0 {
			replicas = 3
		}
	} else {
		ec := eventstore.EmbeddedConfig{
			StoreDir:      filepath.Join(m.Config.DataDir, "nats"),
			Listen:        m.Config.NATSListen,
			EncryptionKey: m.Config.NATSEncryption,
			Logger:        m.logger,
		}
		if s := m.Config.NATSSync; s != "" && s != "always" {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("HOOKSTREAM_NATS_SYNC: want 'always' or a duration: %w", err)
			}
			ec.SyncInterval = d
			m.logger.Warn("embedded NATS fsyncs periodically: a power loss may lose acknowledged events", slog.Duration("sync_interval", d))
		}
		if err := m.natsListenerAuth(&ec); err != nil {
			return err
		}
		if m.embedded, err = eventstore.StartEmbedded(ec); err != nil {
			return err
		}
		if m.nc, err = m.embedded.Connect("hookstream"); err != nil {
			return err
		}
		if u := m.embedded.ClientURL(); u != "" {
			m.logger.Info("embedded NATS accepts network clients with the nkey in the data directory",
				slog.String("url", u), slog.String("nkey_seed_file", filepath.Join(m.Config.DataDir, eventstore.NKeySeedFile)))
		}
	}
	mode, err := m.contentMode()
	if err != nil {
		return err
	}
	m.store, err = eventstore.Open(ctx, m.nc, eventstore.Config{
		Replicas:        replicas,
		DuplicateWindow: m.Config.DuplicateWindow,
		ContentMode:     mode,
		Logger:          m.logger,
	})
	return err
}

// openPostgres starts the managed cluster (or uses the external URL) and
// migrates. With an external database that is down, migration and the
// bootstrap retry in the background: ingest does not need PostgreSQL.
func (m *Main) openPostgres(ctx context.Context) error {
	dsn := m.Config.DatabaseURL
	if dsn == "" {
		pg, err := pglocal.Start(ctx, pglocal.Config{Dir: filepath.Join(m.Config.DataDir, "pg"), Logger: m.logger})
		if err != nil {
			return fmt.Errorf("managed postgres: %w", err)
		}
		m.pg = pg
		dsn = pg.DSN(pglocal.DatabaseName)
		m.registerPostgresMetrics()
	}
	pool, err := projections.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	m.pool = pool
	m.accounts = projections.NewAccounts(pool)
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancelBg = cancel
	if err := m.preparePostgres(ctx); err == nil {
		close(m.pgReady)
		return nil
	} else if m.Config.DatabaseURL == "" {
		return err
	} else {
		m.logger.Warn("postgres not ready; retrying in the background", slog.String("error", err.Error()))
	}
	m.bgDone.Add(1)
	go func() {
		defer m.bgDone.Done()
		policy := hookstream.Backoff{Base: time.Second, Max: 30 * time.Second}
		for attempt := 1; ; attempt++ {
			if !policy.Wait(bg, attempt) {
				return
			}
			if err := m.preparePostgres(bg); err != nil {
				continue
			}
			close(m.pgReady)
			return
		}
	}()
	return nil
}

func (m *Main) preparePostgres(ctx context.Context) error {
	if err := migrations.Migrate(ctx, m.pool); err != nil {
		return err
	}
	return m.bootstrap(ctx)
}

// bootstrap ensures the default tenant and an admin token: the configured
// bootstrap token, or one generated once and kept in <data-dir>/admin-token.
func (m *Main) bootstrap(ctx context.Context) error {
	tenant, err := m.accounts.EnsureTenant(ctx, "default")
	if err != nil {
		return err
	}
	if n := m.Config.MaxReplays; n != tenant.MaxReplays && n > 0 && n <= hookstream.MaxReplaysHardCap && tenant.MaxReplays == hookstream.MaxReplaysDefault {
		// HOOKSTREAM_MAX_REPLAYS is the default for tenants that kept the
		// built-in default; a tenant's own setting wins.
		if _, err := m.accounts.SetMaxReplays(ctx, tenant.ID, n); err != nil {
			return err
		}
	}
	if tok := m.Config.BootstrapToken; tok != "" {
		m.AdminToken, m.adminTokenSource = tok, "config"
		return m.accounts.EnsureToken(ctx, tenant.ID, "bootstrap", hookstream.RoleAdmin, tok)
	}
	p := m.adminTokenPath()
	if raw, err := os.ReadFile(p); err == nil {
		m.AdminToken, m.adminTokenSource = strings.TrimSpace(string(raw)), "file"
		return m.accounts.EnsureToken(ctx, tenant.ID, "admin", hookstream.RoleAdmin, m.AdminToken)
	}
	tok := projections.NewToken()
	if err := m.accounts.EnsureToken(ctx, tenant.ID, "admin", hookstream.RoleAdmin, tok); err != nil {
		return err
	}
	if err := os.WriteFile(p, []byte(tok+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin token: %w", err)
	}
	m.AdminToken, m.adminTokenSource = tok, "generated"
	return nil
}

func (m *Main) readyChecks() []handlers.ReadyCheck {
	checks := []handlers.ReadyCheck{
		{Name: "jetstream", Required: true, Check: func(ctx context.Context) (string, error) {
			last, _, err := m.store.StreamInfo(ctx, eventstore.StreamHooks)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("HOOKS last sequence %d", last), nil
		}},
		{Name: "postgres", Check: func(ctx context.Context) (string, error) {
			if err := m.pool.Ping(ctx); err != nil {
				return "", errors.New("unreachable")
			}
			return "reachable", nil
		}},
		{Name: "migrations", Check: func(ctx context.Context) (string, error) {
			cur, latest, err := migrations.Status(ctx, m.pool)
			if err != nil {
				return "", errors.New("unknown")
			}
			if cur < latest {
				return "", fmt.Errorf("at version %d of %d", cur, latest)
			}
			return fmt.Sprintf("version %d", cur), nil
		}},
	}
	if m.pg != nil {
		checks = append(checks, handlers.ReadyCheck{Name: "managed_postgres", Check: m.managedPostgresCheck})
	}
	return checks
}

// Wiring builds one area's parts (handlers modules and components) from
// the opened stores. Areas register theirs from wire_<area>.go files with
// addWiring; Order sorts them (lower first: the ingest cache before the
// consumers that use it).
type Wiring struct {
	Name  string
	Order int
	Build func(ctx context.Context, m *Main) ([]handlers.Module, []Component, error)
}

var wirings []Wiring

func addWiring(w Wiring) { wirings = append(wirings, w) }

// WaitPostgres blocks until migrations ran (PostgreSQL may be down at start
// with an external database); false when ctx ended first.
func (m *Main) WaitPostgres(ctx context.Context) bool {
	select {
	case <-m.pgReady:
		return true
	case <-ctx.Done():
		return false
	}
}

func (m *Main) buildServer(ctx context.Context) error {
	var modules []handlers.Module
	sorted := slices.Clone(wirings)
	slices.SortStableFunc(sorted, func(a, b Wiring) int { return a.Order - b.Order })
	for _, w := range sorted {
		mods, comps, err := w.Build(ctx, m)
		if err != nil {
			return fmt.Errorf("wire %s: %w", w.Name, err)
		}
		modules = append(modules, mods...)
		for _, c := range comps {
			if err := c.Start(ctx); err != nil {
				return fmt.Errorf("start %s: %w", w.Name, err)
			}
			m.mu.Lock()
			m.components = append(m.components, c)
			m.mu.Unlock()
		}
	}
	srv, err := handlers.NewServer(handlers.Config{
		Logger:        m.logger,
		Accounts:      m.accounts,
		Registry:      m.registry,
		Ready:         append(m.readyChecks(), m.extraReady...),
		PublicBaseURL: m.Config.PublicBaseURL,
		Web:           web.Dist(),
		Modules:       modules,
		CursorKey:     m.cursorKey,
	})
	if err != nil {
		return err
	}
	m.server = srv
	return nil
}

// AddReadyCheck adds a /readyz check; call it from a Wiring's Build.
func (m *Main) AddReadyCheck(rc handlers.ReadyCheck) { m.extraReady = append(m.extraReady, rc) }

// Banner prints the dashboard URL to stdout and, only when this start
// generated it, the admin token (never to the logs: tokens are never
// logged). Later starts say where the token is kept.
func (m *Main) Banner() {
	base := m.Config.PublicBaseURL
	if base == "" {
		base = "http://" + m.Addr
	}
	var token string
	switch m.adminTokenSource {
	case "generated":
		token = m.AdminToken + "\n               (shown once; kept in " + m.adminTokenPath() + ")"
	case "config":
		token = "the one set by HOOKSTREAM_BOOTSTRAP_TOKEN" //nolint:gosec // a description, not a credential
	default:
		token = "kept in " + m.adminTokenPath()
	}
	fmt.Fprintf(m.stdout, "\n  hookstream is running\n  dashboard:   %s/\n  admin token: %s\n  data dir:    %s\n\n", base, token, m.Config.DataDir)
}

func (m *Main) adminTokenPath() string { return filepath.Join(m.Config.DataDir, "admin-token") }

// Close shuts down in order: stop accepting HTTP (in-flight requests and
// their appends finish), stop components, close NATS, close PostgreSQL.
func (m *Main) Close() { m.closeOnce.Do(m.close) }

func (m *Main) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if m.server != nil {
		if err := m.server.Shutdown(ctx); err != nil {
			m.logger.Warn("http shutdown", slog.String("error", err.Error()))
		}
		if m.serveErr != nil {
			if err := <-m.serveErr; err != nil {
				m.logger.Warn("http serve", slog.String("error", err.Error()))
			}
		}
	}
	if m.cancelBg != nil {
		m.cancelBg()
	}
	m.mu.Lock()
	comps := m.components
	m.components = nil
	m.mu.Unlock()
	for i := len(comps) - 1; i >= 0; i-- {
		comps[i].Stop()
	}
	m.bgDone.Wait()
	if m.nc != nil {
		// Drain delivers what is in flight, bounded by the shutdown deadline.
		_ = m.nc.Drain()
		tick := time.NewTicker(10 * time.Millisecond)
		for m.nc.IsDraining() && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
		tick.Stop()
		m.nc.Close()
	}
	if m.embedded != nil {
		m.embedded.Shutdown()
	}
	if m.pool != nil {
		m.pool.Close()
	}
	if m.pg != nil {
		if err := m.pg.Stop(ctx); err != nil {
			m.logger.Warn("stop postgres", slog.String("error", err.Error()))
		}
	}
	if m.logger != nil {
		m.logger.Info("hookstream stopped")
	}
}
