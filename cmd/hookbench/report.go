package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Settings are the run's parameters, printed with the results.
type Settings struct {
	Quick       bool
	Scheme      string
	Conns       int
	BodySize    int
	Warmup      time.Duration
	Duration    time.Duration
	LagDuration time.Duration
	// Target is "own server" or the URL of the server driven.
	Target string
}

// IngestRun is one closed-loop ingest measurement against hookstream.
type IngestRun struct {
	Label string
	// Result is nil when the run could not happen (Err says why).
	Result *Result
	Err    string
	// ServerCPU and PostgresCPU are CPU time spent during the measured
	// window (0 = not measured); PeakRSS is the server's VmHWM in bytes.
	ServerCPU, PostgresCPU time.Duration
	PeakRSS                int64
	Loss                   *LossCheck
}

// LimitRun is one measurement of the machine's limit for the same work.
type LimitRun struct {
	Label  string
	Note   string
	Result *Result
	Err    string
}

// Report is everything the summary shows.
type Report struct {
	Date     time.Time
	Machine  Machine
	Settings Settings
	Ingest   []IngestRun
	Limits   []LimitRun
	Lag      *LagResult
	LagLoad  *Result
	LagErr   string
	// Profile: the saved file, `go tool pprof -top` output, or why not.
	ProfilePath, ProfileTop, ProfileCum, ProfileErr string
	Bench                                           []BenchPackageResult
	BenchSkipped                                    string
	Notes                                           []string
}

const na = "not available"

// fmtDur formats a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3g µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3g ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.3g s", d.Seconds())
	}
}

func fmtRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	default:
		return fmt.Sprintf("%.2f", r)
	}
}

func fmtBytes(b int64) string {
	switch {
	case b <= 0:
		return "—"
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	default:
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
}

// cpuPer1k is CPU seconds per 1 000 requests.
func cpuPer1k(cpu time.Duration, n uint64) string {
	if cpu <= 0 || n == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f s", cpu.Seconds()*1000/float64(n))
}

func fmtStatus(r *Result) string {
	if r == nil {
		return ""
	}
	var parts []string
	for _, s := range r.StatusCodes() {
		parts = append(parts, fmt.Sprintf("%d×%d", s, r.Status[s]))
	}
	if r.TransportErrors > 0 {
		parts = append(parts, fmt.Sprintf("transport×%d", r.TransportErrors))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " ")
}

// ratio formats a/b as "0.42×", or "—" when either side is missing.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func latencyRow(b *strings.Builder, label, rate string, p Percentiles, rest ...string) {
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |", label, rate, fmtDur(p.P50), fmtDur(p.P90), fmtDur(p.P99), fmtDur(p.P999), fmtDur(p.Max))
	for _, r := range rest {
		fmt.Fprintf(b, " %s |", r)
	}
	b.WriteString("\n")
}

