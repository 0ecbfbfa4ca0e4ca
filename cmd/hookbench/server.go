package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/handlers/verify"
)

// buildServer compiles the hookstream binary from the checkout into out.
func buildServer(ctx context.Context, repo, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/hookstream")
	cmd.Dir = repo
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/hookstream: %w\n%s", err, buf.String())
	}
	return nil
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// serverConfig is how the bench starts one hookstream server.
type serverConfig struct {
	Bin         string
	DataDir     string
	DatabaseURL string
	// GroupCommit is HOOKSTREAM_GROUP_COMMIT: "on" or "off".
	GroupCommit string
	Token       string
}

// serverProc is a hookstream server the bench started.
type serverProc struct {
	cmd     *exec.Cmd
	URL     string // http://127.0.0.1:port
	NATSURL string // nats://127.0.0.1:port (HOOKSTREAM_NATS_LISTEN)
	// NATSCreds is the user nkey seed the listener requires.
	NATSCreds string
	Token     string
	PID       int
	LogPath   string
	exited    chan struct{}
	waitErr   error
}

// startServer runs `hookstream serve` with a fresh data directory on free
// ports and waits until /readyz answers 200.
func startServer(ctx context.Context, cfg serverConfig) (*serverProc, error) {
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	natsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(cfg.DataDir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKSTREAM_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		fmt.Sprintf("HOOKSTREAM_HTTP_ADDR=127.0.0.1:%d", httpPort),
		fmt.Sprintf("HOOKSTREAM_NATS_LISTEN=127.0.0.1:%d", natsPort),
		"HOOKSTREAM_DATA_DIR="+cfg.DataDir,
		"HOOKSTREAM_DATABASE_URL="+cfg.DatabaseURL,
		"HOOKSTREAM_BOOTSTRAP_TOKEN="+cfg.Token,
		"HOOKSTREAM_GROUP_COMMIT="+cfg.GroupCommit,
		"HOOKSTREAM_PPROF=1",
		"HOOKSTREAM_LOG_LEVEL=warn",
	)
	// Not cancelled with ctx: Stop shuts it down in order (SIGTERM) instead.
	cmd := exec.CommandContext(context.WithoutCancel(ctx), cfg.Bin, "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group (a terminal's Ctrl-C reaches only the bench, which
	// stops the server in order); SIGTERM if the bench dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cfg.Bin, err)
	}
	p := &serverProc{
		cmd: cmd, URL: fmt.Sprintf("http://127.0.0.1:%d", httpPort), NATSURL: fmt.Sprintf("nats://127.0.0.1:%d", natsPort),
		NATSCreds: filepath.Join(cfg.DataDir, eventstore.NKeySeedFile),
		Token:     cfg.Token, PID: cmd.Process.Pid, LogPath: logPath, exited: make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, 120*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func (p *serverProc) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("hookstream serve exited (%w) before it was ready:\n%s", p.waitErr, p.LogTail(30))
		case <-ctx.Done():
			return fmt.Errorf("hookstream serve not ready after %s:\n%s", limit, p.LogTail(30))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// LogTail returns the last n lines of the server's log.
func (p *serverProc) LogTail(n int) string {
	raw, err := os.ReadFile(p.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop sends SIGTERM, waits up to 45 s for an orderly shutdown, then kills.
func (p *serverProc) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(45 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// webhookInfo is the created webhook as far as the bench needs it.
type webhookInfo struct {
	ID       string `json:"id"`
	TenantID string `json:"tenantId"`
	Path     string `json:"path"`
	URL      string `json:"url"`
	Secret   string `json:"secret"`
}

// errNotAvailable marks a part of the product that does not exist yet
// (e.g. a 404 from a route); the report says "not available".
var errNotAvailable = errors.New("not available")

// createWebhook creates a signature webhook with scheme through the
// management API (retrying while the server finishes starting) and returns
// the Target to load.
func createWebhook(ctx context.Context, base, token, scheme string, bodySize int) (Target, webhookInfo, error) {
	secret, err := verify.GenerateSecret(scheme)
	if err != nil {
		return Target{}, webhookInfo{}, err
	}
	suffix := newSigner(Target{}).prefix
	reqBody, err := json.Marshal(map[string]any{
		"name":            "hookbench " + scheme,
		"path":            "bench-" + suffix,
		"authType":        "signature",
		"signatureScheme": scheme,
		"secret":          secret,
	})
	if err != nil {
		return Target{}, webhookInfo{}, err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/webhooks", bytes.NewReader(reqBody))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		var raw []byte
		status := 0
		if err == nil {
			raw, err = readAll(resp.Body, 1<<20)
			resp.Body.Close()
			if err == nil {
				status = resp.StatusCode
			}
		}
		switch {
		case status == http.StatusCreated || status == http.StatusOK:
			var w webhookInfo
			if err := json.Unmarshal(raw, &w); err != nil {
				return Target{}, w, fmt.Errorf("create webhook: decode answer: %w", err)
			}
			if w.Secret == "" {
				w.Secret = secret
			}
			u := base + "/api/v1/webhooks/" + w.Path
			if w.Path == "" {
				return Target{}, w, fmt.Errorf("create webhook: answer has no path: %s", raw)
			}
			w.URL = u // always the server we drive, whatever its public base URL
			return Target{URL: u, Scheme: scheme, Secret: []byte(w.Secret), BodySize: bodySize}, w, nil
		case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
			return Target{}, webhookInfo{}, fmt.Errorf("POST /api/v1/webhooks answered %d (webhook management/ingest not implemented): %w", status, errNotAvailable)
		case status >= 400 && status < 500 && status != http.StatusTooManyRequests:
			return Target{}, webhookInfo{}, fmt.Errorf("create webhook: %d %s", status, raw)
		}
		if time.Now().After(deadline) {
			if err != nil {
				return Target{}, webhookInfo{}, fmt.Errorf("create webhook: %w", err)
			}
			return Target{}, webhookInfo{}, fmt.Errorf("create webhook: %d %s", status, raw)
		}
		select {
		case <-ctx.Done():
			return Target{}, webhookInfo{}, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
