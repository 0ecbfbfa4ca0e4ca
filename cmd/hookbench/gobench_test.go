package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const sampleBenchOutput = `goos: linux
goarch: amd64
pkg: github.com/hookstream/hookstream/eventstore
cpu: AMD EPYC
BenchmarkMatch10Rules-2   	 1000000	      1043 ns/op	      16 B/op	       1 allocs/op
BenchmarkAppend64/plain-2 	    5000	    200100 ns/op	      4998 msgs/s	         9.800 p50_ms	        25.00 p99_ms	   2100 B/op	      30 allocs/op
BenchmarkLogs
    bench_test.go:12: seeding 1000000 rows
BenchmarkLogs-2           	       1	12000000000 ns/op	   83333 rows/s
--- SKIP: BenchmarkExport1M
    export_test.go:40: needs the 1M-row fixture
--- FAIL: BenchmarkBroken-2
    broken_test.go:9: boom
BenchmarkNoUnits-2 	 1
PASS
ok  	github.com/hookstream/hookstream/eventstore	12.3s
`

func TestParseBenchOutput(t *testing.T) {
	t.Parallel()
	lines, skipped := parseBenchOutput([]byte(sampleBenchOutput))
	require.Len(t, lines, 3)
	require.Equal(t, "BenchmarkMatch10Rules", lines[0].Name)
	require.Equal(t, int64(1000000), lines[0].Iterations)
	require.Equal(t, map[string]float64{"ns/op": 1043, "B/op": 16, "allocs/op": 1}, lines[0].Metrics)
	require.Equal(t, "BenchmarkAppend64/plain", lines[1].Name)
	require.Equal(t, []string{"ns/op", "msgs/s", "p50_ms", "p99_ms", "B/op", "allocs/op"}, lines[1].Units)
	require.InDelta(t, 9.8, lines[1].Metrics["p50_ms"], 1e-9)
	require.Equal(t, "BenchmarkLogs", lines[2].Name)
	require.InDelta(t, 83333, lines[2].Metrics["rows/s"], 1e-9)
	require.Equal(t, "skip: needs the 1M-row fixture", skipped["BenchmarkExport1M"])
	require.Equal(t, "fail: boom", skipped["BenchmarkBroken"])
}

func TestDeclaredBenchmarks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.Empty(t, declaredBenchmarks(filepath.Join(dir, "missing")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a_test.go"), []byte("package a\n\nfunc BenchmarkB(b *testing.B) {}\nfunc BenchmarkA(b *testing.B) {}\nfunc helper(b *testing.B) {}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n\nfunc BenchmarkNotATest(b *testing.B) {}\n"), 0o644))
	require.Equal(t, []string{"BenchmarkA", "BenchmarkB"}, declaredBenchmarks(dir))
}

func TestParseProc(t *testing.T) {
	t.Parallel()
	st, err := parseProcStat("4242 (hook stream (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 1000 1000000 2000 18446744073709551615")
	require.NoError(t, err)
	require.Equal(t, 1, st.PPID)
	require.Equal(t, 3250*1e6, float64(st.CPU.Nanoseconds())) // (250+75) ticks of 10 ms
	_, err = parseProcStat("garbage")
	require.Error(t, err)
	hwm, err := parseVmHWM([]byte("Name:\thookstream\nVmPeak:\t  900 kB\nVmHWM:\t  204800 kB\nVmRSS:\t 1000 kB\n"))
	require.NoError(t, err)
	require.Equal(t, int64(200<<20), hwm)
	// Our own process has both files.
	cpu, err := processCPU(os.Getpid())
	require.NoError(t, err)
	require.GreaterOrEqual(t, cpu, 0*cpu)
	rss, err := peakRSS(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, rss)
}
