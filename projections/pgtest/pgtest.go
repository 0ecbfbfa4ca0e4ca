// Package pgtest gives tests real PostgreSQL databases. Import it only from _test.go files.
//
// Each test binary (one per package under `go test ./...`, and those run in parallel) shares one
// PostgreSQL server, started lazily on first use with projections/pglocal in a directory under
// os.TempDir(), or the server at TEST_DATABASE_URL when that is set (then none is started; the
// URL's role needs CREATEDB). Per migration function, a template database is created and migrated
// once per process; [NewDB] and [DSN] clone it (CREATE DATABASE ... TEMPLATE) into a fresh database
// per test and drop it (WITH (FORCE)) when the test ends. Database names carry the process id and a
// random suffix, so test binaries sharing TEST_DATABASE_URL do not collide.
//
// Use [Main] in TestMain: it stops the shared server and drops the templates after the tests, then
// checks for leaked goroutines. A test binary killed before Main finishes (e.g. by -timeout) leaves
// its server running; the next pgtest process on the machine stops and removes it.
//
// [NewServer] gives a test its own cluster to stop and start again (durability tests).
//
// Servers run with fsync off (pglocal.Config.NoSync) and are seeded from a per-machine cache of an
// initialised cluster in os.TempDir(), so a test binary does not pay for initdb (see cache.go).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/hookstream/hookstream/projections/pglocal"
)

// MigrateFunc migrates the database behind pool (e.g. migrations.Migrate). pgtest takes it as a
// parameter so that migrations' own tests can use pgtest without an import cycle.
type MigrateFunc func(ctx context.Context, pool *pgxpool.Pool) error

const (
	// EnvDatabaseURL names the variable holding an existing server's URL to use instead of starting
	// one. The databases are created through it, so its role needs CREATEDB.
	EnvDatabaseURL = "TEST_DATABASE_URL"

	dirPattern = "hookstream-pgtest-"
	ownerFile  = "owner" // pid of the process a pgtest directory belongs to
	clusterDir = "pg"
	// orphanAge is how old a pgtest directory without a live owner must be before it is swept;
	// it protects a directory whose owner is still writing its owner file.
	orphanAge       = time.Minute
	setupTimeout    = 2 * time.Minute
	teardownTimeout = time.Minute
)

// shared is the process's server, admin pool and templates.
var shared struct {
	once  sync.Once
	err   error
	srv   *pglocal.Server // nil when using TEST_DATABASE_URL
	dir   string          // the server's pgtest directory
	url   string          // maintenance database URL (TEST_DATABASE_URL or the server's "postgres")
	admin *pgxpool.Pool
	runID string
	seq   atomic.Int64

	mu        sync.Mutex
	templates map[uintptr]*template
}

type template struct {
	once sync.Once
	name string
	err  error
}

// NewDB returns a pool on a fresh database cloned from a template migrated with migrate (nil: an
// empty database). The pool is closed and the database dropped when the test ends.
func NewDB(t testing.TB, migrate MigrateFunc) *pgxpool.Pool {
	t.Helper()
	dsn := DSN(t, migrate)
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	t.Cleanup(pool.Close) // runs before DSN's cleanup drops the database
	return pool
}

