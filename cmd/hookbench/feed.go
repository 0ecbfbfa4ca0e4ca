package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The live-feed load test (--feed-clients N): N WebSocket clients of one
// tenant on loopback while events are ingested open-loop at --feed-rate per
// second for --duration. It reports the delivery latency (ingest request
// sent → message read by a client; the send time travels in the body) and
// the server's resident memory per connected client. It drives an existing
// server (--target, --token, --server-pid for the memory figure).

// latencyHist counts latencies in 100 µs buckets up to 30 s.
type latencyHist struct {
	buckets [300_000]atomic.Int64
	n       atomic.Int64
}

func (h *latencyHist) add(d time.Duration) {
	i := int(d / (100 * time.Microsecond))
	i = min(max(i, 0), len(h.buckets)-1)
	h.buckets[i].Add(1)
	h.n.Add(1)
}

func (h *latencyHist) quantile(q float64) time.Duration {
	want := int64(q * float64(h.n.Load()))
	var seen int64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen > want || (seen == h.n.Load() && seen > 0) {
			return time.Duration(i+1) * 100 * time.Microsecond
		}
	}
	return 0
}

func vmRSS(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func runFeedBench(ctx context.Context, o options, stdout, stderr io.Writer) int {
	if o.Target == "" || o.Token == "" {
		fmt.Fprintln(stderr, "hookbench: --feed-clients needs --target and --token")
		return 2
	}
	logf := func(f string, a ...any) { fmt.Fprintf(stderr, "hookbench feed: "+f+"\n", a...) }
	client := &http.Client{Timeout: 30 * time.Second}
	api := func(method, path string, body any, out any) error {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, method, o.Target+path, bytes.NewReader(raw)) //nolint:gosec // G704: the operator's own --target
		req.Header.Set("Authorization", "Bearer "+o.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req) //nolint:gosec // G704: the operator's own --target
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return json.Unmarshal(b, out)
	}
	var hook struct{ Path string }
	if err := api("POST", "/api/v1/webhooks", map[string]any{"name": "feed bench", "path": fmt.Sprintf("feed-bench-%d", time.Now().UnixNano()), "authType": "none"}, &hook); err != nil {
		logf("%v", err)
		return 1
	}
	rssBefore := vmRSS(o.ServerPID)

	var hist latencyHist
	var received, closed1008, failed atomic.Int64
	var wg sync.WaitGroup
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(o.Target, "http") + "/api/v1/ws?types=webhook.received"
	connected := make(chan error, o.FeedClients)
	sem := make(chan struct{}, 50)
	for range o.FeedClients {
		wg.Go(func() {
			sem <- struct{}{}
			dctx, dcancel := context.WithTimeout(cctx, 60*time.Second)
			c, resp, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + o.Token}}})
			dcancel()
			if resp != nil && resp.Body != nil {
				_ = resp.Body.Close()
			}
			<-sem
			connected <- err
			if err != nil {
				return
			}
			defer c.CloseNow() //nolint:errcheck // done either way
			for {
				_, raw, err := c.Read(cctx)
				if err != nil {
					if websocket.CloseStatus(err) == websocket.StatusPolicyViolation {
						closed1008.Add(1)
					} else if !errors.Is(err, context.Canceled) {
						failed.Add(1)
					}
					return
				}
				now := time.Now()
				var m struct {
					Event struct {
						Data struct {
							Body struct {
								SentAt int64 `json:"sentAt"`
							} `json:"body"`
						} `json:"data"`
					} `json:"event"`
				}
				if json.Unmarshal(raw, &m) == nil && m.Event.Data.Body.SentAt > 0 {
					hist.add(now.Sub(time.Unix(0, m.Event.Data.Body.SentAt)))
					received.Add(1)
				}
			}
		})
	}
	for range o.FeedClients {
		if err := <-connected; err != nil {
			logf("connect: %v", err)
			return 1
		}
	}
	time.Sleep(2 * time.Second)
	rssAfter := vmRSS(o.ServerPID)
	logf("%d clients connected; server RSS %d → %d MiB", o.FeedClients, rssBefore>>20, rssAfter>>20)

	// Open-loop ingest at the rate for the duration.
	sendClient := newHTTPClient(64)
	interval := time.Duration(float64(time.Second) / o.FeedRate)
	var sent, sendErr atomic.Int64
	var swg sync.WaitGroup
	start := time.Now()
	pad := strings.Repeat("x", 512)
	for next := start; time.Since(start) < o.Duration && ctx.Err() == nil; next = next.Add(interval) {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		swg.Go(func() {
			body := fmt.Sprintf(`{"sentAt":%d,"pad":%q}`, time.Now().UnixNano(), pad)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.Target+"/api/v1/webhooks/"+hook.Path, strings.NewReader(body)) //nolint:gosec // G704: the operator's own --target
			req.Header.Set("Content-Type", "application/json")
			resp, err := sendClient.Do(req) //nolint:gosec // G704: the operator's own --target
			if err != nil {
				sendErr.Add(1)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				sent.Add(1)
			} else {
				sendErr.Add(1)
			}
		})
	}
	swg.Wait()
	elapsed := time.Since(start)
	want := sent.Load() * int64(o.FeedClients)
	deadline := time.Now().Add(60 * time.Second)
	for received.Load() < want && time.Now().Before(deadline) && closed1008.Load()+failed.Load() == 0 {
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	md := fmt.Sprintf(`## Live feed load (%s)

| clients | ingest rate | accepted | deliveries (received / expected) | p50 | p99 | max bucket | closed 1008 | other drops | server RSS per client |
|---|---|---|---|---|---|---|---|---|---|
| %d | %.0f/s over %s | %d (%d errors) | %d / %d | %s | %s | %s | %d | %d | %.1f KiB (RSS %d → %d MiB) |
`, time.Now().UTC().Format(time.RFC3339), o.FeedClients, float64(sent.Load())/elapsed.Seconds(), elapsed.Round(time.Second),
		sent.Load(), sendErr.Load(), received.Load(), want, hist.quantile(0.50), hist.quantile(0.99), hist.quantile(1.0),
		closed1008.Load(), failed.Load(), float64(rssAfter-rssBefore)/1024/float64(o.FeedClients), rssBefore>>20, rssAfter>>20)
	fmt.Fprint(stdout, md)
	return 0
}
