package hookstream

import "time"

// Role of an API token (SPEC §9).
type Role = string

// Roles, from most to least privileged.
const (
	RoleAdmin   Role = "admin"   // everything in its tenant
	RoleAnalyst Role = "analyst" // read, single and batch replay
	RoleViewer  Role = "viewer"  // read, no secrets
)

// RoleRank orders roles; a route requiring rank r admits tokens with rank ≥ r.
func RoleRank(r Role) int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleAnalyst:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool { return RoleRank(r) > 0 }

// Tenant owns webhooks, tokens and events. Every query is scoped by tenant.
type Tenant struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	RetentionDays int       `json:"retentionDays"`
	MaxReplays    int       `json:"maxReplays"`
	CreatedAt     time.Time `json:"createdAt"`
}

// Tenant defaults and bounds.
const (
	RetentionDaysDefault = 30
	RetentionDaysMax     = 365
	MaxReplaysDefault    = 3
	MaxReplaysHardCap    = 10
)

// Token is an API token; only its SHA-256 hash is stored.
type Token struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenantId"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// Principal is the authenticated caller of the management API.
type Principal struct {
	TenantID string
	TokenID  string
	Role     Role
}
