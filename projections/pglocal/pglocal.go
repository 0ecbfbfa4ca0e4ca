package pglocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// DatabaseName is the database Start creates if it is missing.
	DatabaseName = "hookstream"
	// SuperUser is the cluster's superuser role, created by initdb; it authenticates with trust
	// over loopback.
	SuperUser = "hookstream"
	// UserDefault is the OS user PostgreSQL runs as when hookstream runs as root.
	UserDefault = "postgres"
	// TimeoutDefault bounds pg_ctl start/stop and waiting for connections when ctx has no deadline.
	TimeoutDefault = 60 * time.Second

	portFile     = "hookstream-port"
	locationFile = "location"
	confFile     = "hookstream.conf"
	logFile      = "log"
	pidFile      = "postmaster.pid"
	// maxSocketPath is the longest Unix socket path PostgreSQL accepts (sun_path minus the NUL).
	maxSocketPath = 107
	// portAttempts is how often Start tries another picked port when the first one is taken.
	portAttempts = 3
)

// Config configures a local cluster.
type Config struct {
	// Dir is the cluster directory, e.g. <data-dir>/pg. Required. Created if missing.
	Dir string
	// Port is the TCP port on 127.0.0.1. Default 0: a free loopback port is picked on first start
	// and persisted in Dir/hookstream-port, so restarts reuse it.
	Port int
	// BinDir holds initdb, pg_ctl and postgres. Default "": the directory of initdb found on PATH
	// (symlinks resolved), else `pg_config --bindir`.
	BinDir string
	// Logger receives lifecycle logs. Default: discard.
	Logger *slog.Logger
	// User is the OS user PostgreSQL runs as when the effective uid is 0. Default UserDefault;
	// Start fails if the user does not exist. Ignored when not running as root.
	User string
	// NoSync trades durability against OS crashes for speed: initdb --no-sync, and fsync,
	// synchronous_commit and full_page_writes off. For tests. Default false. Data survives
	// stopping or killing postgres either way.
	NoSync bool
}

// WithDefaults returns c with defaults filled in and Dir made absolute.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.User == "" {
		c.User = UserDefault
	}
	if c.Dir != "" {
		if abs, err := filepath.Abs(c.Dir); err == nil {
			c.Dir = abs
		}
	}
	return c
}

func (c Config) validate() error {
	if c.Dir == "" {
		return errors.New("pglocal: Config.Dir is required")
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("pglocal: Config.Port %d out of range", c.Port)
	}
	return nil
}

// Server is a local PostgreSQL cluster, either started by this process (Owned) or found running.
type Server struct {
	cfg     Config
	env     *environment
	cluster string // the data directory: Dir, or the relocated directory
	port    int
	owned   bool

	mu sync.Mutex // serialises Start and Stop
	// state guards what the supervisor changes.
	state  sync.Mutex
	pid    int    // postmaster pid; 0 once stopped
	child  *child // the running postmaster we started (owned)
	status Status
	sup    *supervisor
}

// Start initialises (if needed) and starts the cluster in cfg.Dir, waits until it accepts
// connections and creates the database DatabaseName if it is missing. If a postmaster is already
// running on the cluster, Start returns a non-owned Server connected to it. See the package
// documentation for root handling.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	s, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if srv, err := s.attach(ctx); srv != nil || err != nil {
		return srv, err
	}
	if err := s.Start(ctx); err != nil {
		// Lost a race with another process starting the same cluster?
		if srv, aerr := s.attach(ctx); srv != nil && aerr == nil {
			return srv, nil
		}
		return nil, err
	}
	return s, nil
}

// Init initialises the cluster in cfg.Dir (initdb) if it has none, without starting it. It
// returns the data directory (cfg.Dir, or where it was relocated to).
func Init(ctx context.Context, cfg Config) (dataDir string, err error) {
	s, err := prepare(ctx, cfg)
	if err != nil {
		return "", err
	}
	if exists(filepath.Join(s.cluster, "PG_VERSION")) {
		return s.cluster, nil
	}
	if err := s.env.chownTree(s.cluster); err != nil {
		return "", err
	}
	return s.cluster, s.initdb(ctx)
}

