package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// benchPackage is a package whose Go benchmarks the summary reports, with
// the benchmarks the issues ask for by name (reported as "not available"
// when the package does not declare them).
type benchPackage struct {
	Dir   string // relative to the module root, e.g. "streams/filter"
	Title string
	Want  []string
	// Heavy benchmarks build big fixtures (1M rows, replays); --quick runs
	// them once (-benchtime 1x) instead of for BenchTime.
	Heavy bool
}

// benchPackages lists what the summary collects (issues 3–6).
var benchPackages = []benchPackage{
	{Dir: "streams/filter", Title: "Filter rules (issue 5)", Want: []string{"BenchmarkMatch10Rules"}},
	{Dir: "streams/schema", Title: "Schema validation (issue 5)", Want: []string{"BenchmarkValidate1KB"}},
	{Dir: "eventstore", Title: "Event store, group commit (issue 3)"},
	{Dir: "handlers", Title: "Ingest handler (issue 3)"},
	{Dir: "streams/pipeline", Title: "Pipeline (issue 5)", Heavy: true},
	{Dir: "streams/replay", Title: "Replay (issue 6)", Heavy: true},
	{Dir: "projections", Title: "Projections: queries, export, throughput at 1M rows (issue 4)", Heavy: true},
}

// BenchLine is one parsed benchmark result line.
type BenchLine struct {
	Name       string // without the -GOMAXPROCS suffix
	Iterations int64
	// Metrics maps unit → value in order of appearance: ns/op, B/op,
	// allocs/op and custom b.ReportMetric units.
	Metrics map[string]float64
	Units   []string
}

// BenchPackageResult is one package's benchmarks.
type BenchPackageResult struct {
	Package benchPackage
	// Declared are the Benchmark functions found in its _test.go files.
	Declared []string
	Lines    []BenchLine
	// Skipped maps a benchmark to its SKIP/FAIL message.
	Skipped map[string]string
	// Err is set when go test failed or timed out.
	Err     string
	Elapsed time.Duration
}

var benchFuncRE = regexp.MustCompile(`(?m)^func (Benchmark[A-Za-z0-9_]*)\(\w+ \*testing\.B\)`)

// declaredBenchmarks returns the top-level benchmark functions declared in
// dir's _test.go files (none when the package does not exist).
func declaredBenchmarks(dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	var names []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, m := range benchFuncRE.FindAllSubmatch(raw, -1) {
			names = append(names, string(m[1]))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

var benchLineRE = regexp.MustCompile(`^(Benchmark\S*?)(?:-\d+)?\s+(\d+)\s+(.*)$`)
var benchNameOnlyRE = regexp.MustCompile(`^(Benchmark\S*?)(?:-\d+)?\s*$`)
var benchStatusRE = regexp.MustCompile(`^\s*--- (SKIP|FAIL): (Benchmark\S*?)(?:-\d+)?(?:\s|$)`)

// parseBenchOutput parses `go test -bench` output: result lines (also when
// log output split the name from its numbers), and SKIP/FAIL markers with
// the message on the following indented line.
func parseBenchOutput(out []byte) (lines []BenchLine, skipped map[string]string) {
	skipped = map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pendingName := ""
	statusFor := ""
	for sc.Scan() {
		text := sc.Text()
		if m := benchStatusRE.FindStringSubmatch(text); m != nil {
			statusFor = m[2]
			skipped[statusFor] = strings.ToLower(m[1])
			continue
		}
		if statusFor != "" {
			if msg := strings.TrimSpace(text); msg != "" && strings.HasPrefix(text, "    ") {
				if _, after, ok := strings.Cut(msg, ": "); ok && strings.Contains(msg, ".go:") {
					msg = after
				}
				skipped[statusFor] += ": " + msg
			}
			statusFor = ""
		}
		if m := benchLineRE.FindStringSubmatch(text); m != nil {
			if bl, ok := parseBenchFields(m[1], m[2], m[3]); ok {
				lines = append(lines, bl)
				pendingName = ""
				continue
			}
		}
		if m := benchNameOnlyRE.FindStringSubmatch(text); m != nil {
			pendingName = m[1]
			continue
		}
		if pendingName != "" {
			f := strings.Fields(text)
			if len(f) >= 3 {
				if _, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					if bl, ok := parseBenchFields(pendingName, f[0], strings.Join(f[1:], " ")); ok {
						lines = append(lines, bl)
						pendingName = ""
					}
				}
			}
		}
	}
	return lines, skipped
}

func parseBenchFields(name, iters, rest string) (BenchLine, bool) {
	n, err := strconv.ParseInt(iters, 10, 64)
	if err != nil {
		return BenchLine{}, false
	}
	f := strings.Fields(rest)
	if len(f) < 2 || len(f)%2 != 0 {
		return BenchLine{}, false
	}
	bl := BenchLine{Name: name, Iterations: n, Metrics: map[string]float64{}}
	for i := 0; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return BenchLine{}, false
		}
		unit := f[i+1]
		if _, dup := bl.Metrics[unit]; !dup {
			bl.Units = append(bl.Units, unit)
		}
		bl.Metrics[unit] = v
	}
	return bl, true
}

