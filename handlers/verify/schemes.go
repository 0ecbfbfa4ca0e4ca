package verify

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
)

// standardContent is the Standard Webhooks signed content "{id}.{ts}.{body}".
func standardContent(id, ts string, body []byte) []byte {
	b := make([]byte, 0, len(id)+len(ts)+2+len(body))
	b = append(b, id...)
	b = append(b, '.')
	b = append(b, ts...)
	b = append(b, '.')
	return append(b, body...)
}

// decodeStandardSecret decodes a Standard Webhooks secret: "whsec_" +
// base64(key). A secret without the prefix is base64-decoded too, and used
// as it is when it is not base64.
func decodeStandardSecret(secret []byte) ([]byte, bool) {
	s := string(secret)
	rest, hadPrefix := strings.CutPrefix(s, SecretPrefix)
	if key, ok := decodeBase64(rest); ok && len(key) > 0 {
		return key, true
	}
	if hadPrefix || len(secret) == 0 {
		return nil, false
	}
	return secret, true
}

// decodePublicKey decodes "whpk_" + base64(32 bytes); the prefix is optional.
func decodePublicKey(s string) (ed25519.PublicKey, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), PublicKeyPrefix)
	b, ok := decodeBase64(s)
	if !ok || len(b) != ed25519.PublicKeySize {
		return nil, false
	}
	return ed25519.PublicKey(b), true
}

// standardEntry is one "version,signature" entry of webhook-signature.
type standardEntry struct {
	Version   string
	Signature string
}

// parseStandardWebhooksHeader splits webhook-signature values into at most
// MaxSignatures space-separated entries "version,base64". An entry without
// a comma has an empty Signature.
func parseStandardWebhooksHeader(values []string) []standardEntry {
	var out []standardEntry
	for _, v := range values {
		for field := range strings.FieldsSeq(v) {
			if len(out) == MaxSignatures {
				return out
			}
			version, sig, _ := strings.Cut(field, ",")
			out = append(out, standardEntry{Version: version, Signature: sig})
		}
	}
	return out
}

func verifyStandardWebhooks(creds Credentials, req Request) error {
	var keys [][]byte
	for _, s := range creds.Secrets {
		if key, ok := decodeStandardSecret(s); ok {
			keys = append(keys, key)
		}
	}
	var pubs []ed25519.PublicKey
	for _, s := range creds.PublicKeys {
		if pub, ok := decodePublicKey(s); ok {
			pubs = append(pubs, pub)
		}
	}
	if len(keys) == 0 && len(pubs) == 0 {
		return fmt.Errorf("no usable whsec_ secret or whpk_ public key: %w", ErrInvalidCredentials)
	}

	idName, tsName, sigName := HeaderWebhookID, HeaderWebhookTimestamp, HeaderWebhookSignature
	if len(req.Header.Values(sigName)) == 0 {
		idName, tsName, sigName = HeaderSvixID, HeaderSvixTimestamp, HeaderSvixSignature
	}
	entries := parseStandardWebhooksHeader(req.Header.Values(sigName))
	var v1, v1a [][]byte
	read := 0
	for _, e := range entries {
		switch e.Version {
		case "v1", "v1a":
			read++
		default:
			continue // unknown version
		}
		sig, ok := decodeBase64(e.Signature)
		switch {
		case !ok:
		case e.Version == "v1" && len(sig) == sha256.Size:
			v1 = append(v1, sig)
		case e.Version == "v1a" && len(sig) == ed25519.SignatureSize:
			v1a = append(v1a, sig)
		}
	}
	if read == 0 {
		return ErrNoSignature
	}
	id := trimOWS(req.Header.Get(idName))
	if id == "" {
		return fmt.Errorf("%s missing: %w", strings.ToLower(idName), ErrMalformed)
	}
	ts := trimOWS(req.Header.Get(tsName))
	if err := checkTimestamp(ts, req.Now, ToleranceSecondsDefault); err != nil {
		return err
	}
	return checkSignatures(read, append(v1[:len(v1):len(v1)], v1a...), func() bool {
		content := standardContent(id, ts, req.Body)
		if matchMAC(sha256.New, keys, v1, content) {
			return true
		}
		for _, pub := range pubs {
			for _, sig := range v1a {
				if ed25519.Verify(pub, content, sig) {
					return true
				}
			}
		}
		return false
	})
}

