package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func resultOf(rate float64, p50, p99 time.Duration, status map[int]uint64) *Result {
	h := NewHistogram()
	var n uint64
	for _, c := range status {
		n += c
	}
	for i := range n {
		if i < n*99/100 {
			h.Record(p50)
		} else {
			h.Record(p99)
		}
	}
	return &Result{Requests: n, Messages: n, Status: status, Latency: h, Elapsed: time.Duration(float64(n) / rate * float64(time.Second))}
}

func sampleReport() *Report {
	on := resultOf(4000, 10*time.Millisecond, 40*time.Millisecond, map[int]uint64{http.StatusAccepted: 39990, 503: 10})
	off := resultOf(2000, 20*time.Millisecond, 60*time.Millisecond, map[int]uint64{http.StatusAccepted: 20000})
	echo := resultOf(16000, 2*time.Millisecond, 8*time.Millisecond, map[int]uint64{http.StatusAccepted: 160000})
	lagHist := NewHistogram()
	lagHist.Record(30 * time.Millisecond)
	return &Report{
		Date:     time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC),
		Machine:  Machine{CPU: "AMD EPYC", Cores: 2, GoVersion: "go1.26.8", Kernel: "Linux 6.1", Commit: "abc123-dirty", Disk: "ext4"},
		Settings: Settings{Quick: true, Scheme: "github", Conns: 64, BodySize: 1024, Warmup: 2 * time.Second, Duration: 8 * time.Second, Target: "own server"},
		Ingest: []IngestRun{
			{Label: "hookstream, group commit on", Result: on, ServerCPU: 10 * time.Second, PostgresCPU: 2 * time.Second, PeakRSS: 200 << 20,
				Loss: &LossCheck{Method: "HOOKS stream", Accepted: 39990, Found: 39990, StreamMessages: 39990}},
			{Label: "hookstream, group commit off", Result: off, Loss: &LossCheck{Method: "HOOKS stream", Err: "fetch: timeout"}},
		},
		Limits: []LimitRun{
			{Label: "Echo + github verify, no storage", Note: "in process", Result: echo},
			{Label: "JetStream sync publish (SyncAlways)", Err: "boom"},
		},
		Lag: &LagResult{Available: true, Rate: 2000, Duration: 10 * time.Second, Lag: lagHist, Accepted: 20000, Bounded: true,
			Windows: []Percentiles{{P50: time.Millisecond, P99: 2 * time.Millisecond, Count: 4000}}},
		ProfilePath: "bench/results/ingest.cpu.prof",
		ProfileTop:  "flat  flat%   sum%\n 1s 10% 10% syscall.Syscall",
		Bench: []BenchPackageResult{
			{Package: benchPackage{Dir: "streams/filter", Want: []string{"BenchmarkMatch10Rules"}}, Declared: []string{"BenchmarkMatch10Rules"},
				Lines: []BenchLine{{Name: "BenchmarkMatch10Rules", Iterations: 100, Metrics: map[string]float64{"ns/op": 1234, "B/op": 0, "allocs/op": 0}, Units: []string{"ns/op", "B/op", "allocs/op"}}}},
			{Package: benchPackage{Dir: "streams/schema", Want: []string{"BenchmarkValidate1KB"}}},
			{Package: benchPackage{Dir: "eventstore"}, Declared: []string{"BenchmarkAppend64"},
				Lines: []BenchLine{{Name: "BenchmarkAppend64/plain", Iterations: 5000, Metrics: map[string]float64{"ns/op": 200000, "msgs/s": 5000.5, "p99_ms": 12.5}, Units: []string{"ns/op", "msgs/s", "p99_ms"}}}},
			{Package: benchPackage{Dir: "projections"}, Declared: []string{"BenchmarkQuery1M"}, Skipped: map[string]string{"BenchmarkQuery1M": "skip: needs -bench"}},
		},
	}
}

func TestReportRendersEverySection(t *testing.T) {
	t.Parallel()
	md := sampleReport().Render()
	for _, want := range []string{
		"# hookstream benchmarks",
		"2026-11-28 18:00 UTC, quick run",
		"| CPU | AMD EPYC, 2 cores |",
		"| commit | abc123-dirty |",
		"## Ingest and the machine's limits (closed loop, 64 connections)",
		"| hookstream, group commit on | 4000 | 10 ms |",
		"202×39990 503×10",
		"| 0.250 s | 0.050 s | 200 MiB |", // CPU per 1k requests, RSS
		"| limit: JetStream sync publish (SyncAlways) | not available: boom |",
		"- *Echo + github verify, no storage*: in process",
		"### hookstream / limit",
		"| hookstream, group commit on | Echo + github verify, no storage | 0.25× | 5.00× | 5.00× |",
		"| hookstream, group commit on | hookstream, group commit off | 2.00× | 0.50× | 0.50× |",
		"| hookstream, group commit on | HOOKS stream | 39990 | 39990 | **0** | 39990 | 0 |",
		"| hookstream, group commit off | HOOKS stream | 0 | check failed: fetch: timeout |",
		"lag p50 **30 ms**, p99 **30 ms**",
		"bounded: **yes**",
		"`go tool pprof -top`, top 15:",
		"syscall.Syscall",
		"| `streams/filter` | BenchmarkMatch10Rules | 1.23 µs | 0 | 0 |  |",
		"| `streams/schema` | BenchmarkValidate1KB | not available: no benchmarks in the package yet |",
		"| `eventstore` | BenchmarkAppend64/plain | 200 µs | — | — | 5000 msgs/s, 12.5 p99_ms |",
		"| `projections` | BenchmarkQuery1M | not available: skip: needs -bench |",
	} {
		require.Contains(t, md, want)
	}
	require.NotContains(t, md, "NaN")
	require.NotContains(t, md, "Inf")
}

func TestReportSaysNotAvailable(t *testing.T) {
	t.Parallel()
	r := &Report{
		Date:       time.Now(),
		Ingest:     []IngestRun{{Label: "hookstream", Err: "POST /api/v1/webhooks answered 404"}},
		LagErr:     "ingest not available",
		ProfileErr: "ingest not available",
		Lag:        nil,
	}
	md := r.Render()
	require.Contains(t, md, "| hookstream | not available: POST /api/v1/webhooks answered 404 |")
	require.Contains(t, md, "| not available | | | | |") // no ratios
	require.Contains(t, md, "not available: ingest not available")
	r = &Report{Date: time.Now(), Lag: &LagResult{Reason: "none of 10 accepted events appeared"}}
	require.Contains(t, r.Render(), "not available: none of 10 accepted events appeared")
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	require.Equal(t, "850 ns", fmtDur(850))
	require.Equal(t, "12.3 µs", fmtDur(12345*time.Nanosecond))
	require.Equal(t, "1.5 ms", fmtDur(1500*time.Microsecond))
	require.Equal(t, "2.5 s", fmtDur(2500*time.Millisecond))
	require.Equal(t, "—", ratio(0, 1))
	require.Equal(t, "0.50×", ratio(1, 2))
	require.Equal(t, "—", cpuPer1k(0, 10))
	require.Equal(t, "1.000 s", cpuPer1k(time.Second, 1000))
	require.True(t, strings.HasSuffix(fmtBytes(3<<30), "GiB"))
}
