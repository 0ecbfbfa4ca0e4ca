package webhooks

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"slices"
	"strings"
)

// HashPassword returns "sha256$<salt>$<hash>" of a Basic password with a
// random 16-byte salt. The hash is itself sealed with the master key inside
// the webhook's secrets; a fast hash keeps ingest cheap under load.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	sum := sha256.Sum256(slices.Concat(salt, []byte(password)))
	return "sha256$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// CheckPassword compares password with a HashPassword result in constant
// time (for a given hash format).
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 3 || parts[0] != "sha256" {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[1])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return false
	}
	sum := sha256.Sum256(append(salt, password...))
	return subtle.ConstantTimeCompare(sum[:], want) == 1
}
