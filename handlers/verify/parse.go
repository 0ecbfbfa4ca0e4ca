package verify

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"time"
)

var dot = []byte(".")

// macOf returns the HMAC under key of the concatenation of parts, without
// copying the body into a new buffer.
func macOf(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// matchMAC reports whether any of sigs equals the HMAC of parts under any of
// keys, comparing in constant time.
func matchMAC(h func() hash.Hash, keys, sigs [][]byte, parts ...[]byte) bool {
	for _, key := range keys {
		sum := macOf(h, key, parts...)
		for _, sig := range sigs {
			if hmac.Equal(sum, sig) {
				return true
			}
		}
	}
	return false
}

// usableSecrets returns the non-empty secrets, or ErrInvalidCredentials.
func usableSecrets(secrets [][]byte) ([][]byte, error) {
	keys := make([][]byte, 0, len(secrets))
	for _, s := range secrets {
		if len(s) > 0 {
			keys = append(keys, s)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no secret configured: %w", ErrInvalidCredentials)
	}
	return keys, nil
}

// checkSignatures classifies the outcome of a MAC scheme: read is how many
// signatures of a known version were read, sigs those that decoded.
func checkSignatures(read int, sigs [][]byte, matched func() bool) error {
	switch {
	case read == 0:
		return ErrNoSignature
	case len(sigs) == 0:
		return fmt.Errorf("no signature decodes: %w", ErrMalformed)
	case !matched():
		return ErrMismatch
	}
	return nil
}

// maxUnixDigits bounds timestamps so that arithmetic on them cannot overflow.
const maxUnixDigits = 15

// parseUnix parses Unix seconds: 1 to 15 ASCII digits, nothing else.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > maxUnixDigits {
		return 0, false
	}
	var n int64
	for i := range len(s) {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// checkTimestamp parses raw as Unix seconds and checks it is within
// tolerance seconds of now, in either direction.
func checkTimestamp(raw string, now time.Time, tolerance int) error {
	ts, ok := parseUnix(trimOWS(raw))
	if !ok {
		return fmt.Errorf("timestamp is not Unix seconds: %w", ErrMalformed)
	}
	age := now.Unix() - ts
	tol := int64(tolerance)
	switch {
	case age > tol:
		return fmt.Errorf("timestamp %ds old, tolerance %ds: %w", age, tol, ErrStale)
	case age < -tol:
		return fmt.Errorf("timestamp %ds ahead, tolerance %ds: %w", -age, tol, ErrStale)
	}
	return nil
}

// decodeBase64 accepts standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

func decodeHex(s string) ([]byte, bool) {
	b, err := hex.DecodeString(s)
	return b, err == nil
}

func isListSep(r rune) bool {
	return r == ',' || r == ' ' || r == '\t'
}

// parseSignatureList reads the signatures of a single-value header (GitHub,
// Shopify, Slack, generic hmac): the values of all its lines, split on commas
// and whitespace, at most MaxSignatures of them.
func parseSignatureList(values []string) []string {
	var out []string
	for _, v := range values {
		for tok := range strings.FieldsFuncSeq(v, isListSep) {
			if len(out) == MaxSignatures {
				return out
			}
			out = append(out, tok)
		}
	}
	return out
}

// prefixedSignatures keeps the tokens that start with prefix (ASCII
// case-insensitively), strips it and decodes the rest. It returns how many
// tokens had the prefix and the decoded signatures.
func prefixedSignatures(tokens []string, prefix string, decode func(string) ([]byte, bool)) (int, [][]byte) {
	read := 0
	var sigs [][]byte
	for _, tok := range tokens {
		if len(tok) < len(prefix) || !strings.EqualFold(tok[:len(prefix)], prefix) {
			continue
		}
		read++
		if b, ok := decode(tok[len(prefix):]); ok && len(b) > 0 {
			sigs = append(sigs, b)
		}
	}
	return read, sigs
}