// Render returns the Markdown summary.
func (r *Report) Render() string {
	var b strings.Builder
	mode := "full run"
	if r.Settings.Quick {
		mode = "quick run (--quick: short windows, numbers are a smoke check)"
	}
	fmt.Fprintf(&b, "# hookstream benchmarks\n\n")
	fmt.Fprintf(&b, "%s, %s. Produced by `go tool task bench` (cmd/hookbench); method in bench/README.md.\n\n", r.Date.UTC().Format("2006-01-02 15:04 MST"), mode)
	b.WriteString("| machine | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPU | %s, %d cores |\n| OS | %s |\n| Go | %s |\n| commit | %s |\n| work dir filesystem | %s |\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.Kernel, r.Machine.GoVersion, r.Machine.Commit, r.Machine.Disk)
	s := r.Settings
	fmt.Fprintf(&b, "| load | %s, %d-byte JSON bodies signed with `%s`, unique delivery ids, %s warm-up + %s measured |\n\n",
		s.Target, s.BodySize, s.Scheme, s.Warmup, s.Duration)

	r.renderIngest(&b)
	r.renderRatios(&b)
	r.renderLoss(&b)
	r.renderLag(&b)
	r.renderProfile(&b)
	r.renderBench(&b)
	if len(r.Notes) > 0 {
		b.WriteString("## Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (r *Report) renderIngest(b *strings.Builder) {
	fmt.Fprintf(b, "## Ingest and the machine's limits (closed loop, %d connections)\n\n", r.Settings.Conns)
	b.WriteString("| run | req/s | p50 | p90 | p99 | p99.9 | max | answers | server CPU / 1k req | PostgreSQL CPU / 1k req | peak RSS |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, in := range r.Ingest {
		if in.Result == nil {
			fmt.Fprintf(b, "| %s | %s: %s | | | | | | | | | |\n", in.Label, na, in.Err)
			continue
		}
		res := in.Result
		latencyRow(b, in.Label, fmtRate(res.Rate()), res.Latency.Summary(), fmtStatus(res),
			cpuPer1k(in.ServerCPU, res.Requests), cpuPer1k(in.PostgresCPU, res.Requests), fmtBytes(in.PeakRSS))
	}
	for _, l := range r.Limits {
		label := "limit: " + l.Label
		if l.Result == nil {
			fmt.Fprintf(b, "| %s | %s: %s | | | | | | | | | |\n", label, na, l.Err)
			continue
		}
		rate := fmtRate(l.Result.MessageRate())
		if l.Result.Messages != l.Result.Requests {
			rate += " msg/s"
		}
		latencyRow(b, label, rate, l.Result.Latency.Summary(), fmtStatus(l.Result), "—", "—", "—")
	}
	b.WriteString("\n")
	for _, l := range r.Limits {
		if l.Note != "" {
			fmt.Fprintf(b, "- *%s*: %s\n", l.Label, l.Note)
		}
	}
	b.WriteString("\n")
}

func (r *Report) renderRatios(b *strings.Builder) {
	b.WriteString("### hookstream / limit\n\n")
	b.WriteString("Throughput ratio (higher is better, 1.00× = the limit) and latency ratio (lower is better).\n\n")
	b.WriteString("| hookstream run | limit | throughput | p50 | p99 |\n|---|---|---|---|---|\n")
	rows := 0
	for _, in := range r.Ingest {
		if in.Result == nil {
			continue
		}
		hp := in.Result.Latency.Summary()
		for _, l := range r.Limits {
			if l.Result == nil {
				continue
			}
			lp := l.Result.Latency.Summary()
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", in.Label, l.Label,
				ratio(in.Result.Rate(), l.Result.MessageRate()), ratio(float64(hp.P50), float64(lp.P50)), ratio(float64(hp.P99), float64(lp.P99)))
			rows++
		}
	}
	if len(r.Ingest) == 2 && r.Ingest[0].Result != nil && r.Ingest[1].Result != nil {
		a, c := r.Ingest[0], r.Ingest[1]
		ap, cp := a.Result.Latency.Summary(), c.Result.Latency.Summary()
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", a.Label, c.Label, ratio(a.Result.Rate(), c.Result.Rate()),
			ratio(float64(ap.P50), float64(cp.P50)), ratio(float64(ap.P99), float64(cp.P99)))
		rows++
	}
	if rows == 0 {
		fmt.Fprintf(b, "| %s | | | | |\n", na)
	}
	b.WriteString("\n")
}

func (r *Report) renderLoss(b *strings.Builder) {
	b.WriteString("## Every 2xx is in the stream\n\n")
	b.WriteString("| run | checked in | 2xx event ids | found | lost | stream messages | ids stored twice |\n|---|---|---|---|---|---|---|\n")
	for _, in := range r.Ingest {
		if in.Loss == nil {
			continue
		}
		l := in.Loss
		if l.Err != "" {
			fmt.Fprintf(b, "| %s | %s | %d | check failed: %s | | | |\n", in.Label, l.Method, l.Accepted, l.Err)
			continue
		}
		msgs := fmt.Sprint(l.StreamMessages)
		if len(l.ByType) > 0 {
			var parts []string
			for _, t := range slices.Sorted(maps.Keys(l.ByType)) {
				parts = append(parts, fmt.Sprintf("%s %d", t, l.ByType[t]))
			}
			msgs += " (" + strings.Join(parts, ", ") + ")"
		}
		fmt.Fprintf(b, "| %s | %s | %d | %d | **%d** | %s | %d |\n", in.Label, l.Method, l.Accepted, l.Found, l.Missing, msgs, l.DuplicateIDs)
	}
	b.WriteString("\n")
}

func (r *Report) renderLag(b *strings.Builder) {
	b.WriteString("## Projection lag under sustained load (2xx → row in webhook_events)\n\n")
	switch {
	case r.LagErr != "":
		fmt.Fprintf(b, "%s: %s\n\n", na, r.LagErr)
		return
	case r.Lag == nil:
		fmt.Fprintf(b, "%s\n\n", na)
		return
	}
	l := r.Lag
	if r.LagLoad != nil {
		b.WriteString("Open-loop latency of the same run (measured from each request's intended send time):\n\n")
		b.WriteString("| run | req/s | p50 | p90 | p99 | p99.9 | max | answers | late sends |\n|---|---|---|---|---|---|---|---|---|\n")
		latencyRow(b, r.LagLoad.Mode, fmtRate(r.LagLoad.Rate()), r.LagLoad.Latency.Summary(), fmtStatus(r.LagLoad), fmt.Sprint(r.LagLoad.Late))
		b.WriteString("\n")
	}
	if !l.Available {
		fmt.Fprintf(b, "%s: %s\n\n", na, l.Reason)
		return
	}
	bounded := "**yes**"
	if !l.Bounded {
		bounded = "**no**"
	}
	p := l.Lag.Summary()
	fmt.Fprintf(b, "%.0f req/s for %s: lag p50 **%s**, p99 **%s** (p90 %s, p99.9 %s, max %s); bounded: %s. ",
		l.Rate, l.Duration, fmtDur(p.P50), fmtDur(p.P99), fmtDur(p.P90), fmtDur(p.P999), fmtDur(p.Max), bounded)
	fmt.Fprintf(b, "%d events accepted, %d never projected; backlog %d when the load stopped, drained in %s.\n\n",
		l.Accepted, l.Missing, l.Backlog, fmtDur(l.Drain))
	b.WriteString("| window | events | p50 | p99 | max |\n|---|---|---|---|---|\n")
	w := l.Duration / time.Duration(max(len(l.Windows), 1))
	for i, x := range l.Windows {
		fmt.Fprintf(b, "| %s–%s | %d | %s | %s | %s |\n", time.Duration(i)*w, time.Duration(i+1)*w, x.Count, fmtDur(x.P50), fmtDur(x.P99), fmtDur(x.Max))
	}
	b.WriteString("\n")
}

func (r *Report) renderProfile(b *strings.Builder) {
	b.WriteString("## Server CPU profile under ingest load\n\n")
	if r.ProfileErr != "" {
		fmt.Fprintf(b, "%s: %s\n\n", na, r.ProfileErr)
		return
	}
	if r.ProfileTop == "" {
		fmt.Fprintf(b, "%s\n\n", na)
		return
	}
	fmt.Fprintf(b, "Saved to `%s` (`go tool pprof -http=: %s`). `go tool pprof -top`, top 15:\n\n```\n%s\n```\n\n", r.ProfilePath, r.ProfilePath, r.ProfileTop)
	if r.ProfileCum != "" {
		fmt.Fprintf(b, "Cumulative (`-top -cum`), the ingest path's stages:\n\n```\n%s\n```\n\n", r.ProfileCum)
	}
}

// benchUnitOrder puts the standard units first.
var benchUnitOrder = []string{"ns/op", "B/op", "allocs/op"}

func fmtMetric(unit string, v float64) string {
	if unit == "ns/op" {
		return fmtDur(time.Duration(v)) + "/op"
	}
	switch {
	case v == float64(int64(v)) && v < 1e9:
		return fmt.Sprintf("%d %s", int64(v), unit)
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	default:
		return fmt.Sprintf("%.3g %s", v, unit)
	}
}

func (r *Report) renderBench(b *strings.Builder) {
	b.WriteString("## Go benchmarks of the other parts\n\n")
	if r.BenchSkipped != "" {
		fmt.Fprintf(b, "%s\n\n", r.BenchSkipped)
		return
	}
	b.WriteString("| package | benchmark | time | B/op | allocs/op | reported metrics |\n|---|---|---|---|---|---|\n")
	for _, p := range r.Bench {
		dir := "`" + p.Package.Dir + "`"
		if len(p.Declared) == 0 {
			want := strings.Join(p.Package.Want, ", ")
			if want == "" {
				want = "—"
			}
			fmt.Fprintf(b, "| %s | %s | %s: no benchmarks in the package yet | | | |\n", dir, want, na)
			continue
		}
		ran := map[string]bool{}
		for _, l := range p.Lines {
			ran[strings.SplitN(l.Name, "/", 2)[0]] = true
			var custom []string
			for _, u := range l.Units {
				if !slices.Contains(benchUnitOrder, u) {
					custom = append(custom, fmtMetric(u, l.Metrics[u]))
				}
			}
			cell := func(u string) string {
				v, ok := l.Metrics[u]
				if !ok {
					return "—"
				}
				if u == "ns/op" {
					return fmtDur(time.Duration(v))
				}
				return fmt.Sprintf("%.0f", v)
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", dir, l.Name, cell("ns/op"), cell("B/op"), cell("allocs/op"), strings.Join(custom, ", "))
		}
		want := slices.Clone(p.Package.Want)
		for _, d := range p.Declared {
			if !slices.Contains(want, d) {
				want = append(want, d)
			}
		}
		for _, name := range want {
			if ran[name] {
				continue
			}
			reason := "not declared in the package"
			if slices.Contains(p.Declared, name) {
				reason = "declared but produced no result"
				if s, ok := p.Skipped[name]; ok {
					reason = s
				} else if p.Err != "" {
					reason = p.Err
				}
			}
			fmt.Fprintf(b, "| %s | %s | %s: %s | | | |\n", dir, name, na, reason)
		}
		if p.Err != "" && len(p.Lines) > 0 {
			fmt.Fprintf(b, "| %s | (package) | %s | | | |\n", dir, p.Err)
		}
	}
	b.WriteString("\n")
}