// prepare validates cfg, creates Dir and decides where the cluster lives.
func prepare(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	env, err := newEnvironment(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Dir), 0o755); err != nil {
		return nil, fmt.Errorf("pglocal: create parent of %s: %w", cfg.Dir, err)
	}
	if err := os.Mkdir(cfg.Dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("pglocal: create %s: %w", cfg.Dir, err)
	}
	cluster, err := env.clusterDir(ctx, cfg.Dir, true)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, env: env, cluster: cluster, owned: true}, nil
}

// attach returns a non-owned Server if a live postmaster runs on s.cluster; it removes a stale
// postmaster.pid. It returns (nil, nil) when nothing runs.
func (s *Server) attach(ctx context.Context) (*Server, error) {
	pf, err := readPIDFile(s.cluster)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if !processAlive(pf.pid) {
		s.cfg.Logger.InfoContext(ctx, "removing stale postmaster.pid", slog.Int("pid", pf.pid),
			slog.String("dir", s.cluster))
		if err := os.Remove(filepath.Join(s.cluster, pidFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("pglocal: remove stale %s: %w", pidFile, err)
		}
		return nil, nil
	}
	if !s.ownerAlive(pf.pid) {
		// Left running by a process that died without stopping it (a
		// SIGKILLed hookstream): this directory is ours, so stop it and
		// start our own, supervised one.
		s.cfg.Logger.WarnContext(ctx, "stopping PostgreSQL left running by a process that died", slog.Int("pid", pf.pid),
			slog.String("dir", s.cluster))
		sctx, cancel := withDefaultTimeout(ctx)
		defer cancel()
		if err := s.env.shutdown(sctx, s.cluster, "fast"); err != nil {
			return nil, err
		}
		if err := waitExited(sctx, pf.pid); err != nil {
			return nil, err
		}
		return nil, nil
	}
	port := pf.port
	if port == 0 {
		if port, err = readPort(s.cfg.Dir); err != nil {
			return nil, fmt.Errorf("pglocal: postmaster %d runs on %s but its port is unknown: %w", pf.pid, s.cluster, err)
		}
	}
	srv := &Server{cfg: s.cfg, env: s.env, cluster: s.cluster, port: port, pid: pf.pid}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if err := srv.ensureDatabase(ctx); err != nil {
		return nil, err
	}
	s.cfg.Logger.InfoContext(ctx, "using running PostgreSQL", slog.Int("pid", pf.pid), slog.Int("port", port),
		slog.String("dir", s.cluster))
	return srv, nil
}

// Start starts an owned Server again after Stop, on the same directory and port. It is a no-op if
// the server is running; it fails for a non-owned Server.
func (s *Server) Start(ctx context.Context) error {
	if !s.owned {
		return errors.New("pglocal: cannot start a server this process does not own")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sup != nil {
		return nil
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	began := time.Now()

	if err := s.env.chownTree(s.cluster); err != nil {
		return err
	}
	if !exists(filepath.Join(s.cluster, "PG_VERSION")) {
		if err := s.initdb(ctx); err != nil {
			return err
		}
	}
	port, picked, err := s.choosePort(ctx)
	if err != nil {
		return err
	}
	var c *child
	for attempt := 1; ; attempt++ {
		c, err = s.spawn(ctx, port)
		if err == nil {
			break
		}
		if !picked || attempt == portAttempts || !errors.Is(err, errPortInUse) {
			return err
		}
		if port, err = freePort(ctx); err != nil {
			return err
		}
	}
	s.port = port
	sup := &supervisor{stop: make(chan struct{}), done: make(chan struct{})}
	s.state.Lock()
	s.pid, s.child, s.sup = c.pid(), c, sup
	s.status = Status{Running: true, PID: c.pid(), Restarts: s.status.Restarts}
	s.state.Unlock()
	go s.supervise(c, sup) //nolint:gosec // the supervisor outlives Start's context by design; Stop ends it
	if err := writeFileAs(s.env, filepath.Join(s.cfg.Dir, portFile), strconv.Itoa(port)+"\n", 0o644); err != nil {
		return errors.Join(err, s.stopLocked(context.WithoutCancel(ctx)))
	}
	if err := s.writeOwner(c.pid()); err != nil {
		return errors.Join(fmt.Errorf("pglocal: record owner: %w", err), s.stopLocked(context.WithoutCancel(ctx)))
	}
	if err := s.ensureDatabase(ctx); err != nil {
		return errors.Join(err, s.stopLocked(context.WithoutCancel(ctx)))
	}
	s.cfg.Logger.InfoContext(ctx, "PostgreSQL started", slog.Int("pid", s.pid), slog.Int("port", s.port),
		slog.String("dir", s.cluster), slog.Duration("took", time.Since(began)))
	return nil
}

// initdb initialises an empty cluster and makes postgresql.conf include hookstream.conf.
func (s *Server) initdb(ctx context.Context) error {
	args := []string{
		"-D", s.cluster, "-U", SuperUser, "--auth-local=trust", "--auth-host=trust",
		"--encoding=UTF8", "--locale=C",
	}
	if s.cfg.NoSync {
		args = append(args, "--no-sync")
	}
	began := time.Now()
	if out, err := s.env.command(ctx, s.env.initdb, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("pglocal: initdb %s: %w: %s", s.cluster, err, strings.TrimSpace(string(out)))
	}
	f, err := os.OpenFile(filepath.Join(s.cluster, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pglocal: open postgresql.conf: %w", err)
	}
	_, werr := fmt.Fprintf(f, "\n# Settings managed by hookstream.\ninclude_if_exists = '%s'\n", confFile)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("pglocal: append to postgresql.conf: %w", err)
	}
	s.cfg.Logger.InfoContext(ctx, "PostgreSQL cluster initialised", slog.String("dir", s.cluster),
		slog.Duration("took", time.Since(began)))
	return nil
}

// choosePort returns Config.Port, the persisted port, or a freshly picked one (picked=true).
func (s *Server) choosePort(ctx context.Context) (port int, picked bool, err error) {
	if s.port != 0 {
		return s.port, false, nil
	}
	if s.cfg.Port != 0 {
		return s.cfg.Port, false, nil
	}
	port, err = readPort(s.cfg.Dir)
	switch {
	case err == nil:
		return port, false, nil
	case !errors.Is(err, os.ErrNotExist):
		return 0, false, err
	}
	port, err = freePort(ctx)
	return port, true, err
}

var errPortInUse = errors.New("port in use")

// settings is hookstream.conf.
func (s *Server) settings(port int) string {
	sockets := s.cluster
	if len(sockets)+len("/.s.PGSQL.")+len(strconv.Itoa(port)) > maxSocketPath {
		sockets = ""
	}
	var b strings.Builder
	b.WriteString("# Written by hookstream on every start; edits are overwritten.\n")
	fmt.Fprintf(&b, "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = %s\n", port, confQuote(sockets))
	if s.cfg.NoSync {
		b.WriteString("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
	}
	return b.String()
}

// ensureDatabase waits until the server accepts connections and creates DatabaseName if missing.
func (s *Server) ensureDatabase(ctx context.Context) error {
	var conn *pgx.Conn
	var connErr error
	err := poll(ctx, 50*time.Millisecond, func() (bool, error) {
		conn, connErr = pgx.Connect(ctx, s.DSN("postgres"))
		return connErr == nil, nil
	})
	if err != nil {
		return fmt.Errorf("pglocal: wait for PostgreSQL on port %d: %w", s.port, errors.Join(err, connErr))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var found bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
		DatabaseName).Scan(&found); err != nil {
		return fmt.Errorf("pglocal: look up database %s: %w", DatabaseName, err)
	}
	if found {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{DatabaseName}.Sanitize())
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("pglocal: create database %s: %w", DatabaseName, err)
	}
	return nil
}

// Stop stops an owned server (pg_ctl stop -m fast) and waits until the postmaster has exited.
// It is a no-op for a non-owned or already stopped Server.
func (s *Server) Stop(ctx context.Context) error {
	if !s.owned {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(ctx)
}

func (s *Server) stopLocked(ctx context.Context) error {
	s.state.Lock()
	sup := s.sup
	s.state.Unlock()
	if sup == nil {
		return nil
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	// The supervisor first, so that it restarts nothing; it abandons a
	// restart in progress (spawn leaves nothing running on failure).
	close(sup.stop)
	<-sup.done
	s.state.Lock()
	c, pid := s.child, s.pid
	s.state.Unlock()
	if c != nil {
		stopChild(ctx, c)
	}
	// Backends outlive a postmaster killed with SIGKILL for a moment.
	if err := waitExited(ctx, pid); err != nil {
		return err
	}
	s.state.Lock()
	s.pid, s.child, s.sup = 0, nil, nil
	s.status.Running, s.status.PID = false, 0
	s.state.Unlock()
	s.removeOwner(pid)
	s.cfg.Logger.InfoContext(ctx, "PostgreSQL stopped", slog.Int("pid", pid), slog.String("dir", s.cluster))
	return nil
}

// DSN returns the connection string for database db: trust authentication as SuperUser over TCP.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", SuperUser, s.port, url.PathEscape(db))
}

// Owned reports whether this process started the server (and Stop stops it).
func (s *Server) Owned() bool { return s.owned }

// PID returns the postmaster's pid, or 0 after Stop.
func (s *Server) PID() int {
	s.state.Lock()
	defer s.state.Unlock()
	return s.pid
}

// Port returns the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// DataDir returns the cluster's data directory: Config.Dir, or where it was relocated to.
func (s *Server) DataDir() string { return s.cluster }

// Shutdown stops the postmaster running on the cluster in cfg.Dir, whoever started it (e.g. a
// process that crashed), and waits until it has exited. It is a no-op if none runs.
func Shutdown(ctx context.Context, cfg Config) error {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return err
	}
	env, err := newEnvironment(ctx, cfg)
	if err != nil {
		return err
	}
	cluster, err := env.clusterDir(ctx, cfg.Dir, false)
	if err != nil {
		return err
	}
	pf, err := readPIDFile(cluster)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !processAlive(pf.pid) {
		return nil
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if err := env.shutdown(ctx, cluster, "fast"); err != nil {
		return err
	}
	return waitExited(ctx, pf.pid)
}

// Remove deletes the cluster directory dir and, if the cluster was relocated, the relocated
// directory. The cluster must be stopped.
func Remove(dir string) error {
	var errs []error
	if b, err := os.ReadFile(filepath.Join(dir, locationFile)); err == nil {
		if loc := strings.TrimSpace(string(b)); filepath.IsAbs(loc) {
			errs = append(errs, os.RemoveAll(loc))
		}
	}
	errs = append(errs, os.RemoveAll(dir))
	return errors.Join(errs...)
}

// freePort picks a free TCP port on 127.0.0.1.
func freePort(ctx context.Context) (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pglocal: pick a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	return port, l.Close()
}

func readPort(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, portFile))
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || port <= 0 || port > 65535 {
		return 0, fmt.Errorf("pglocal: bad port in %s: %q", filepath.Join(dir, portFile), b)
	}
	return port, nil
}

// confQuote quotes a postgresql.conf string value.
func confQuote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(v) + "'"
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readFrom returns the contents of path from offset, at most the last 4 KiB.
func readFrom(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	b = b[offset:]
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return strings.TrimSpace(string(b))
}

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, TimeoutDefault)
}

// timeoutSeconds is pg_ctl's -t for ctx's deadline.
func timeoutSeconds(ctx context.Context) string {
	secs := int(TimeoutDefault / time.Second)
	if d, ok := ctx.Deadline(); ok {
		secs = max(1, int(time.Until(d).Seconds()+0.5))
	}
	return strconv.Itoa(secs)
}

// poll calls f every interval until it reports done, returns an error, or ctx ends.
func poll(ctx context.Context, interval time.Duration, f func() (bool, error)) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		done, err := f()
		if done || err != nil {
			return err
		}
		t.Reset(interval)
	}
}