// GoBenchConfig configures runGoBenchmarks.
type GoBenchConfig struct {
	Repo      string
	BinDir    string // where the test binaries are built
	BenchTime string // -test.benchtime
	Short     bool   // pass -test.short (benchmarks may use smaller data sets)
	// Timeout bounds each package's benchmarks.
	Timeout time.Duration
	// Deadline, when set, is when no further package is started (the rest
	// are reported as not run).
	Deadline time.Time
	// Env is added to the benchmarks' environment.
	Env []string
}

// runGoBenchmarks compiles the test binaries of every package that declares
// benchmarks in one `go test -c` (the build runs in parallel), then runs
// them one package at a time from the package's directory, never
// concurrently with each other or with the load runs.
func runGoBenchmarks(ctx context.Context, cfg GoBenchConfig, progress func(string)) []BenchPackageResult {
	out := make([]BenchPackageResult, len(benchPackages))
	var build []string
	for i, p := range benchPackages {
		out[i] = BenchPackageResult{Package: p, Declared: declaredBenchmarks(filepath.Join(cfg.Repo, p.Dir))}
		if len(out[i].Declared) > 0 {
			build = append(build, "./"+p.Dir)
		}
	}
	if len(build) == 0 {
		return out
	}
	progress(fmt.Sprintf("go test -c %s", strings.Join(build, " ")))
	if err := os.MkdirAll(cfg.BinDir, 0o755); err != nil {
		for i := range out {
			out[i].Err = err.Error()
		}
		return out
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-c", "-o", cfg.BinDir + string(filepath.Separator)}, build...)...)
	cmd.Dir = cfg.Repo
	buildOut, buildErr := cmd.CombinedOutput()
	for i := range out {
		r := &out[i]
		if len(r.Declared) == 0 {
			continue
		}
		bin := filepath.Join(cfg.BinDir, filepath.Base(r.Package.Dir)+".test")
		if _, err := os.Stat(bin); err != nil {
			r.Err = fmt.Sprintf("test binary did not build (%v): %s", buildErr, lastLines(string(buildOut), 6))
			continue
		}
		if !cfg.Deadline.IsZero() && time.Now().After(cfg.Deadline) {
			r.Err = "not run: the --quick time budget was spent (the full run runs it)"
			continue
		}
		benchTime := cfg.BenchTime
		if cfg.Short && r.Package.Heavy {
			benchTime = "1x"
		}
		progress(fmt.Sprintf("benchmarks of ./%s (%d declared, -benchtime %s)", r.Package.Dir, len(r.Declared), benchTime))
		start := time.Now()
		args := []string{"-test.run", "^$", "-test.bench", ".", "-test.benchmem", "-test.benchtime", benchTime,
			"-test.timeout", cfg.Timeout.String()}
		if cfg.Short {
			args = append(args, "-test.short")
		}
		// A timeout kills the binary (no TestMain cleanup): it is the last
		// resort, after the binary's own -test.timeout.
		cctx, cancel := context.WithTimeout(ctx, cfg.Timeout+time.Minute)
		run := exec.CommandContext(cctx, bin, args...)
		run.Dir = filepath.Join(cfg.Repo, r.Package.Dir)
		run.Env = append(os.Environ(), cfg.Env...)
		run.WaitDelay = 10 * time.Second
		var buf bytes.Buffer
		run.Stdout, run.Stderr = &buf, &buf
		err := run.Run()
		cancel()
		r.Elapsed = time.Since(start)
		r.Lines, r.Skipped = parseBenchOutput(buf.Bytes())
		if err != nil {
			r.Err = fmt.Sprintf("benchmarks failed (%v): %s", err, lastLines(buf.String(), 6))
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
