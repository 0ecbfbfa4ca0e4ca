package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// fetchCPUProfile records the server's CPU profile for d through the
// admin-only pprof endpoint (HOOKSTREAM_PPROF=1) and writes it to path.
func fetchCPUProfile(ctx context.Context, base, token string, d time.Duration, path string) error {
	secs := max(int(d/time.Second), 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/debug/pprof/profile?seconds=%d", base, secs), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{Timeout: d + time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := readAll(resp.Body, 1<<20) // only for the error message
		if resp.StatusCode == http.StatusNotFound {
			return fmt.Errorf("pprof endpoint answered 404 (server built without it, or HOOKSTREAM_PPROF unset): %w", errNotAvailable)
		}
		return fmt.Errorf("pprof: %d %s", resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pprofTop runs `go tool pprof -top` on the profile and returns its output.
func pprofTop(ctx context.Context, repo, bin, prof string, n int, extra ...string) (string, error) {
	args := append([]string{"tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", n)}, extra...)
	args = append(args, bin, prof)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	return strings.TrimRight(string(out), "\n"), nil
}
