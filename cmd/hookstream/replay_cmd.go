package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/schollz/progressbar/v3"

	"github.com/hookstream/hookstream"
)

// `hookstream replay` and `hookstream events tail` talk to a running
// server's API (HOOKSTREAM_URL, HOOKSTREAM_TOKEN), so authorisation and the
// replay audit apply as they do for the dashboard (SPEC §10).
//
// events tail follows the live feed (GET /api/v1/ws, SPEC §6) with the
// token in the Authorization header, reconnecting with since after a drop.
func init() {
	subcommands["replay"] = runReplay
	subcommands["events"] = runEvents
}

const replayUsage = `Usage:
  hookstream replay --event ID [--body FILE] [--reason TEXT] [--workflow ID]
  hookstream replay --webhook ID --since 2h [--until RFC3339] [--status failed] [--dry-run] [--rate N] [--reason TEXT]
  hookstream replay --ids ID,ID,... [--dry-run] [--rate N]
  hookstream replay --job JOBID            follow a batch job's progress
  hookstream replay --cancel JOBID         cancel a batch job
Environment: HOOKSTREAM_URL (default http://127.0.0.1:8080), HOOKSTREAM_TOKEN.
`

func newReplayClient(fs *flag.FlagSet) (*apiClient, *string, *string) {
	u := fs.String("url", envOr("HOOKSTREAM_URL", "http://127.0.0.1:8080"), "server URL (env HOOKSTREAM_URL)")
	tok := fs.String("token", os.Getenv("HOOKSTREAM_TOKEN"), "API token (env HOOKSTREAM_TOKEN)")
	return &apiClient{http: &http.Client{Timeout: 60 * time.Second}}, u, tok
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, replayUsage); fs.PrintDefaults() }
	client, u, tok := newReplayClient(fs)
	event := fs.String("event", "", "replay one event by id")
	bodyFile := fs.String("body", "", "file with an edited JSON body (- for stdin)")
	reason := fs.String("reason", "", "reason recorded in the audit")
	workflow := fs.String("workflow", "", "target workflow id")
	webhook := fs.String("webhook", "", "batch: replay a webhook's deliveries")
	since := fs.Duration("since", 0, "batch: deliveries of the last duration (e.g. 2h)")
	until := fs.String("until", "", "batch: deliveries up to this RFC 3339 time")
	status := fs.String("status", "", "batch: only deliveries with this status (received, processed, filtered, failed)")
	ids := fs.String("ids", "", "batch: comma-separated event ids")
	dryRun := fs.Bool("dry-run", false, "batch: only count the matching deliveries")
	rate := fs.Float64("rate", 0, "batch: replays per second (default 100)")
	job := fs.String("job", "", "follow a batch job")
	cancel := fs.String("cancel", "", "cancel a batch job")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client.base, client.token = *u, *tok
	if client.token == "" {
		return errors.New("set HOOKSTREAM_TOKEN (or --token)")
	}
	switch {
	case *cancel != "":
		var j jobView
		if err := client.do(ctx, http.MethodDelete, "/api/v1/replays/"+url.PathEscape(*cancel), nil, &j); err != nil {
			return err
		}
		return printJSON(stdout, j)
	case *job != "":
		return followJob(ctx, client, *job, stdout, stderr, *quiet)
	case *event != "":
		req := map[string]any{}
		if *reason != "" {
			req["reason"] = *reason
		}
		if *workflow != "" {
			req["workflowId"] = *workflow
		}
		if *bodyFile != "" {
			raw, err := readBodyFile(*bodyFile)
			if err != nil {
				return err
			}
			req["body"] = raw
		}
		var res map[string]any
		if err := client.do(ctx, http.MethodPost, "/api/v1/events/"+url.PathEscape(*event)+"/replay", req, &res); err != nil {
			return err
		}
		return printJSON(stdout, res)
	case *webhook != "" || *ids != "" || *status != "" || *since > 0:
		req := map[string]any{"dryRun": *dryRun}
		if *rate > 0 {
			req["ratePerSec"] = *rate
		}
		if *reason != "" {
			req["reason"] = *reason
		}
		if *workflow != "" {
			req["workflowId"] = *workflow
		}
		if *ids != "" {
			var list []string
			for id := range strings.SplitSeq(*ids, ",") {
				if id = strings.TrimSpace(id); id != "" {
					list = append(list, id)
				}
			}
			req["ids"] = list
		} else {
			f := map[string]any{}
			if *webhook != "" {
				f["webhookId"] = *webhook
			}
			if *status != "" {
				f["status"] = *status
			}
			if *since > 0 {
				f["from"] = time.Now().Add(-*since).UTC().Format(time.RFC3339Nano)
			}
			if *until != "" {
				t, err := time.Parse(time.RFC3339, *until)
				if err != nil {
					return fmt.Errorf("--until: %w", err)
				}
				f["to"] = t.UTC().Format(time.RFC3339Nano)
			}
			req["filter"] = f
		}
		var res struct {
			JobID   string `json:"jobId"`
			Matched int64  `json:"matched"`
		}
		if err := client.do(ctx, http.MethodPost, "/api/v1/events/replay", req, &res); err != nil {
			return err
		}
		if *dryRun || res.JobID == "" {
			return printJSON(stdout, map[string]any{"matched": res.Matched, "dryRun": *dryRun})
		}
		fmt.Fprintf(stderr, "job %s: %d matching deliveries\n", res.JobID, res.Matched)
		return followJob(ctx, client, res.JobID, stdout, stderr, *quiet)
	}
	fs.Usage()
	return errors.New("give --event, a batch selection (--webhook/--since/--status/--ids), --job or --cancel")
}

