package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/migrations"
	"github.com/hookstream/hookstream/projections"
	"github.com/hookstream/hookstream/projections/pglocal"
)

func init() {
	subcommands["migrate"] = runMigrate
	subcommands["tenants"] = runTenants
	subcommands["tokens"] = runTokens
}

// openDB connects to HOOKSTREAM_DATABASE_URL, or to the data directory's
// managed cluster: attaching to it when the server runs, starting it for
// the command's duration otherwise. close stops what was started.
func openDB(ctx context.Context, cfg Config) (pool *pgxpool.Pool, closeFn func(), err error) {
	dsn := cfg.DatabaseURL
	var pg *pglocal.Server
	if dsn == "" {
		dir, err := filepath.Abs(cfg.DataDir)
		if err != nil {
			return nil, nil, err
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, nil, fmt.Errorf("data directory %s: %w (run `hookstream serve` once, or set HOOKSTREAM_DATABASE_URL)", dir, err)
		}
		pg, err = pglocal.Start(ctx, pglocal.Config{Dir: filepath.Join(dir, "pg"), Logger: newLogger(cfg, os.Stderr)})
		if err != nil {
			return nil, nil, fmt.Errorf("postgres: %w", err)
		}
		dsn = pg.DSN(pglocal.DatabaseName)
	}
	pool, err = projections.Connect(ctx, dsn)
	if err != nil {
		if pg != nil {
			_ = pg.Stop(context.WithoutCancel(ctx))
		}
		return nil, nil, err
	}
	closeFn = func() {
		pool.Close()
		if pg != nil {
			_ = pg.Stop(context.WithoutCancel(ctx))
		}
	}
	if err := migrations.Migrate(ctx, pool); err != nil {
		closeFn()
		return nil, nil, err
	}
	return pool, closeFn, nil
}

func runMigrate(ctx context.Context, args []string, stdout, _ io.Writer) error {
	cfg, err := parseConfig("migrate", args, nil)
	if err != nil {
		return err
	}
	pool, closeFn, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	cur, latest, err := migrations.Status(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrated: version %d of %d\n", cur, latest)
	return nil
}

func runTenants(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: hookstream tenants create --name NAME")
	}
	var name string
	cfg, err := parseConfig("tenants create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "tenant name (required)")
	})
	if err != nil {
		return err
	}
	if name == "" {
		return errors.New("--name is required")
	}
	pool, closeFn, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	acc := projections.NewAccounts(pool)
	t, err := acc.CreateTenant(ctx, name)
	if err != nil {
		if hookstream.ErrorCode(err) == hookstream.ECONFLICT {
			return fmt.Errorf("a tenant named %q exists", name)
		}
		return err
	}
	if cfg.MaxReplays != hookstream.MaxReplaysDefault && cfg.MaxReplays > 0 {
		if _, err := acc.SetMaxReplays(ctx, t.ID, cfg.MaxReplays); err != nil {
			return err
		}
	}
	_, tok, err := acc.CreateToken(ctx, t.ID, "admin", hookstream.RoleAdmin)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]string{"tenantId": t.ID, "token": tok})
}

func runTokens(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: hookstream tokens create --tenant ID --role admin|analyst|viewer [--name N]")
	}
	var tenant, role, name string
	cfg, err := parseConfig("tokens create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&tenant, "tenant", "", "tenant id (required)")
		fs.StringVar(&role, "role", "", "admin, analyst or viewer (required)")
		fs.StringVar(&name, "token-name", "", "a label for the token")
	})
	if err != nil {
		return err
	}
	if tenant == "" || !hookstream.ValidRole(role) {
		return errors.New("--tenant and --role admin|analyst|viewer are required")
	}
	pool, closeFn, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	acc := projections.NewAccounts(pool)
	if _, err := acc.Tenant(ctx, tenant); err != nil {
		return fmt.Errorf("tenant %s: not found", tenant)
	}
	_, tok, err := acc.CreateToken(ctx, tenant, name, role)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]string{"token": tok})
}
