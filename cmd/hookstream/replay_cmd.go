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
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/hookstream/hookstream"
)

// `hookstream replay` and `hookstream events tail` talk to a running
// server's API (HOOKSTREAM_URL, HOOKSTREAM_TOKEN), so authorisation and the
// replay audit apply as they do for the dashboard (SPEC §10).
//
// events tail long-polls GET /api/v1/events/live (the stream read by
// subject, from the head, with a moving sequence cursor): every event type
// of the tenant is seen as it is appended, not only delivery-log rows, and
// no WebSocket is needed.
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
  hookstream events tail [--webhook ID] [--type T[,T…]] [--json]
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
	after := fs.String("after", "", "start after this cursor (a live tail's \"next\"), or 0 for the tenant's whole history (default: from now)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	client.base, client.token = *u, *tok
	if client.token == "" {
		return errors.New("set HOOKSTREAM_TOKEN (or --token)")
	}
	return tail(ctx, client, tailParams{webhook: *webhook, types: types, json: *asJSON, after: *after}, stdout)
}

type tailParams struct {
	webhook string
	types   []string
	json    bool
	after   string
}

// tail long-polls the live endpoint until ctx ends.
func tail(ctx context.Context, c *apiClient, p tailParams, stdout io.Writer) error {
	cursor := p.after
	policy := hookstream.Backoff{Base: time.Second, Max: 15 * time.Second}
	attempt := 0
	for {
		q := url.Values{"wait": {"25"}}
		if cursor != "" {
			q.Set("after", cursor)
		}
		if p.webhook != "" {
			q.Set("webhookId", p.webhook)
		}
		for _, t := range p.types {
			q.Add("type", t)
		}
		var page struct {
			Events []json.RawMessage `json:"events"`
			Next   string            `json:"next"`
		}
		err := c.do(ctx, http.MethodGet, "/api/v1/events/live?"+q.Encode(), nil, &page)
		if ctx.Err() != nil {
			return nil //nolint:nilerr // cancelled (Ctrl-C) ends following cleanly; err is only the cancellation
		}
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) && ae.Status < 500 {
				return err
			}
			// Server restarting or unreachable: retry from the same cursor.
			attempt++
			if !policy.Wait(ctx, attempt) {
				return nil
			}
			continue
		}
		attempt = 0
		for _, raw := range page.Events {
			if err := printEvent(stdout, raw, p.json); err != nil {
				return err
			}
		}
		cursor = page.Next
	}
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
