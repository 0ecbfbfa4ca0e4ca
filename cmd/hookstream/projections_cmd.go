package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/hookstream/hookstream/projections"
)

// `hookstream projections status|rebuild NAME` talk to the running
// server's API (GET /api/v1/projections, POST /api/v1/projections/NAME/
// rebuild), because the embedded NATS store is locked by the server
// process. They need HOOKSTREAM_URL (default http://127.0.0.1:8080) and an
// admin token of the default tenant: HOOKSTREAM_TOKEN, else the one the
// server wrote to <data-dir>/admin-token.
func init() {
	subcommands["projections"] = runProjections
}

const projectionsUsage = `Usage:
  hookstream projections status                per projection: checkpoint, stream head, lag, pending
  hookstream projections rebuild NAME          drop NAME's rows, replay it from the stream (progress bar)

Flags (or environment):
  --url    HOOKSTREAM_URL    server base URL (default http://127.0.0.1:8080)
  --token  HOOKSTREAM_TOKEN  admin token of the default tenant (default: <data-dir>/admin-token)
  --data-dir HOOKSTREAM_DATA_DIR  where to find admin-token (default ./data)
`

func runProjections(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("projections", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, projectionsUsage) }
	base := fs.String("url", envOr("HOOKSTREAM_URL", "http://127.0.0.1:8080"), "server base URL")
	token := fs.String("token", os.Getenv("HOOKSTREAM_TOKEN"), "admin token")
	dataDir := fs.String("data-dir", envOr("HOOKSTREAM_DATA_DIR", "./data"), "data directory (for admin-token)")
	poll := fs.Duration("poll", 500*time.Millisecond, "rebuild progress poll interval")
	if len(args) == 0 {
		fmt.Fprint(stderr, projectionsUsage)
		return errors.New("projections: status or rebuild NAME")
	}
	sub, rest := args[0], args[1:]
	// Flags may come before or after NAME.
	var positional []string
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *token == "" {
		raw, err := os.ReadFile(filepath.Join(*dataDir, "admin-token"))
		if err != nil {
			return errors.New("projections: set HOOKSTREAM_TOKEN (an admin token of the default tenant)")
		}
		*token = strings.TrimSpace(string(raw))
	}
	c := &apiClient{base: strings.TrimRight(*base, "/"), token: *token, http: &http.Client{Timeout: 30 * time.Second}}
	switch sub {
	case "status":
		return projectionsStatus(ctx, c, stdout)
	case "rebuild":
		if len(positional) != 1 {
			return errors.New("projections rebuild: name the projection (see `hookstream projections status`)")
		}
		return projectionsRebuild(ctx, c, positional[0], *poll, stdout, stderr)
	}
	fmt.Fprint(stderr, projectionsUsage)
	return fmt.Errorf("projections: unknown command %q", sub)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func projectionsStatus(ctx context.Context, c *apiClient, stdout io.Writer) error {
	var out struct {
		Projections []projections.Status `json:"projections"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/projections", nil, &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTREAM\tSTATE\tCHECKPOINT\tHEAD\tLAG\tPENDING\tACK PENDING\tDEAD LETTERS\tERROR")
	for _, s := range out.Projections {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", s.Name, s.Stream, s.State, s.Checkpoint,
			s.StreamHead, s.Lag, s.Pending, s.AckPending, s.DeadLetters, s.LastError)
	}
	return tw.Flush()
}

func projectionsRebuild(ctx context.Context, c *apiClient, name string, poll time.Duration, stdout, stderr io.Writer) error {
	path := "/api/v1/projections/" + url.PathEscape(name)
	var rb projections.RebuildProgress
	if err := c.do(ctx, http.MethodPost, path+"/rebuild", nil, &rb); err != nil {
		return err
	}
	bar := progressbar.NewOptions64(int64(max(rb.Target, 1)), // sequences fit
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("rebuild "+name),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("events"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
	)
	for {
		var st projections.Status
		if err := c.do(ctx, http.MethodGet, path, nil, &st); err != nil {
			return err
		}
		_ = bar.Set64(int64(min(st.Checkpoint, max(rb.Target, 1)))) // sequences fit
		if st.Rebuild != nil && st.Rebuild.Done {
			_ = bar.Finish()
			fmt.Fprintf(stdout, "rebuilt %s up to sequence %d (%d dead letters)\n", name, st.Checkpoint, st.DeadLetters)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}
