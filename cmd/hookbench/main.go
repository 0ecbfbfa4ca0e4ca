// Command hookbench measures hookstream against this machine's own limits
// in one run: it builds and starts the server (embedded NATS, a PostgreSQL
// it runs itself in a temp dir), drives ingest with correctly signed
// requests closed-loop and open-loop, measures the same work on a bare Echo
// server and a bare JetStream publish, checks that every 2xx is in the
// stream, measures projection lag, profiles the server, runs the other
// packages' Go benchmarks, and prints one Markdown summary (also written to
// bench/results/latest.md). `go tool task bench [-- --quick]` runs it; see
// bench/README.md for the method.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookstream/hookstream/handlers/verify"
	"github.com/hookstream/hookstream/projections/pglocal"
)

// quickBenchRows is the projections fixture size in --quick.
const quickBenchRows = 100_000

// options are the command-line flags.
type options struct {
	Quick       bool
	Scheme      string
	Conns       int
	BodySize    int
	Warmup      time.Duration
	Duration    time.Duration
	LagDuration time.Duration
	Rate        float64
	BatchSize   int
	Out         string
	Profile     string
	WorkDir     string
	Keep        bool
	SkipLimits  bool
	SkipGoBench bool
	Executions  bool // --executions: only the executions benchmark (executions.go)
	BenchTime   string
	BenchTO     time.Duration

	// An existing server instead of our own.
	Target      string
	Token       string
	NATSURL     string
	NATSCreds   string
	DatabaseURL string
	ServerPID   int

	// The live-feed load test (feed.go).
	FeedClients int
	FeedRate    float64
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("hookbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.Quick, "quick", false, "smoke run under 3 minutes: short windows (5 s per closed-loop run, 10 s lag), short Go benchmarks with -short")
	fs.StringVar(&o.Scheme, "scheme", verify.SchemeGitHub, "signature scheme of the webhook and the requests: hmac, standard-webhooks, github, stripe, shopify, slack")
	fs.IntVar(&o.Conns, "conns", 64, "closed-loop connections (and JetStream publishers)")
	fs.IntVar(&o.BodySize, "body-size", 1024, "request body size in bytes")
	fs.DurationVar(&o.Warmup, "warmup", 0, "unmeasured warm-up before each closed-loop run (default 3s, quick 1s)")
	fs.DurationVar(&o.Duration, "duration", 0, "measured window of each closed-loop run (default 30s, quick 5s)")
	fs.DurationVar(&o.LagDuration, "lag-duration", 0, "open-loop projection-lag run (default 60s, quick 10s)")
	fs.Float64Var(&o.Rate, "rate", 0, "open-loop rate per second for the lag run (default: half the grouped closed-loop rate)")
	fs.IntVar(&o.BatchSize, "batch-size", 0, "atomic batch size of the JetStream batch limit (default: -conns)")
	fs.StringVar(&o.Out, "out", "bench/results/latest.md", "summary file (relative to the module root)")
	fs.StringVar(&o.Profile, "profile", "bench/results/ingest.cpu.prof", "server CPU profile file (relative to the module root)")
	fs.StringVar(&o.WorkDir, "work-dir", "", "where the temp data dirs go (default $TMPDIR); must be a real disk, fsync is measured")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dir (server logs, data) after the run")
	fs.BoolVar(&o.SkipLimits, "skip-limits", false, "skip the Echo and JetStream limit runs")
	fs.BoolVar(&o.SkipGoBench, "skip-gobench", false, "skip the other packages' Go benchmarks")
	fs.BoolVar(&o.Executions, "executions", false, "run only the executions benchmark (streams/runner: executions/s, critical time to start behind a backlog, lane shares)")
	fs.StringVar(&o.BenchTime, "benchtime", "", "go test -benchtime (default 1s, quick 100ms)")
	fs.DurationVar(&o.BenchTO, "gobench-timeout", 0, "timeout per package's benchmarks (default 8m, quick 90s)")
	fs.StringVar(&o.Target, "target", "", "drive an existing server at this base URL instead of starting one (needs --token)")
	fs.StringVar(&o.Token, "token", os.Getenv("HOOKSTREAM_TOKEN"), "admin token of --target (env HOOKSTREAM_TOKEN)")
	fs.StringVar(&o.NATSURL, "nats-url", "", "with --target: NATS URL to check the HOOKS stream (else GET /api/v1/events/{id})")
	fs.StringVar(&o.NATSCreds, "nats-creds", "", "with --nats-url: credentials file (.creds or user nkey seed, e.g. <data-dir>/nats-user.nk)")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "with --target: PostgreSQL URL to measure projection lag")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "with --target: server pid on this machine, for CPU and RSS")
	fs.IntVar(&o.FeedClients, "feed-clients", 0, "live-feed load test only: this many WebSocket clients of --target while events are ingested at --feed-rate (see feed.go)")
	fs.Float64Var(&o.FeedRate, "feed-rate", 1000, "live-feed load test: events ingested per second")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	def := func(d *time.Duration, full, quick time.Duration) {
		if *d == 0 {
			*d = full
			if o.Quick {
				*d = quick
			}
		}
	}
	def(&o.Warmup, 3*time.Second, time.Second)
	def(&o.Duration, 30*time.Second, 5*time.Second)
	def(&o.LagDuration, 60*time.Second, 10*time.Second)
	def(&o.BenchTO, 8*time.Minute, 90*time.Second)
	if o.BenchTime == "" {
		o.BenchTime = "1s"
		if o.Quick {
			o.BenchTime = "100ms"
		}
	}
	if o.BatchSize <= 0 {
		o.BatchSize = o.Conns
	}
	switch {
	case o.Conns <= 0:
		return o, errors.New("--conns must be positive")
	case o.BodySize < 128:
		return o, errors.New("--body-size must be at least 128")
	case o.Target != "" && o.Token == "":
		return o, errors.New("--target needs --token")
	}
	if _, err := verify.Sign(o.Scheme, []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), verify.HMACConfig{}, "id", time.Now(), nil); errors.Is(err, verify.ErrUnknownScheme) {
		return o, fmt.Errorf("--scheme %q: want one of %v", o.Scheme, verify.Schemes())
	}
	return o, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "hookbench:", err)
		return 2
	}
	if o.FeedClients > 0 {
		return runFeedBench(ctx, o, stdout, stderr)
	}
	b := &bench{o: o, stderr: stderr, start: time.Now()}
	if o.Executions {
		return b.runExecutions(ctx, stdout)
	}
	rep, err := b.run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "hookbench:", err)
		return 1
	}
	md := rep.Render()
	fmt.Fprint(stdout, "\n"+md)
	out := filepath.Join(b.repo, o.Out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err == nil {
		if err := os.WriteFile(out, []byte(md), 0o644); err != nil { //nolint:gosec // G306: a public report, committed to the repository
			fmt.Fprintln(stderr, "hookbench: write summary:", err)
			return 1
		}
		fmt.Fprintf(stderr, "hookbench: summary written to %s\n", out)
	}
	for _, in := range rep.Ingest {
		if in.Loss != nil && in.Loss.Missing > 0 {
			fmt.Fprintf(stderr, "hookbench: %s: %d acknowledged events are not stored\n", in.Label, in.Loss.Missing)
			return 1
		}
	}
	return 0
}

