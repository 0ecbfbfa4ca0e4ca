package projections

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookstream/hookstream"
)

// Accounts stores tenants and API tokens. Tokens are stored as SHA-256
// hashes; the clear token is returned once, at creation.
type Accounts struct {
	pool *pgxpool.Pool
}

// NewAccounts returns an Accounts over pool.
func NewAccounts(pool *pgxpool.Pool) *Accounts { return &Accounts{pool: pool} }

// TokenPrefix starts every generated token, so leaked tokens are searchable.
const TokenPrefix = "hst_"

// NewToken returns a fresh random token (32 random bytes).
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the stored form of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func scanTenant(row pgx.Row) (hookstream.Tenant, error) {
	var t hookstream.Tenant
	err := row.Scan(&t.ID, &t.Name, &t.RetentionDays, &t.MaxReplays, &t.CreatedAt)
	return t, translate(err)
}

// CreateTenant creates a tenant; a taken name is ECONFLICT.
func (a *Accounts) CreateTenant(ctx context.Context, name string) (hookstream.Tenant, error) {
	if name == "" {
		return hookstream.Tenant{}, hookstream.Invalid(hookstream.EINVALID, "name is required", hookstream.FieldError{Field: "name", Message: "required"})
	}
	t, err := scanTenant(a.pool.QueryRow(ctx, q("CreateTenant"), name))
	if err != nil {
		return t, fmt.Errorf("create tenant: %w", err)
	}
	return t, nil
}

// EnsureTenant returns the tenant with that name, creating it if needed.
func (a *Accounts) EnsureTenant(ctx context.Context, name string) (hookstream.Tenant, error) {
	t, err := scanTenant(a.pool.QueryRow(ctx, q("EnsureTenant"), name))
	if err != nil {
		return t, fmt.Errorf("ensure tenant: %w", err)
	}
	return t, nil
}

// Tenant returns a tenant by id.
func (a *Accounts) Tenant(ctx context.Context, id string) (hookstream.Tenant, error) {
	t, err := scanTenant(a.pool.QueryRow(ctx, q("GetTenant"), id))
	if err != nil {
		return t, fmt.Errorf("get tenant: %w", err)
	}
	return t, nil
}

// Tenants lists every tenant.
func (a *Accounts) Tenants(ctx context.Context) ([]hookstream.Tenant, error) {
	rows, err := a.pool.Query(ctx, q("ListTenants"))
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", translate(err))
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (hookstream.Tenant, error) { return scanTenant(r) })
}

// SetRetention sets a tenant's retention in days (1–365).
func (a *Accounts) SetRetention(ctx context.Context, tenantID string, days int) (hookstream.Tenant, error) {
	if days < 1 || days > hookstream.RetentionDaysMax {
		return hookstream.Tenant{}, hookstream.Invalid(hookstream.EUNPROCESSABLE, "retentionDays must be between 1 and 365",
			hookstream.FieldError{Field: "retentionDays", Message: "must be between 1 and 365"})
	}
	t, err := scanTenant(a.pool.QueryRow(ctx, q("SetRetention"), tenantID, days))
	if err != nil {
		return t, fmt.Errorf("set retention: %w", err)
	}
	return t, nil
}

// SetMaxReplays sets a tenant's replay bound (0–10).
func (a *Accounts) SetMaxReplays(ctx context.Context, tenantID string, n int) (hookstream.Tenant, error) {
	if n < 0 || n > hookstream.MaxReplaysHardCap {
		return hookstream.Tenant{}, hookstream.Invalid(hookstream.EUNPROCESSABLE, "maxReplays must be between 0 and 10",
			hookstream.FieldError{Field: "maxReplays", Message: "must be between 0 and 10"})
	}
	t, err := scanTenant(a.pool.QueryRow(ctx, q("SetMaxReplays"), tenantID, n))
	if err != nil {
		return t, fmt.Errorf("set max replays: %w", err)
	}
	return t, nil
}

// CreateToken creates a token and returns it in clear, once.
func (a *Accounts) CreateToken(ctx context.Context, tenantID, name string, role hookstream.Role) (hookstream.Token, string, error) {
	if !hookstream.ValidRole(role) {
		return hookstream.Token{}, "", hookstream.Invalid(hookstream.EUNPROCESSABLE, "role must be admin, analyst or viewer",
			hookstream.FieldError{Field: "role", Message: "must be admin, analyst or viewer"})
	}
	token := NewToken()
	var t hookstream.Token
	err := a.pool.QueryRow(ctx, q("CreateToken"), tenantID, name, role, HashToken(token)).
		Scan(&t.ID, &t.TenantID, &t.Name, &t.Role, &t.CreatedAt, &t.LastUsedAt)
	if err != nil {
		return t, "", fmt.Errorf("create token: %w", translate(err))
	}
	return t, token, nil
}

// EnsureToken stores a given clear token (the bootstrap token) if absent.
func (a *Accounts) EnsureToken(ctx context.Context, tenantID, name string, role hookstream.Role, token string) error {
	if _, err := a.pool.Exec(ctx, q("EnsureToken"), tenantID, name, role, HashToken(token)); err != nil {
		return fmt.Errorf("ensure token: %w", translate(err))
	}
	return nil
}

// Authenticate resolves a clear token to its principal. Unknown tokens are
// ErrNotFound. The lookup is by hash, so no comparison of secrets happens
// in Go; the hash lookup itself does not leak the token.
func (a *Accounts) Authenticate(ctx context.Context, token string) (hookstream.Principal, error) {
	var p hookstream.Principal
	err := a.pool.QueryRow(ctx, q("TokenByHash"), HashToken(token)).Scan(&p.TokenID, &p.TenantID, &p.Role)
	if err != nil {
		return p, fmt.Errorf("authenticate: %w", translate(err))
	}
	return p, nil
}

// TouchToken records the token's last use.
func (a *Accounts) TouchToken(ctx context.Context, id string) error {
	_, err := a.pool.Exec(ctx, q("TouchToken"), id)
	return translate(err)
}

// Tokens lists a tenant's tokens.
func (a *Accounts) Tokens(ctx context.Context, tenantID string) ([]hookstream.Token, error) {
	rows, err := a.pool.Query(ctx, q("ListTokens"), tenantID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", translate(err))
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (hookstream.Token, error) {
		var t hookstream.Token
		err := r.Scan(&t.ID, &t.TenantID, &t.Name, &t.Role, &t.CreatedAt, &t.LastUsedAt)
		return t, err
	})
}

// DeleteToken deletes a tenant's token; another tenant's id is ErrNotFound.
func (a *Accounts) DeleteToken(ctx context.Context, tenantID, id string) error {
	tag, err := a.pool.Exec(ctx, q("DeleteToken"), tenantID, id)
	if err != nil {
		return fmt.Errorf("delete token: %w", translate(err))
	}
	if tag.RowsAffected() == 0 {
		return hookstream.ErrNotFound
	}
	return nil
}
