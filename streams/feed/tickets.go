package feed

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream"
)

// TicketTTLDefault is how long a ticket can be redeemed (SPEC §6: 60 s).
const TicketTTLDefault = 60 * time.Second

// errBadTicket is the one answer for an unknown, used or expired ticket.
var errBadTicket = hookstream.Errorf(hookstream.EUNAUTHORIZED, "invalid, used or expired ticket")

// Tickets issues and redeems single-use WebSocket tickets. A ticket is 32
// random bytes (base64url); the bucket stores only its SHA-256 under which
// the principal and expiry are kept, so the bucket's contents cannot be
// replayed. Redeem deletes the entry with the revision it read (a
// compare-and-delete): of two nodes redeeming the same ticket at once,
// exactly one succeeds.
type Tickets struct {
	kv  jetstream.KeyValue
	ttl time.Duration
	now func() time.Time
}

type ticketEntry struct {
	TenantID  string          `json:"tenantId"`
	TokenID   string          `json:"tokenId"`
	Role      hookstream.Role `json:"role"`
	ExpiresAt time.Time       `json:"expiresAt"`
}

// NewTickets uses kv (a bucket whose own TTL removes entries a little
// after ttl) for tickets valid for ttl (default TicketTTLDefault).
func NewTickets(kv jetstream.KeyValue, ttl time.Duration) *Tickets {
	if ttl <= 0 {
		ttl = TicketTTLDefault
	}
	return &Tickets{kv: kv, ttl: ttl, now: time.Now}
}

func ticketKey(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return hex.EncodeToString(sum[:])
}

// Issue returns a new ticket for p and when it expires.
func (t *Tickets) Issue(ctx context.Context, p hookstream.Principal) (string, time.Time, error) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	ticket := base64.RawURLEncoding.EncodeToString(raw)
	exp := t.now().Add(t.ttl).UTC().Truncate(time.Millisecond)
	val, err := json.Marshal(ticketEntry{TenantID: p.TenantID, TokenID: p.TokenID, Role: p.Role, ExpiresAt: exp})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("encode ticket: %w", err)
	}
	if _, err := t.kv.Create(ctx, ticketKey(ticket), val); err != nil {
		return "", time.Time{}, fmt.Errorf("store ticket: %w", err)
	}
	return ticket, exp, nil
}

// Redeem consumes a ticket and returns its principal. Errors: an
// EUNAUTHORIZED error for an unknown, used or expired ticket.
func (t *Tickets) Redeem(ctx context.Context, ticket string) (hookstream.Principal, error) {
	if len(ticket) != base64.RawURLEncoding.EncodedLen(32) {
		return hookstream.Principal{}, errBadTicket
	}
	key := ticketKey(ticket)
	e, err := t.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return hookstream.Principal{}, errBadTicket
	}
	if err != nil {
		return hookstream.Principal{}, fmt.Errorf("read ticket: %w", err)
	}
	// Compare-and-delete: only the redeemer that read this revision wins.
	if err := t.kv.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return hookstream.Principal{}, errBadTicket
		}
		return hookstream.Principal{}, fmt.Errorf("consume ticket: %w", err)
	}
	var te ticketEntry
	if err := json.Unmarshal(e.Value(), &te); err != nil {
		return hookstream.Principal{}, errBadTicket
	}
	if !t.now().Before(te.ExpiresAt) {
		return hookstream.Principal{}, errBadTicket
	}
	return hookstream.Principal{TenantID: te.TenantID, TokenID: te.TokenID, Role: te.Role}, nil
}