// bench is one run's state.
type bench struct {
	o      options
	stderr io.Writer
	repo   string
	work   string
	bin    string
	pg     *pglocal.Server
	dbs    int
	start  time.Time
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.stderr, "hookbench: [%5.1fs] "+format+"\n", append([]any{time.Since(b.start).Seconds()}, args...)...)
}

func (b *bench) run(ctx context.Context) (rep *Report, err error) {
	if b.repo, err = findRepo(); err != nil {
		return nil, fmt.Errorf("run from inside the hookstream checkout: %w", err)
	}
	if b.work, err = os.MkdirTemp(b.o.WorkDir, "hookbench-"); err != nil {
		return nil, err
	}
	// The managed PostgreSQL runs as another user when we are root; let it
	// reach its directory instead of being relocated.
	_ = os.Chmod(b.work, 0o755)
	defer b.cleanup()
	rep = &Report{Date: time.Now(), Machine: machineInfo(ctx, b.repo, b.work)}
	rep.Settings = Settings{Quick: b.o.Quick, Scheme: b.o.Scheme, Conns: b.o.Conns, BodySize: b.o.BodySize,
		Warmup: b.o.Warmup, Duration: b.o.Duration, LagDuration: b.o.LagDuration, Target: "own server (`hookstream serve`, embedded NATS with SyncAlways, PostgreSQL)"}
	if b.o.Target != "" {
		rep.Settings.Target = "server at " + b.o.Target
	}

	if !b.o.SkipLimits {
		b.limits(ctx, rep)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if b.o.Target != "" {
		b.targetRuns(ctx, rep)
	} else if err := b.ownServerRuns(ctx, rep); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if b.o.SkipGoBench {
		rep.BenchSkipped = "skipped (--skip-gobench)"
	} else {
		gb := GoBenchConfig{Repo: b.repo, BinDir: filepath.Join(b.work, "tests"), BenchTime: b.o.BenchTime, Short: b.o.Quick, Timeout: b.o.BenchTO,
			Deadline: b.start.Add(19 * time.Minute)}
		if b.o.Quick {
			gb.Deadline = b.start.Add(150 * time.Second)
			gb.Env = append(gb.Env, "HOOKSTREAM_BENCH_ROWS="+strconv.Itoa(quickBenchRows))
			rep.Notes = append(rep.Notes, fmt.Sprintf("--quick: micro benchmarks ran for -benchtime %s, heavy ones (pipeline, replay, projections) once (-benchtime 1x), projections' query benchmarks on %d rows (HOOKSTREAM_BENCH_ROWS) instead of 1 000 000", b.o.BenchTime, quickBenchRows))
		}
		rep.Bench = runGoBenchmarks(ctx, gb,
			func(s string) { b.logf("%s", s) })
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return rep, nil
}

func (b *bench) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if b.pg != nil {
		if err := b.pg.Stop(ctx); err != nil {
			b.logf("stop postgres: %v", err)
		}
	}
	if b.o.Keep {
		b.logf("kept %s", b.work)
		return
	}
	if err := pglocal.Remove(filepath.Join(b.work, "pg")); err != nil {
		b.logf("remove postgres dir: %v", err)
	}
	if err := os.RemoveAll(b.work); err != nil {
		b.logf("remove %s: %v", b.work, err)
	}
}

// limitTarget is a Target for the in-process limit server (same scheme,
// a generated secret).
func (b *bench) limitTarget() (Target, error) {
	secret, err := verify.GenerateSecret(b.o.Scheme)
	if err != nil {
		return Target{}, err
	}
	return Target{Scheme: b.o.Scheme, Secret: []byte(secret), BodySize: b.o.BodySize}, nil
}

// closed runs warm-up then the measured closed loop.
func (b *bench) closed(ctx context.Context, name string, workers int, op opFunc, between func()) (*Result, []Accepted, error) {
	warm, err := ClosedLoop(ctx, ClosedLoopConfig{Name: name + " warm-up", Workers: workers, Duration: b.o.Warmup}, op)
	if err != nil {
		return nil, nil, err
	}
	if between != nil {
		between()
	}
	res, err := ClosedLoop(ctx, ClosedLoopConfig{Name: name, Workers: workers, Duration: b.o.Duration}, op)
	if err != nil {
		return nil, nil, err
	}
	return res, append(warm.Accepted, res.Accepted...), nil
}

func (b *bench) limits(ctx context.Context, rep *Report) {
	// 1. Echo + HMAC verification, no storage.
	b.logf("limit: Echo + %s verification, %d connections", b.o.Scheme, b.o.Conns)
	lr := LimitRun{Label: "Echo + " + b.o.Scheme + " verify, no storage", Note: "in the bench process, same generator and connections; answers 202 with a fresh id"}
	if t, err := b.limitTarget(); err != nil {
		lr.Err = err.Error()
	} else if el, err := startEchoLimit(t); err != nil {
		lr.Err = err.Error()
	} else {
		t.URL = el.URL
		client := newHTTPClient(b.o.Conns)
		lr.Result, _, err = b.closed(ctx, lr.Label, b.o.Conns, httpOp(client, newSigner(t)), nil)
		if err != nil {
			lr.Err = err.Error()
		}
		client.CloseIdleConnections()
		el.Stop()
	}
	rep.Limits = append(rep.Limits, lr)

	// 2. Bare JetStream publish with SyncAlways: sync, then atomic batches.
	js, err := startJSLimit(ctx, filepath.Join(b.work, "limit"), b.o.BodySize)
	if err != nil {
		rep.Limits = append(rep.Limits, LimitRun{Label: "JetStream publish", Err: err.Error()})
		return
	}
	defer js.Stop()
	b.logf("limit: JetStream sync publish, %d publishers", b.o.Conns)
	sync := LimitRun{Label: "JetStream sync publish (SyncAlways)",
		Note: fmt.Sprintf("embedded nats-server, stream configured like HOOKS, %d publishers each waiting for its PubAck, %d-byte webhook.received envelope", b.o.Conns, js.PayloadSize())}
	if sync.Result, _, err = b.closed(ctx, sync.Label, b.o.Conns, js.publishOp(), nil); err != nil {
		sync.Err = err.Error()
	}
	rep.Limits = append(rep.Limits, sync)
	b.logf("limit: JetStream atomic batch publish, %d per batch", b.o.BatchSize)
	batch := LimitRun{Label: fmt.Sprintf("JetStream atomic batch of %d (SyncAlways)", b.o.BatchSize),
		Note: fmt.Sprintf("one publisher sending batches of %d (Nats-Batch-Id/-Sequence/-Commit), waiting for the commit's PubAck: what perfect grouping of %d connections could reach; latency is per batch", b.o.BatchSize, b.o.Conns)}
	if batch.Result, _, err = b.closed(ctx, batch.Label, 1, js.batchOp(b.o.BatchSize), nil); err != nil {
		batch.Err = err.Error()
	}
	rep.Limits = append(rep.Limits, batch)

	b.logf("limit: eventstore.Batcher, %d appenders", b.o.Conns)
	grouped := LimitRun{Label: "eventstore.Batcher (defaults), no HTTP",
		Note: fmt.Sprintf("issue 3's group commit alone: %d goroutines calling Batcher.Append on the same store; the ceiling for ingest with grouping on", b.o.Conns)}
	if bt, err := js.batcher(ctx); err != nil {
		grouped.Err = err.Error()
	} else {
		if grouped.Result, _, err = b.closed(ctx, grouped.Label, b.o.Conns, js.batcherOp(bt), nil); err != nil {
			grouped.Err = err.Error()
		}
		bt.Stop()
	}
	rep.Limits = append(rep.Limits, grouped)
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "hsb_" + hex.EncodeToString(b)
}

// database creates a fresh database in the bench's PostgreSQL (a fresh
// stream needs fresh projection checkpoints) and returns its URL.
func (b *bench) database(ctx context.Context) (string, error) {
	if b.pg == nil {
		pg, err := pglocal.Start(ctx, pglocal.Config{Dir: filepath.Join(b.work, "pg"), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return "", fmt.Errorf("start postgres: %w", err)
		}
		b.pg = pg
	}
	b.dbs++
	name := fmt.Sprintf("bench_%d", b.dbs)
	conn, err := pgx.Connect(ctx, b.pg.DSN(pglocal.DatabaseName))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return b.pg.DSN(name), nil
}

func (b *bench) ownServerRuns(ctx context.Context, rep *Report) error {
	b.bin = filepath.Join(b.work, "hookstream")
	b.logf("go build ./cmd/hookstream")
	if err := buildServer(ctx, b.repo, b.bin); err != nil {
		return err
	}
	for _, gc := range []string{"off", "on"} {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		label := "hookstream, group commit " + gc
		in := IngestRun{Label: label}
		last := gc == "on"
		err := b.serverRun(ctx, gc, &in, rep, last)
		if err != nil {
			in.Err = err.Error()
			b.logf("%s: %v", label, err)
		}
		// The default configuration (grouping on) is the headline row.
		rep.Ingest = append([]IngestRun{in}, rep.Ingest...)
		if err != nil && errors.Is(err, errNotAvailable) {
			rep.Ingest[0].Label = "hookstream"
			rep.LagErr = err.Error()
			rep.ProfileErr = err.Error()
			break
		}
	}
	return nil
}

// serverRun starts a server with HOOKSTREAM_GROUP_COMMIT=gc, measures the
// closed loop (and, when full, profile and projection lag), stops it.
func (b *bench) serverRun(ctx context.Context, gc string, in *IngestRun, rep *Report, full bool) error {
	dsn, err := b.database(ctx)
	if err != nil {
		return err
	}
	b.logf("start hookstream serve (group commit %s)", gc)
	srv, err := startServer(ctx, serverConfig{Bin: b.bin, DataDir: filepath.Join(b.work, "server-"+gc), DatabaseURL: dsn, GroupCommit: gc, Token: randomToken()})
	if err != nil {
		return err
	}
	defer func() {
		b.logf("stop hookstream serve (group commit %s)", gc)
		srv.Stop()
	}()
	target, wh, err := createWebhook(ctx, srv.URL, srv.Token, b.o.Scheme, b.o.BodySize)
	if err != nil {
		return err
	}
	client := newHTTPClient(b.o.Conns)
	defer client.CloseIdleConnections()
	op := httpOp(client, newSigner(target))

	b.logf("ingest: closed loop, %d connections, group commit %s", b.o.Conns, gc)
	var cpu0, pg0 time.Duration
	profDone := make(chan error, 1)
	profPath := filepath.Join(b.repo, b.o.Profile)
	res, acc, err := b.closed(ctx, in.Label, b.o.Conns, op, func() {
		cpu0, _ = processCPU(srv.PID)
		pg0 = treeCPU(b.pg.PID())
		if full {
			go func() { profDone <- fetchCPUProfile(ctx, srv.URL, srv.Token, b.o.Duration-time.Second, profPath) }()
		} else {
			profDone <- nil
		}
	})
	if err != nil {
		return err
	}
	cpu1, _ := processCPU(srv.PID)
	in.ServerCPU, in.PostgresCPU = cpu1-cpu0, treeCPU(b.pg.PID())-pg0
	in.PeakRSS, _ = peakRSS(srv.PID)
	in.Result = res
	perr := <-profDone
	if full {
		b.profile(ctx, rep, profPath, perr)
	}
	b.logf("ingest: checking %d accepted events in the HOOKS stream", len(acc))
	lc := checkStream(ctx, srv.NATSURL, srv.NATSCreds, wh.ID, acc)
	in.Loss = &lc
	if !full {
		return nil
	}
	rate := b.o.Rate
	if rate <= 0 {
		rate = max(float64(int(res.Rate()/2/10))*10, 20)
	}
	b.logf("projection lag: waiting for the closed-loop run's %d events to be projected", lc.Accepted)
	if waited, err := waitProjected(ctx, dsn, wh.ID, lc.Accepted, 3*time.Minute); err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("before the lag run the projection had not caught up with the closed-loop run: %v", err))
	} else {
		rep.Notes = append(rep.Notes, fmt.Sprintf("the projection caught up with the closed-loop run's %d events %s after it ended; the lag run started then", lc.Accepted, fmtDur(waited)))
	}
	b.logf("projection lag: open loop %.0f/s for %s", rate, b.o.LagDuration)
	lag, load, err := measureLag(ctx, dsn, rate, b.o.LagDuration, drainLimit(b.o), op)
	rep.LagLoad = load
	if err != nil {
		rep.LagErr = err.Error()
	} else {
		rep.Lag = lag
	}
	if p, err := peakRSS(srv.PID); err == nil && p > in.PeakRSS {
		in.PeakRSS = p
	}
	return nil
}