func readBodyFile(name string) (json.RawMessage, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s is not JSON", name)
	}
	return json.RawMessage(raw), nil
}

// jobView is GET /api/v1/replays/{jobId}.
type jobView struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	Matched    int64      `json:"matched"`
	Replayed   int64      `json:"replayed"`
	Skipped    int64      `json:"skipped"`
	Failed     int64      `json:"failed"`
	Position   uint64     `json:"position"`
	Error      string     `json:"error,omitempty"`
	StartedAt  *time.Time `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
}

func (j jobView) done() int64 { return j.Replayed + j.Skipped + j.Failed }

func (j jobView) finished() bool {
	return j.Status == hookstream.ReplayJobCompleted || j.Status == hookstream.ReplayJobCancelled || j.Status == hookstream.ReplayJobFailed
}

// followJob polls a job and shows a progress bar until it finishes. An
// interrupt stops following; the job goes on (cancel it with --cancel).
func followJob(ctx context.Context, c *apiClient, id string, stdout, stderr io.Writer, quiet bool) error {
	var j jobView
	if err := c.do(ctx, http.MethodGet, "/api/v1/replays/"+url.PathEscape(id), nil, &j); err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if !quiet {
		bar = progressbar.NewOptions64(max(j.Matched, 1),
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("replaying"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("events"),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
		)
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		if bar != nil {
			_ = bar.Set64(min(j.done(), max(j.Matched, 1)))
		}
		if j.finished() {
			if bar != nil && j.Status == hookstream.ReplayJobCompleted {
				_ = bar.Finish()
			}
			return printJSON(stdout, j)
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "\nstopped following job %s; it goes on (hookstream replay --cancel %s)\n", id, id)
			return nil
		case <-t.C:
		}
		if err := c.do(ctx, http.MethodGet, "/api/v1/replays/"+url.PathEscape(id), nil, &j); err != nil {
			if ctx.Err() != nil {
				continue
			}
			return err
		}
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

const eventsUsage = `Usage:
  hookstream events tail [--webhook ID] [--type T[,T…]] [--since SEQ] [--json]
