package verify

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// SecretBytes is how many random bytes a generated secret holds.
const SecretBytes = 32

// GenerateSecret returns a new random secret of SecretBytes bytes for
// scheme: "whsec_" + base64 for standard-webhooks, "hs_" + unpadded
// URL-safe base64 for the others. The empty scheme means SchemeHMAC.
func GenerateSecret(scheme string) (string, error) {
	switch scheme {
	case SchemeHMAC, "", SchemeStandardWebhooks, SchemeGitHub, SchemeStripe, SchemeShopify, SchemeSlack:
	default:
		return "", fmt.Errorf("generate secret: %w", ErrUnknownScheme)
	}
	b := make([]byte, SecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	if scheme == SchemeStandardWebhooks {
		return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
	}
	return "hs_" + base64.RawURLEncoding.EncodeToString(b), nil
}
