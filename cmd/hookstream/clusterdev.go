package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pglocal"
)

// `hookstream cluster-dev` (`go tool task cluster`): a local cluster-mode
// setup in one process to try SPEC §12 on a laptop: three NATS servers
// (in-process, loopback ports, routes between all three, SyncAlways, R3
// streams and KV buckets, nkey authentication), a managed PostgreSQL and
// two hookstream nodes connected to them exactly as separate machines would
// be (HOOKSTREAM_NATS_URL with every seed, HOOKSTREAM_NATS_CREDS,
// HOOKSTREAM_DATABASE_URL). Ctrl-C stops everything; the state stays in
// --dir for the next run.
func init() {
	subcommands["cluster-dev"] = runClusterDev
}

func runClusterDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster-dev", flag.ContinueOnError)
	dir := fs.String("dir", "./data/cluster-dev", "state directory (NATS stores, PostgreSQL, node data directories)")
	addrA := fs.String("http-a", "127.0.0.1:8081", "HTTP address of hookstream node A")
	addrB := fs.String("http-b", "127.0.0.1:8082", "HTTP address of hookstream node B")
	logLevel := fs.String("log-level", "warn", "log level of both nodes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := filepath.Abs(*dir)
	if err != nil {
		return fmt.Errorf("cluster-dev dir: %w", err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("cluster-dev dir: %w", err)
	}
	masterKey, err := readOrCreate(filepath.Join(root, "master.key"), func() string {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		return base64.StdEncoding.EncodeToString(k)
	})
	if err != nil {
		return err
	}
	token, err := readOrCreate(filepath.Join(root, "admin-token"), projections.NewToken)
	if err != nil {
		return err
	}

	fmt.Fprintln(stdout, "starting 3 NATS servers …")
	nats, err := eventstore.StartLocalCluster(ctx, eventstore.LocalClusterConfig{Dir: filepath.Join(root, "nats")})
	if err != nil {
		return err
	}
	defer nats.Shutdown()
	fmt.Fprintln(stdout, "starting PostgreSQL …")
	pg, err := pglocal.Start(ctx, pglocal.Config{Dir: filepath.Join(root, "pg")})
	if err != nil {
		return fmt.Errorf("managed postgres: %w", err)
	}
	defer func() {
		if err := pg.Stop(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintln(stderr, "stop postgres:", err)
		}
	}()

	nodes := make([]*Main, 0, 2)
	defer func() {
		var wg sync.WaitGroup
		for _, m := range nodes {
			wg.Go(m.Close)
		}
		wg.Wait()
	}()
	for i, addr := range []string{*addrA, *addrB} {
		name := string(rune('a' + i))
		cfg, err := parseConfig("serve", nil, nil)
		if err != nil {
			return err
		}
		cfg.HTTPAddr = addr
		cfg.DataDir = filepath.Join(root, "node-"+name)
		cfg.DatabaseURL = pg.DSN(pglocal.DatabaseName)
		cfg.NATSURL = nats.ClientURLs()
		cfg.NATSCreds = nats.SeedFile()
		cfg.NATSReplicas = 3
		cfg.MasterKey = masterKey
		cfg.BootstrapToken = token
		cfg.LogLevel = *logLevel
		cfg.LogFormat = "text"
		logs := &prefixWriter{prefix: "[node " + strings.ToUpper(name) + "] ", w: stderr}
		m := NewMain(cfg, io.Discard, logs)
		if err := m.Run(ctx); err != nil {
			m.Close()
			return fmt.Errorf("node %s: %w", name, err)
		}
		nodes = append(nodes, m)
		if !m.WaitPostgres(ctx) {
			return ctx.Err()
		}
	}

	fmt.Fprintf(stdout, `
  hookstream cluster mode (local)
  node A:       http://%s/
  node B:       http://%s/
  admin token:  %s
  NATS:         %s
  NATS nkey:    %s
                nats --server %s --nkey %s stream info HOOKS
  PostgreSQL:   %s
  state:        %s

  Send to either node: a webhook created on one is accepted by the other.
  Ctrl-C stops everything.

`, nodes[0].Addr, nodes[1].Addr, token, nats.ClientURLs(), nats.SeedFile(),
		nats.ClientURLs(), nats.SeedFile(), redactDSN(pg.DSN(pglocal.DatabaseName)), root)
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping …")
	return nil
}

// readOrCreate returns the trimmed content of path, writing gen() to it
// (mode 0600) when it does not exist.
func readOrCreate(path string, gen func() string) (string, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(raw)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	v := gen()
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return v, nil
}

// redactDSN drops a password from a connection URL for printing.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.Index(dsn[i+3:], "@"); at >= 0 {
			if colon := strings.Index(dsn[i+3:i+3+at], ":"); colon >= 0 {
				return dsn[:i+3+colon] + ":***" + dsn[i+3+at:]
			}
		}
	}
	return dsn
}

// prefixWriter prefixes every line written to w.
type prefixWriter struct {
	prefix string
	mu     sync.Mutex
	w      io.Writer
	buf    bytes.Buffer
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	for {
		line, err := p.buf.ReadBytes('\n')
		if err != nil {
			p.buf.Write(line) // incomplete: keep for the next write
			return len(b), nil
		}
		if _, err := io.WriteString(p.w, p.prefix+string(line)); err != nil {
			return 0, err
		}
	}
}