func verifyGitHub(creds Credentials, req Request) error {
	return verifyBodyMAC(creds, req.Header, HeaderGitHubSignature256, "sha256=", decodeHex, req.Body)
}

func verifyShopify(creds Credentials, req Request) error {
	return verifyBodyMAC(creds, req.Header, HeaderShopifyHMAC, "", decodeBase64, req.Body)
}

// verifyBodyMAC verifies an HMAC-SHA256 over the body alone.
func verifyBodyMAC(creds Credentials, h http.Header, name, prefix string, decode func(string) ([]byte, bool), body []byte) error {
	keys, err := usableSecrets(creds.Secrets)
	if err != nil {
		return err
	}
	read, sigs := prefixedSignatures(parseSignatureList(h.Values(name)), prefix, decode)
	return checkSignatures(read, sigs, func() bool { return matchMAC(sha256.New, keys, sigs, body) })
}

func verifySlack(creds Credentials, req Request) error {
	keys, err := usableSecrets(creds.Secrets)
	if err != nil {
		return err
	}
	read, sigs := prefixedSignatures(parseSignatureList(req.Header.Values(HeaderSlackSignature)), "v0=", decodeHex)
	if read == 0 {
		return ErrNoSignature
	}
	ts := trimOWS(req.Header.Get(HeaderSlackRequestTimestamp))
	if err := checkTimestamp(ts, req.Now, ToleranceSecondsDefault); err != nil {
		return err
	}
	return checkSignatures(read, sigs, func() bool {
		return matchMAC(sha256.New, keys, sigs, []byte("v0:"+ts+":"), req.Body)
	})
}

// stripeEntry is one "key=value" signature entry of Stripe-Signature.
type stripeEntry struct {
	Scheme string
	Value  string
}

// parseStripeHeader splits Stripe-Signature "t=...,v1=...,v0=..." into the
// first timestamp (empty when none) and at most MaxSignatures signature
// entries (every key other than "t"). Lines of a repeated header are joined.
func parseStripeHeader(values []string) (ts string, sigs []stripeEntry) {
	seenT := false
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			item = trimOWS(item)
			if item == "" {
				continue
			}
			key, val, _ := strings.Cut(item, "=")
			key, val = trimOWS(key), trimOWS(val)
			if key == "t" {
				if !seenT {
					ts, seenT = val, true
				}
				continue
			}
			if len(sigs) < MaxSignatures {
				sigs = append(sigs, stripeEntry{Scheme: key, Value: val})
			}
		}
	}
	return ts, sigs
}

func verifyStripe(creds Credentials, req Request) error {
	keys, err := usableSecrets(creds.Secrets)
	if err != nil {
		return err
	}
	ts, entries := parseStripeHeader(req.Header.Values(HeaderStripeSignature))
	read := 0
	var sigs [][]byte
	for _, e := range entries {
		if e.Scheme != "v1" {
			continue // v0 and unknown schemes
		}
		read++
		if b, ok := decodeHex(e.Value); ok && len(b) > 0 {
			sigs = append(sigs, b)
		}
	}
	if read == 0 {
		return ErrNoSignature
	}
	if ts == "" {
		return fmt.Errorf("t= missing: %w", ErrMalformed)
	}
	if err := checkTimestamp(ts, req.Now, ToleranceSecondsDefault); err != nil {
		return err
	}
	return checkSignatures(read, sigs, func() bool {
		return matchMAC(sha256.New, keys, sigs, []byte(ts), dot, req.Body)
	})
}
