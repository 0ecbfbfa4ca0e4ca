package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/handlers"
)

// validate checks the whole configuration before anything is opened (no
// NATS store, PostgreSQL cluster or listener is created for a
// configuration that cannot run). Every problem is reported at once.
func (c Config) validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{env}, args...)...))
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); c.HTTPAddr != "" && err != nil {
		bad("HOOKSTREAM_HTTP_ADDR", "want host:port: %w", err)
	}
	if c.PublicBaseURL != "" {
		if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("HOOKSTREAM_PUBLIC_BASE_URL", "want an http(s) URL, got %q", c.PublicBaseURL)
		}
	}
	if c.DatabaseURL != "" {
		if _, err := pgxpool.ParseConfig(c.DatabaseURL); err != nil {
			bad("HOOKSTREAM_DATABASE_URL", "not a PostgreSQL URL") // the error may quote the password
		}
	}
	if c.NATSListen != "" {
		if _, _, err := net.SplitHostPort(c.NATSListen); err != nil {
			bad("HOOKSTREAM_NATS_LISTEN", "want host:port: %w", err)
		}
	}
	if s := c.NATSSync; s != "" && s != "always" {
		if d, err := time.ParseDuration(s); err != nil || d <= 0 {
			bad("HOOKSTREAM_NATS_SYNC", "want 'always' or a positive duration, got %q", s)
		}
	}
	if c.NATSReplicas < 0 || c.NATSReplicas > 5 {
		bad("HOOKSTREAM_NATS_REPLICAS", "want 0 to 5, got %d", c.NATSReplicas)
	}
	if c.MasterKey != "" {
		if k, err := base64.StdEncoding.DecodeString(c.MasterKey); err != nil || len(k) != 32 {
			bad("HOOKSTREAM_MASTER_KEY", "must be base64 of 32 bytes")
		}
	}
	if strings.ContainsAny(c.BootstrapToken, " \t\r\n") {
		bad("HOOKSTREAM_BOOTSTRAP_TOKEN", "must not contain spaces (a bearer token is one word)")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); c.LogLevel != "" && err != nil {
		bad("HOOKSTREAM_LOG_LEVEL", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	if f := c.LogFormat; f != "" && f != "json" && f != "text" {
		bad("HOOKSTREAM_LOG_FORMAT", "want json or text, got %q", f)
	}
	if c.DuplicateWindow < 0 {
		bad("HOOKSTREAM_DUPLICATE_WINDOW", "must not be negative")
	}
	if c.MaxReplays < 0 {
		bad("HOOKSTREAM_MAX_REPLAYS", "must not be negative (values over the hard cap of %d are capped)", hookstream.MaxReplaysHardCap)
	}
	if _, err := handlers.ParseCIDRList(c.TrustedProxies); err != nil {
		bad("HOOKSTREAM_TRUSTED_PROXIES", "%w", err)
	}
	if c.GeoIPDB != "" {
		if _, err := os.Stat(c.GeoIPDB); err != nil {
			bad("HOOKSTREAM_GEOIP_DB", "%w", err)
		}
	}
	switch strings.ToLower(c.GroupCommit) {
	case "", "on", "true", "1", "off", "false", "0":
	default:
		bad("HOOKSTREAM_GROUP_COMMIT", "want on or off, got %q", c.GroupCommit)
	}
	return errors.Join(errs...)
}
