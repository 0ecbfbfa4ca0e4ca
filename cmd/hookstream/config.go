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
	HTTPAddr       string
	DataDir        string
	PublicBaseURL  string
	DatabaseURL    string
	NATSURL        string
	NATSListen     string
	NATSSync       string
	NATSEncryption string
	NATSReplicas   int
	NATSCreds      string
	// IngestRetryDeadline bounds how long an append waits out a leader
	// election (HOOKSTREAM_INGEST_RETRY_DEADLINE, default 8s, negative off).
	IngestRetryDeadline time.Duration
	MasterKey           string
	BootstrapToken      string
	LogLevel            string
	LogFormat           string
	DuplicateWindow     time.Duration
	MaxReplays          int
	TrustedProxies      string
	RedactHeaders       string
	GeoIPDB             string
	GroupCommit         string
	DevNoSync           bool
	PProf               bool // HOOKSTREAM_PPROF (wire_pprof.go), default false
	// Executor runs workflow.triggered: "local" (default, streams/runner)
	// or "sqs" (the SQS bridge sends them to SQS; the local runner does not
	// consume). HOOKSTREAM_EXECUTOR.
	Executor string
	// SQS bridge queues (wire_sqsbridge.go), default empty.
	SQSQueueURL        string
	SQSQueueURLs       [4]string
	SQSInboundQueueURL string
	EventMode          string        // HOOKSTREAM_EVENT_MODE (perf): binary or structured
	IngestDecide       string        // HOOKSTREAM_INGEST_DECIDE (perf): on or off
	RunnerWorkers      int           // HOOKSTREAM_RUNNER_WORKERS, default 64
	RunnerAckWait      time.Duration // HOOKSTREAM_RUNNER_ACK_WAIT, default 15s
	OutboundAllowCIDRs string        // HOOKSTREAM_OUTBOUND_ALLOW_CIDRS, default empty
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
	{"nats-creds", "HOOKSTREAM_NATS_CREDS", "", "external NATS: credentials file (a .creds file, or a user nkey seed such as an embedded server's <data-dir>/nats-user.nk)", str(func(c *Config) *string { return &c.NATSCreds })},
	{"ingest-retry-deadline", "HOOKSTREAM_INGEST_RETRY_DEADLINE", "8s", "how long an ingest request waits out a NATS leader election before answering 503 (below senders' 10 s timeouts; -1s disables waiting)", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.IngestRetryDeadline = d
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
	{"executor", "HOOKSTREAM_EXECUTOR", "local", "who runs workflow.triggered: local (the runner) or sqs (sent to SQS by the bridge; AWS credentials, AWS_REGION and AWS_ENDPOINT_URL_SQS come from the standard AWS chain)", str(func(c *Config) *string { return &c.Executor })},
	{"sqs-queue-url", "HOOKSTREAM_SQS_QUEUE_URL", "", "SQS queue of every priority without its own (executor sqs); a .fifo URL is a FIFO queue", str(func(c *Config) *string { return &c.SQSQueueURL })},
	{"sqs-queue-url-p0", "HOOKSTREAM_SQS_QUEUE_URL_P0", "", "SQS queue of priority 0 (low) triggers", str(func(c *Config) *string { return &c.SQSQueueURLs[0] })},
	{"sqs-queue-url-p1", "HOOKSTREAM_SQS_QUEUE_URL_P1", "", "SQS queue of priority 1 (normal) triggers", str(func(c *Config) *string { return &c.SQSQueueURLs[1] })},
	{"sqs-queue-url-p2", "HOOKSTREAM_SQS_QUEUE_URL_P2", "", "SQS queue of priority 2 (high) triggers", str(func(c *Config) *string { return &c.SQSQueueURLs[2] })},
	{"sqs-queue-url-p3", "HOOKSTREAM_SQS_QUEUE_URL_P3", "", "SQS queue of priority 3 (critical) triggers", str(func(c *Config) *string { return &c.SQSQueueURLs[3] })},
	{"sqs-inbound-queue-url", "HOOKSTREAM_SQS_INBOUND_QUEUE_URL", "", "SQS queue long-polled for execution/step events and external CloudEvents (any executor)", str(func(c *Config) *string { return &c.SQSInboundQueueURL })},
	{"runner-workers", "HOOKSTREAM_RUNNER_WORKERS", "64", "runner worker pool shared by the priority lanes (8:4:2:1)", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.RunnerWorkers = n
		return err
	}},
	{"runner-ack-wait", "HOOKSTREAM_RUNNER_ACK_WAIT", "15s", "how long a crashed node's executions wait before another worker resumes them", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.RunnerAckWait = d
		return err
	}},
	{"outbound-allow-cidrs", "HOOKSTREAM_OUTBOUND_ALLOW_CIDRS", "", "comma-separated CIDRs workflow http steps may reach although private/loopback/link-local (e.g. on-prem 10.20.0.0/16)", str(func(c *Config) *string { return &c.OutboundAllowCIDRs })},
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
	{"event-mode", "HOOKSTREAM_EVENT_MODE", "binary", "CloudEvents content mode of appended events: binary (attributes in ce- headers, data as payload) or structured (one JSON object); both are always readable", str(func(c *Config) *string { return &c.EventMode })},
	{"ingest-decide", "HOOKSTREAM_INGEST_DECIDE", "on", "ingest records processed/filtered on webhook.received when the webhook triggers no workflow (one message per delivery); off leaves every decision to the pipeline", str(func(c *Config) *string { return &c.IngestDecide })},
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
