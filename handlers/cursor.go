package handlers

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/hookstream/hookstream"
)

// Stream cursors. A position in a JetStream stream is a global sequence:
// handed to a tenant as a number it would tell the whole system's traffic
// volume. Positions leave the server only sealed (AES-256-GCM, random
// nonce, the tenant id as additional data): opaque, different on every
// answer, and refused when another tenant presents them. The keyset
// cursors of the list endpoints (events, webhooks, workflows) hold only
// the tenant's own row keys (time and id) and need no sealing.

// cursorSealer seals stream positions for one tenant.
type cursorSealer struct{ aead cipher.AEAD }

func newCursorSealer(key []byte) (*cursorSealer, error) {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("handlers: CursorKey must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("handlers: cursor key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("handlers: cursor key: %w", err)
	}
	return &cursorSealer{aead: aead}, nil
}

// SealCursor returns the opaque cursor of stream position seq for a tenant.
func (s *Server) SealCursor(tenantID string, seq uint64) string {
	nonce := make([]byte, s.cursors.aead.NonceSize(), s.cursors.aead.NonceSize()+8+s.cursors.aead.Overhead())
	_, _ = rand.Read(nonce)
	out := s.cursors.aead.Seal(nonce, nonce, binary.BigEndian.AppendUint64(nil, seq), []byte(tenantID))
	return base64.RawURLEncoding.EncodeToString(out)
}

// OpenCursor returns the stream position of a cursor from SealCursor for
// the same tenant; anything else is EINVALID.
func (s *Server) OpenCursor(tenantID, cursor, field string) (uint64, error) {
	bad := hookstream.Invalid(hookstream.EINVALID, "invalid cursor", hookstream.FieldError{Field: field, Message: "not a cursor returned by this API"})
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	n := s.cursors.aead.NonceSize()
	if err != nil || len(raw) != n+8+s.cursors.aead.Overhead() {
		return 0, bad
	}
	plain, err := s.cursors.aead.Open(nil, raw[:n], raw[n:], []byte(tenantID))
	if err != nil {
		return 0, bad
	}
	return binary.BigEndian.Uint64(plain), nil
}
