package hookstream

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sealer encrypts secrets at rest with AES-256-GCM under the master key.
// Sealed values are "v1:" + base64(nonce || ciphertext).
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new gcm: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext; additional data binds it to its owner (e.g. the
// webhook id) so a sealed value cannot be moved to another record.
func (s *Sealer) Seal(plaintext, additional []byte) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	out := s.aead.Seal(nonce, nonce, plaintext, additional)
	return "v1:" + base64.StdEncoding.EncodeToString(out)
}

// ErrUnseal is returned when a sealed value is malformed or fails authentication.
var ErrUnseal = errors.New("unseal failed")

// Open decrypts a value produced by Seal with the same additional data.
func (s *Sealer) Open(sealed string, additional []byte) ([]byte, error) {
	if len(sealed) < 3 || sealed[:3] != "v1:" {
		return nil, ErrUnseal
	}
	raw, err := base64.StdEncoding.DecodeString(sealed[3:])
	if err != nil || len(raw) < s.aead.NonceSize() {
		return nil, ErrUnseal
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, raw[:n], raw[n:], additional)
	if err != nil {
		return nil, ErrUnseal
	}
	return pt, nil
}
