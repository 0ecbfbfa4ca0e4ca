package verify

import (
	"encoding/base64"
	"strings"
)

// ParseBasic parses an Authorization header value "Basic base64(user:pass)".
// The scheme name is case-insensitive, surrounding spaces are tolerated, the
// base64 may be unpadded, and the credentials split on the first colon (so
// a password may contain colons). ok is false for anything else. It never
// panics.
func ParseBasic(authorization string) (user, pass string, ok bool) {
	const scheme = "basic"
	s := strings.TrimSpace(authorization)
	if len(s) <= len(scheme) || !strings.EqualFold(s[:len(scheme)], scheme) {
		return "", "", false
	}
	if c := s[len(scheme)]; c != ' ' && c != '\t' {
		return "", "", false
	}
	enc := strings.TrimSpace(s[len(scheme):])
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(enc); err != nil {
			return "", "", false
		}
	}
	user, pass, ok = strings.Cut(string(raw), ":")
	if !ok {
		return "", "", false
	}
	return user, pass, true
}
