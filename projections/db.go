package projections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
)

// Connect opens a pool. Queries run in QueryExecModeExec so that every
// execution is planned with its actual parameters: pgx's statement cache
// would otherwise let PostgreSQL switch to a generic plan that is orders of
// magnitude slower for skewed tenant/status filters.
func Connect(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect database: %w", err)
	}
	return pool, nil
}

// InTx runs fn in a transaction and commits it. It cannot drop a commit
// error, and rolls back with a context that is not cancelled, so a
// cancelled request never leaves a transaction open.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) (err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", translate(err))
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	return nil
}

// IsUnavailable reports whether err means PostgreSQL cannot be reached or
// is not accepting work right now (connection refused or lost, server
// shutting down or starting, too many connections): a condition to retry,
// which the API answers 503 with Retry-After rather than 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if hookstream.ErrorCode(err) == hookstream.EUNAVAILABLE {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300": // admin/crash shutdown, cannot connect now, too many connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection exception
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || pgconn.SafeToRetry(err)
}

// ErrUnavailable wraps errors for which IsUnavailable is true.
var ErrUnavailable = &hookstream.Error{Code: hookstream.EUNAVAILABLE, Message: "the database is unavailable; retry shortly", RetryAfter: 5}

// translate maps driver errors to ours at this edge.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if IsUnavailable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", hookstream.ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return fmt.Errorf("%w: %w", hookstream.ErrConflict, err)
		case "22P02": // invalid input syntax (e.g. a malformed uuid)
			return fmt.Errorf("%w: %w", hookstream.ErrNotFound, err)
		}
	}
	return err
}