func drainLimit(o options) time.Duration {
	if o.Quick {
		return 10 * time.Second
	}
	return 60 * time.Second
}

func (b *bench) profile(ctx context.Context, rep *Report, path string, fetchErr error) {
	rep.ProfilePath, _ = filepath.Rel(b.repo, path)
	if fetchErr != nil {
		rep.ProfileErr = fetchErr.Error()
		return
	}
	top, err := pprofTop(ctx, b.repo, b.bin, path, 15)
	if err != nil {
		rep.ProfileErr = err.Error()
		return
	}
	rep.ProfileTop = top
	if cum, err := pprofTop(ctx, b.repo, b.bin, path, 25, "-cum", "-show=hookstream|jetstream|nats-server|net/http|labstack|syscall|runtime\\.gcBgMarkWorker|encoding/json"); err == nil {
		rep.ProfileCum = cum
	}
}

// targetRuns drives an existing server: one closed-loop run as it is
// configured, the loss check, and projection lag when --database-url is set.
func (b *bench) targetRuns(ctx context.Context, rep *Report) {
	in := IngestRun{Label: "hookstream at " + b.o.Target}
	defer func() { rep.Ingest = append(rep.Ingest, in) }()
	target, wh, err := createWebhook(ctx, b.o.Target, b.o.Token, b.o.Scheme, b.o.BodySize)
	if err != nil {
		in.Err = err.Error()
		rep.LagErr = err.Error()
		return
	}
	client := newHTTPClient(b.o.Conns)
	defer client.CloseIdleConnections()
	op := httpOp(client, newSigner(target))
	var cpu0 time.Duration
	res, acc, err := b.closed(ctx, in.Label, b.o.Conns, op, func() {
		if b.o.ServerPID > 0 {
			cpu0, _ = processCPU(b.o.ServerPID)
		}
	})
	if err != nil {
		in.Err = err.Error()
		return
	}
	in.Result = res
	if b.o.ServerPID > 0 {
		cpu1, _ := processCPU(b.o.ServerPID)
		in.ServerCPU = cpu1 - cpu0
		in.PeakRSS, _ = peakRSS(b.o.ServerPID)
	}
	var lc LossCheck
	if b.o.NATSURL != "" {
		lc = checkStream(ctx, b.o.NATSURL, b.o.NATSCreds, wh.ID, acc)
	} else {
		lc = checkAPI(ctx, b.o.Target, b.o.Token, acc)
	}
	in.Loss = &lc
	rep.ProfileErr = "profiling runs only against the bench's own server"
	if b.o.DatabaseURL == "" {
		rep.LagErr = errNoDSN.Error() + " (pass --database-url)"
		return
	}
	rate := b.o.Rate
	if rate <= 0 {
		rate = max(float64(int(res.Rate()/2/10))*10, 20)
	}
	lag, load, err := measureLag(ctx, b.o.DatabaseURL, rate, b.o.LagDuration, drainLimit(b.o), op)
	rep.LagLoad = load
	if err != nil {
		rep.LagErr = err.Error()
		return
	}
	rep.Lag = lag
}
