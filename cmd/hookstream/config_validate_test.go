package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConfigValidatedBeforeAnythingOpens: a configuration that cannot run
// fails Run before the NATS store, the PostgreSQL cluster or the master key
// is created.
func TestConfigValidatedBeforeAnythingOpens(t *testing.T) {
	t.Parallel()
	for name, mutate := range map[string]func(*Config){
		"http addr":       func(c *Config) { c.HTTPAddr = "nonsense" },
		"public base url": func(c *Config) { c.PublicBaseURL = "ftp://x" },
		"database url":    func(c *Config) { c.DatabaseURL = "postgres://%zz" },
		"nats sync":       func(c *Config) { c.NATSSync = "sometimes" },
		"replicas":        func(c *Config) { c.NATSReplicas = 7 },
		"master key":      func(c *Config) { c.MasterKey = "short" },
		"log level":       func(c *Config) { c.LogLevel = "loud" },
		"log format":      func(c *Config) { c.LogFormat = "xml" },
		"trusted proxies": func(c *Config) { c.TrustedProxies = "not-a-cidr" },
		"geoip db":        func(c *Config) { c.GeoIPDB = "/nonexistent.mmdb" },
		"group commit":    func(c *Config) { c.GroupCommit = "maybe" },
		"max replays":     func(c *Config) { c.MaxReplays = -1 },
	} {
		cfg, err := parseConfig("serve", nil, nil)
		require.NoError(t, err)
		cfg.DataDir = t.TempDir()
		cfg.HTTPAddr = "127.0.0.1:0"
		mutate(&cfg)
		m := NewMain(cfg, io.Discard, io.Discard)
		err = m.Run(context.Background())
		m.Close()
		require.Error(t, err, name)
		entries, rerr := os.ReadDir(cfg.DataDir)
		require.NoError(t, rerr)
		require.Empty(t, entries, "%s: nothing may be created in %s", name, filepath.Base(cfg.DataDir))
	}
}