Prints the tenant's events as they are appended (NDJSON with --json).
Environment: HOOKSTREAM_URL (default http://127.0.0.1:8080), HOOKSTREAM_TOKEN.
`

func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "tail" {
		fmt.Fprint(stderr, eventsUsage)
		return errors.New("usage: hookstream events tail")
	}
	fs := flag.NewFlagSet("events tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, eventsUsage); fs.PrintDefaults() }
	client, u, tok := newReplayClient(fs)
	webhook := fs.String("webhook", "", "only this webhook's events")
	var types []string
	fs.Func("type", "only events of this type (repeatable, or comma-separated)", func(s string) error {
		for t := range strings.SplitSeq(s, ",") {
			if t = strings.TrimSpace(t); t != "" {
				types = append(types, t)
			}
		}
		return nil
	})
	asJSON := fs.Bool("json", false, "print each event as one JSON line (the CloudEvents envelope)")
	since := fs.String("since", "", "resume after this feed seq (a message's seq; default: from now)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	client.base, client.token = *u, *tok
	if client.token == "" {
		return errors.New("set HOOKSTREAM_TOKEN (or --token)")
	}
	return tail(ctx, client, tailParams{webhook: *webhook, types: types, json: *asJSON, since: *since}, stdout)
}

type tailParams struct {
	webhook string
	types   []string
	json    bool
	since   string
}

// tail follows the live feed (GET /api/v1/ws) until ctx ends. It
// reconnects after a drop, a restart or a 1008 (too slow) with the seq of
// the last message as since, so nothing is missed; events repeated by a
// resume are dropped by id.
func tail(ctx context.Context, c *apiClient, p tailParams, stdout io.Writer) error {
	seen := newRecentIDs(4096)
	backoff := time.Second
	for {
		got, err := tailOnce(ctx, c, &p, seen, stdout)
		if ctx.Err() != nil {
			return nil //nolint:nilerr // cancelled (Ctrl-C) ends following cleanly
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.Status < 500 {
			return err
		}
		var we writeError
		if errors.As(err, &we) {
			return we.err
		}
		if got {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 15*time.Second)
	}
}

// writeError is a failure to print (stdout closed): it ends tail.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }

// tailOnce reads one connection of the feed; got reports whether any
// message arrived.
func tailOnce(ctx context.Context, c *apiClient, p *tailParams, seen *recentIDs, stdout io.Writer) (got bool, err error) {
	u, err := url.Parse(c.base)
	if err != nil {
		return false, &apiError{Status: 400, Title: "Bad Request", Detail: "HOOKSTREAM_URL: " + err.Error()}
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/ws"
	q := url.Values{}
	if len(p.types) > 0 {
		q.Set("types", strings.Join(p.types, ","))
	}
	if p.webhook != "" {
		q.Set("webhookId", p.webhook)
	}
	if p.since != "" {
		q.Set("since", p.since)
	}
	u.RawQuery = q.Encode()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	conn, resp, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + c.token}},
	})
	cancel()
	if resp != nil && resp.Body != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 {
			ae := &apiError{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
			if resp.Body != nil {
				raw, _ := readAll(resp.Body, 1<<20)
				_ = json.Unmarshal(raw, ae)
			}
			return false, ae
		}
		return false, err
	}
	defer conn.CloseNow() //nolint:errcheck // the connection is done either way
	conn.SetReadLimit(64 << 20)
	for {
		_, raw, err := conn.Read(ctx)
		if err != nil {
			return got, err
		}
		var m struct {
			Seq   uint64          `json:"seq"`
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return got, err
		}
		got = true
		p.since = strconv.FormatUint(m.Seq, 10)
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(m.Event, &id)
		if !seen.add(id.ID) {
			continue
		}
		if err := printEvent(stdout, m.Event, p.json); err != nil {
			return got, writeError{err}
		}
	}
}

// recentIDs remembers the last n event ids printed.
type recentIDs struct {
	set  map[string]struct{}
	ring []string
	next int
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add reports whether id is new, and remembers it.
func (r *recentIDs) add(id string) bool {
	if _, ok := r.set[id]; ok {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = id
	r.next = (r.next + 1) % len(r.ring)
	r.set[id] = struct{}{}
	return true
}

func printEvent(w io.Writer, raw json.RawMessage, asJSON bool) error {
	if asJSON {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return err
		}
		b.WriteByte('\n')
		_, err := w.Write(b.Bytes())
		return err
	}
	var ev hookstream.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return err
	}
	line := fmt.Sprintf("%s  %-20s %s", ev.Time.Local().Format("15:04:05.000"), ev.Type, ev.ID)
	if ev.WebhookID != "" {
		line += "  webhook=" + ev.WebhookID
	}
	if ev.ReplayOf != "" {
		line += fmt.Sprintf("  replayOf=%s #%d", ev.ReplayOf, ev.ReplayCount)
	}
	var d struct {
		Method string          `json:"method"`
		Body   json.RawMessage `json:"body"`
		Reason string          `json:"reason"`
	}
	if json.Unmarshal(ev.Data, &d) == nil {
		if d.Method != "" {
			line += "  " + d.Method
		}
		if d.Reason != "" {
			line += "  reason=" + d.Reason
		}
		if len(d.Body) > 0 {
			body := string(d.Body)
			if len(body) > 120 {
				body = body[:117] + "..."
			}
			line += "  " + body
		}
	}
	_, err := fmt.Fprintln(w, line)
	return err
}
