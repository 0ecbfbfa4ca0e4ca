package handlers

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookstream/hookstream"
)

const principalKey = "hookstream.principal"

// authCache remembers resolved tokens for a short TTL so a busy dashboard
// does not hit PostgreSQL on every call. Keys are token hashes.
type authCache struct {
	accounts AccountStore
	ttl      time.Duration
	mu       sync.Mutex
	entries  map[[32]byte]authEntry
}

type authEntry struct {
	p       hookstream.Principal
	expires time.Time
}

func newAuthCache(a AccountStore, ttl time.Duration) *authCache {
	return &authCache{accounts: a, ttl: ttl, entries: map[[32]byte]authEntry{}}
}

func (a *authCache) resolve(ctx context.Context, token string) (hookstream.Principal, error) {
	key := sha256.Sum256([]byte(token))
	now := time.Now()
	a.mu.Lock()
	e, ok := a.entries[key]
	a.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.p, nil
	}
	p, err := a.accounts.Authenticate(ctx, token)
	if err != nil {
		return p, err
	}
	_ = a.accounts.TouchToken(ctx, p.TokenID)
	a.mu.Lock()
	if len(a.entries) > 10000 {
		clear(a.entries)
	}
	a.entries[key] = authEntry{p: p, expires: now.Add(a.ttl)}
	a.mu.Unlock()
	return p, nil
}

// forget drops cached principals of a token id (after DELETE /tokens/{id}).
func (a *authCache) forget(tokenID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, e := range a.entries {
		if e.p.TokenID == tokenID {
			delete(a.entries, k)
		}
	}
}

// BearerToken extracts the token of an "Authorization: Bearer" header.
func BearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// authenticate is the bearer middleware: the tenant always comes from the
// token. Missing or unknown tokens answer 401. A token that cannot be
// checked because PostgreSQL is unreachable answers 503 with Retry-After:
// the server cannot tell a wrong token from a right one, and a 401 would
// tell a client with a valid token to stop retrying (tokens resolved in the
// last 30 s are cached and keep working).
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok, ok := BearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
		if !ok {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hookstream"`)
			return hookstream.Errorf(hookstream.EUNAUTHORIZED, "missing bearer token")
		}
		p, err := s.auth.resolve(c.Request().Context(), tok)
		if err != nil {
			if hookstream.ErrorCode(err) == hookstream.ENOTFOUND {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="hookstream", error="invalid_token"`)
				return hookstream.Errorf(hookstream.EUNAUTHORIZED, "invalid token")
			}
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// PrincipalOf returns the authenticated caller; only valid behind authenticate.
func PrincipalOf(c echo.Context) hookstream.Principal {
	p, _ := c.Get(principalKey).(hookstream.Principal)
	return p
}

// RequireRole admits tokens whose role ranks at least r; others get 403.
func RequireRole(r hookstream.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if hookstream.RoleRank(PrincipalOf(c).Role) < hookstream.RoleRank(r) {
				return hookstream.Errorf(hookstream.EFORBIDDEN, "this action needs the %s role", r)
			}
			return next(c)
		}
	}
}