// DSN returns the URL of a fresh database cloned from a template migrated with migrate (none or
// nil: an empty database), for end-to-end tests that hand it to the real server
// (HOOKSTREAM_DATABASE_URL). The database is dropped, connections and all, when the test ends.
func DSN(t testing.TB, migrate ...MigrateFunc) string {
	t.Helper()
	var fn MigrateFunc
	switch len(migrate) {
	case 0:
	case 1:
		fn = migrate[0]
	default:
		t.Fatal("pgtest: DSN takes at most one MigrateFunc")
	}
	setup(t)
	tpl := templateFor(t, fn)
	name := fmt.Sprintf("hookstream_test_%s_%d", shared.runID, shared.seq.Add(1))
	_, err := shared.admin.Exec(t.Context(), "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(tpl))
	if err != nil {
		t.Fatalf("pgtest: create database %s from %s: %v", name, tpl, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer cancel()
		if _, err := shared.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dsnFor(name)
}

// Main runs the tests, stops the shared server (no postgres process is left behind), drops the
// templates, checks for leaked goroutines with goleak (opts as for goleak.Find) when the tests
// passed, and exits. Call it from TestMain.
func Main(m *testing.M, opts ...goleak.Option) {
	code := m.Run()
	if err := teardown(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = max(code, 1)
	}
	if code == 0 {
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// NewServer starts a cluster of the test's own, which it may Stop and Start again (on the same
// port) to test behaviour while PostgreSQL is down. It has the database "hookstream", unmigrated;
// connect with srv.DSN(pglocal.DatabaseName). It is stopped and removed when the test ends. It
// ignores TEST_DATABASE_URL.
func NewServer(t testing.TB) *pglocal.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), setupTimeout)
	defer cancel()
	dir, err := newDir()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg := pglocal.Config{Dir: filepath.Join(dir, clusterDir), NoSync: true}
	seedFromCache(ctx, cfg.Dir)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer cancel()
		if err := pglocal.Shutdown(ctx, cfg); err != nil {
			t.Errorf("pgtest: stop own server: %v", err)
			return
		}
		if err := pglocal.Remove(cfg.Dir); err != nil {
			t.Errorf("pgtest: %v", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	srv, err := pglocal.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: start own server: %v", err)
	}
	return srv
}

// setup starts (once) the shared server or connects to TEST_DATABASE_URL.
func setup(t testing.TB) {
	t.Helper()
	shared.once.Do(func() {
		// Not the test's context: the server outlives the test that happens to start it.
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		shared.err = start(ctx)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
}

func start(ctx context.Context) error {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	shared.runID = strconv.Itoa(os.Getpid()) + "_" + hex.EncodeToString(b)
	shared.templates = map[uintptr]*template{}

	shared.url = os.Getenv(EnvDatabaseURL)
	if shared.url == "" {
		sweepOrphans(ctx)
		dir, err := newDir()
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		shared.dir = dir
		cluster := filepath.Join(dir, clusterDir)
		seedFromCache(ctx, cluster)
		srv, err := pglocal.Start(ctx, pglocal.Config{Dir: cluster, NoSync: true})
		if err != nil {
			return fmt.Errorf("pgtest: start PostgreSQL (or set %s to use a running server): %w", EnvDatabaseURL, err)
		}
		shared.srv = srv
		shared.url = srv.DSN("postgres")
	}
	cfg, err := pgxpool.ParseConfig(shared.url)
	if err != nil {
		return fmt.Errorf("pgtest: parse database URL: %w", err)
	}
	cfg.MinConns = 0
	cfg.MaxConns = 4
	if shared.admin, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	if err := shared.admin.Ping(ctx); err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	return nil
}

// templateFor returns the name of the template database migrated with migrate, creating it on
// first use. Templates are keyed by the function's code pointer: closures with the same code share
// one.
func templateFor(t testing.TB, migrate MigrateFunc) string {
	t.Helper()
	var key uintptr
	if migrate != nil {
		key = reflect.ValueOf(migrate).Pointer()
	}
	shared.mu.Lock()
	tpl, ok := shared.templates[key]
	if !ok {
		tpl = &template{name: fmt.Sprintf("hookstream_tpl_%s_%d", shared.runID, len(shared.templates))}
		shared.templates[key] = tpl
	}
	shared.mu.Unlock()
	tpl.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		tpl.err = createTemplate(ctx, tpl.name, migrate)
	})
	if tpl.err != nil {
		t.Fatal(tpl.err)
	}
	return tpl.name
}

func createTemplate(ctx context.Context, name string, migrate MigrateFunc) error {
	if _, err := shared.admin.Exec(ctx, "CREATE DATABASE "+ident(name)); err != nil {
		return fmt.Errorf("pgtest: create template %s: %w", name, err)
	}
	if migrate != nil {
		pool, err := pgxpool.New(ctx, dsnFor(name))
		if err != nil {
			return fmt.Errorf("pgtest: connect to template %s: %w", name, err)
		}
		err = migrate(ctx, pool)
		// CREATE DATABASE ... TEMPLATE fails while anyone is connected to the template.
		pool.Close()
		if err != nil {
			return fmt.Errorf("pgtest: migrate template %s: %w", name, err)
		}
	}
	if _, err := shared.admin.Exec(ctx, "ALTER DATABASE "+ident(name)+" ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("pgtest: seal template %s: %w", name, err)
	}
	return nil
}

// teardown drops the templates (they matter on a shared TEST_DATABASE_URL server), closes the
// admin pool and stops and removes the shared server.
func teardown() error {
	if shared.admin == nil && shared.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
	defer cancel()
	var errs []error
	if shared.admin != nil {
		if shared.srv == nil {
			shared.mu.Lock()
			for _, tpl := range shared.templates {
				if _, err := shared.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(tpl.name)+" WITH (FORCE)"); err != nil {
					errs = append(errs, fmt.Errorf("drop template %s: %w", tpl.name, err))
				}
			}
			shared.mu.Unlock()
		}
		shared.admin.Close()
	}
	if shared.srv != nil {
		if err := shared.srv.Stop(ctx); err != nil {
			errs = append(errs, err)
		} else {
			errs = append(errs, os.RemoveAll(shared.dir))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pgtest: teardown: %w", err)
	}
	return nil
}

// newDir creates a pgtest directory under os.TempDir() recording this process as its owner. It is
// searchable by all (0755, so PostgreSQL's unprivileged user reaches the cluster inside when root).
func newDir() (string, error) {
	dir, err := os.MkdirTemp("", dirPattern)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return "", err
	}
	return dir, nil
}

// sweepOrphans stops and removes the servers of pgtest directories whose owner process is gone
// (a test binary killed by -timeout never reaches Main's teardown). Best effort.
func sweepOrphans(ctx context.Context) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPattern+"*"))
	for _, dir := range dirs {
		if !orphaned(dir) {
			continue
		}
		cfg := pglocal.Config{Dir: filepath.Join(dir, clusterDir), Logger: slog.New(slog.DiscardHandler)}
		if err := pglocal.Shutdown(ctx, cfg); err != nil {
			continue
		}
		_ = pglocal.Remove(cfg.Dir)
		_ = os.RemoveAll(dir)
	}
}

func orphaned(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		fi, serr := os.Stat(dir)
		return errors.Is(err, os.ErrNotExist) && serr == nil && time.Since(fi.ModTime()) > orphanAge
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// dsnFor returns the URL of database name on the shared server.
func dsnFor(name string) string {
	if shared.srv != nil {
		return shared.srv.DSN(name)
	}
	if u, err := url.Parse(shared.url); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		u.RawPath = ""
		return u.String()
	}
	return shared.url + " dbname=" + name // keyword/value form; names are [a-z0-9_]
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }
