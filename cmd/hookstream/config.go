package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything `hookstream serve` reads from flags and environment.
// Each field's default is in the option table below (and in README.md).
type Config struct {
	HTTPAddr        string
	DataDir         string
	PublicBaseURL   string
	DatabaseURL     string
	NATSURL         string
	NATSListen      string
	NATSSync        string
	NATSEncryption  string
	NATSReplicas    int
	MasterKey       string
	BootstrapToken  string
	LogLevel        string
	LogFormat       string
	DuplicateWindow time.Duration
	MaxReplays      int
	TrustedProxies  string
	RedactHeaders   string
	GeoIPDB         string
	GroupCommit     string
	DevNoSync       bool
	PProf           bool // HOOKSTREAM_PPROF (wire_pprof.go), default false
	// Live feed (wire_feed.go).
	FeedQueueSize    int
	FeedPingInterval time.Duration
	FeedWriteTimeout time.Duration
}

type option struct {
	flag, env, def, usage string
	set                   func(c *Config, v string) error
}

func str(p func(c *Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

var options = []option{
	{"http-addr", "HOOKSTREAM_HTTP_ADDR", "127.0.0.1:8080", "HTTP listen address", str(func(c *Config) *string { return &c.HTTPAddr })},
	{"data-dir", "HOOKSTREAM_DATA_DIR", "./data", "data directory (embedded NATS store, managed PostgreSQL, master key, admin token)", str(func(c *Config) *string { return &c.DataDir })},
	{"public-base-url", "HOOKSTREAM_PUBLIC_BASE_URL", "", "base URL of webhook URLs (default http://<http-addr>)", str(func(c *Config) *string { return &c.PublicBaseURL })},
	{"database-url", "HOOKSTREAM_DATABASE_URL", "", "external PostgreSQL URL; empty runs a managed local PostgreSQL in <data-dir>/pg", str(func(c *Config) *string { return &c.DatabaseURL })},
	{"nats-url", "HOOKSTREAM_NATS_URL", "", "external NATS URL(s); empty runs an embedded nats-server in <data-dir>/nats", str(func(c *Config) *string { return &c.NATSURL })},
	{"nats-listen", "HOOKSTREAM_NATS_LISTEN", "", "embedded NATS: also accept network clients on host:port (e.g. 127.0.0.1:4222)", str(func(c *Config) *string { return &c.NATSListen })},
	{"nats-sync", "HOOKSTREAM_NATS_SYNC", "always", "embedded NATS fsync: 'always' (a PubAck survives power loss) or an interval like 1s (faster; a power loss may lose the last interval's acknowledged events)", str(func(c *Config) *string { return &c.NATSSync })},
	{"nats-encryption-key", "HOOKSTREAM_NATS_ENCRYPTION_KEY", "", "embedded NATS: encrypt the store at rest with this key", str(func(c *Config) *string { return &c.NATSEncryption })},
	{"nats-replicas", "HOOKSTREAM_NATS_REPLICAS", "0", "stream replicas (0 = 1 embedded, 3 with an external cluster)", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.NATSReplicas = n
		return err
	}},
	{"master-key", "HOOKSTREAM_MASTER_KEY", "", "base64 32-byte key sealing secrets at rest; empty generates <data-dir>/master.key", str(func(c *Config) *string { return &c.MasterKey })},
	{"bootstrap-token", "HOOKSTREAM_BOOTSTRAP_TOKEN", "", "ensure a tenant 'default' with this admin token", str(func(c *Config) *string { return &c.BootstrapToken })},
	{"log-level", "HOOKSTREAM_LOG_LEVEL", "info", "debug, info, warn or error", str(func(c *Config) *string { return &c.LogLevel })},
	{"log-format", "HOOKSTREAM_LOG_FORMAT", "json", "json or text", str(func(c *Config) *string { return &c.LogFormat })},
	{"duplicate-window", "HOOKSTREAM_DUPLICATE_WINDOW", "10m", "delivery-id deduplication window", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.DuplicateWindow = d
		return err
	}},
	{"max-replays", "HOOKSTREAM_MAX_REPLAYS", "3", "default replay bound per root event for new tenants (hard cap 10)", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.MaxReplays = n
		return err
	}},
	{"trusted-proxies", "HOOKSTREAM_TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For is honoured", str(func(c *Config) *string { return &c.TrustedProxies })},
	{"redact-headers", "HOOKSTREAM_REDACT_HEADERS", "", "comma-separated extra header names redacted in stored events", str(func(c *Config) *string { return &c.RedactHeaders })},
	{"geoip-db", "HOOKSTREAM_GEOIP_DB", "", "MaxMind-format database (.mmdb) for geo enrichment", str(func(c *Config) *string { return &c.GeoIPDB })},
	{"feed-queue-size", "HOOKSTREAM_FEED_QUEUE_SIZE", "256", "live feed: messages queued per WebSocket client before it is closed as too slow (1008)", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.FeedQueueSize = n
		return err
	}},
	{"feed-ping-interval", "HOOKSTREAM_FEED_PING_INTERVAL", "30s", "live feed: WebSocket ping interval (an unanswered ping closes the connection)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.FeedPingInterval = d
		return err
	}},
	{"feed-write-timeout", "HOOKSTREAM_FEED_WRITE_TIMEOUT", "30s", "live feed: longest wait for one message to reach a client before the connection is dropped", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.FeedWriteTimeout = d
		return err
	}},
	{"group-commit", "HOOKSTREAM_GROUP_COMMIT", "on", "group concurrent ingest appends into atomic batches (one fsync for many): on or off", str(func(c *Config) *string { return &c.GroupCommit })},
}

// parseConfig reads defaults, then the environment, then flags.
func parseConfig(name string, args []string, extra func(fs *flag.FlagSet)) (Config, error) {
	var c Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	vals := make([]*string, len(options))
	for i, o := range options {
		def := o.def
		if v, ok := os.LookupEnv(o.env); ok {
			def = v
		}
		vals[i] = fs.String(o.flag, def, fmt.Sprintf("%s (env %s, default %q)", o.usage, o.env, o.def))
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for i, o := range options {
		if err := o.set(&c, strings.TrimSpace(*vals[i])); err != nil {
			return c, fmt.Errorf("--%s / %s: %w", o.flag, o.env, err)
		}
	}
	return c, nil
}
