package verify

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
)

// Defaults of HMACConfig.
const (
	HMACAlgorithmDefault     = "sha256"
	HMACEncodingDefault      = "hex"
	HMACHeaderDefault        = "X-Webhook-Signature"
	HMACSignedContentDefault = "{body}"
	// hmacPrefixMaxLen bounds HMACConfig.Prefix.
	hmacPrefixMaxLen = 64
)

// HMACConfig configures the generic "hmac" scheme. The zero value is valid:
// HMAC-SHA256 of the body, hex, in X-Webhook-Signature.
type HMACConfig struct {
	// Algorithm is "sha256" or "sha512". Default "sha256".
	Algorithm string `json:"algorithm,omitempty"`
	// Encoding of the signature, "hex" or "base64" (standard or URL-safe,
	// padded or not, are accepted when verifying). Default "hex".
	Encoding string `json:"encoding,omitempty"`
	// Header carries the signature. Default "X-Webhook-Signature". It may
	// list several signatures separated by commas or spaces.
	Header string `json:"header,omitempty"`
	// Prefix precedes each signature, e.g. "sha256="; signatures without it
	// are ignored. It may not contain commas or whitespace. Default none.
	Prefix string `json:"prefix,omitempty"`
	// SignedContent is the template of what is signed, over the placeholders
	// {id}, {timestamp} and {body}; everything else is literal. It must
	// contain {body}, and {timestamp} when TimestampHeader is set. Default
	// "{body}".
	SignedContent string `json:"signedContent,omitempty"`
	// IDHeader supplies {id}; required when SignedContent uses {id}.
	// Default none.
	IDHeader string `json:"idHeader,omitempty"`
	// TimestampHeader supplies {timestamp}, in Unix seconds, and turns on
	// the tolerance check. Default none.
	TimestampHeader string `json:"timestampHeader,omitempty"`
	// ToleranceSeconds is how far the timestamp may be from now, either way.
	// Default 300 when TimestampHeader is set; only allowed with it.
	ToleranceSeconds int `json:"toleranceSeconds,omitempty"`
}

// WithDefaults returns c with its empty fields set to their defaults.
func (c HMACConfig) WithDefaults() HMACConfig {
	if c.Algorithm == "" {
		c.Algorithm = HMACAlgorithmDefault
	}
	if c.Encoding == "" {
		c.Encoding = HMACEncodingDefault
	}
	if c.Header == "" {
		c.Header = HMACHeaderDefault
	}
	if c.SignedContent == "" {
		c.SignedContent = HMACSignedContentDefault
	}
	if c.TimestampHeader != "" && c.ToleranceSeconds == 0 {
		c.ToleranceSeconds = ToleranceSecondsDefault
	}
	return c
}

// FieldError is a configuration error naming the offending field, e.g.
// "hmac.algorithm".
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Validate checks c after applying its defaults and returns a *FieldError
// for the first invalid field, or nil.
func (c HMACConfig) Validate() error {
	_, err := c.WithDefaults().compile()
	return err
}

// hmacPlan is a validated, defaulted HMACConfig ready to use.
type hmacPlan struct {
	cfg      HMACConfig
	hash     func() hash.Hash
	template []segment
}

// compile validates a defaulted config.
func (c HMACConfig) compile() (*hmacPlan, error) {
	p := &hmacPlan{cfg: c}
	switch c.Algorithm {
	case "sha256":
		p.hash = sha256.New
	case "sha512":
		p.hash = sha512.New
	default:
		return nil, &FieldError{"hmac.algorithm", "must be sha256 or sha512"}
	}
	if c.Encoding != "hex" && c.Encoding != "base64" {
		return nil, &FieldError{"hmac.encoding", "must be hex or base64"}
	}
	if !isToken(c.Header) {
		return nil, &FieldError{"hmac.header", "must be a header name"}
	}
	if len(c.Prefix) > hmacPrefixMaxLen || strings.ContainsFunc(c.Prefix, func(r rune) bool {
		return r <= ' ' || r == ',' || r >= 0x7f
	}) {
		return nil, &FieldError{"hmac.prefix", "must be at most 64 printable ASCII characters without commas or spaces"}
	}
	if c.IDHeader != "" && !isToken(c.IDHeader) {
		return nil, &FieldError{"hmac.idHeader", "must be a header name"}
	}
	if c.TimestampHeader != "" && !isToken(c.TimestampHeader) {
		return nil, &FieldError{"hmac.timestampHeader", "must be a header name"}
	}
	tmpl, err := parseTemplate(c.SignedContent)
	if err != nil {
		return nil, &FieldError{"hmac.signedContent", err.Error()}
	}
	var hasID, hasTS, hasBody bool
	for _, s := range tmpl {
		hasID = hasID || s.kind == segID
		hasTS = hasTS || s.kind == segTimestamp
		hasBody = hasBody || s.kind == segBody
	}
	switch {
	case !hasBody:
		return nil, &FieldError{"hmac.signedContent", "must contain {body}"}
	case hasID && c.IDHeader == "":
		return nil, &FieldError{"hmac.idHeader", "required when signedContent uses {id}"}
	case !hasID && c.IDHeader != "":
		return nil, &FieldError{"hmac.signedContent", "must contain {id} when idHeader is set"}
	case hasTS && c.TimestampHeader == "":
		return nil, &FieldError{"hmac.timestampHeader", "required when signedContent uses {timestamp}"}
	case !hasTS && c.TimestampHeader != "":
		return nil, &FieldError{"hmac.signedContent", "must contain {timestamp} when timestampHeader is set"}
	case c.ToleranceSeconds < 0:
		return nil, &FieldError{"hmac.toleranceSeconds", "must not be negative"}
	case c.ToleranceSeconds > 0 && c.TimestampHeader == "":
		return nil, &FieldError{"hmac.toleranceSeconds", "requires timestampHeader"}
	}
	p.template = tmpl
	return p, nil
}

type segKind int

const (
	segLiteral segKind = iota
	segID
	segTimestamp
	segBody
)

type segment struct {
	kind    segKind
	literal string
}

// parseTemplate splits a signed-content template into literals and the
// placeholders {id}, {timestamp}, {body}. Any other "{" is an error, so that
// a typo such as {timestmp} is caught rather than signed literally.
func parseTemplate(s string) ([]segment, error) {
	var out []segment
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			out = append(out, segment{kind: segLiteral, literal: s})
			break
		}
		if i > 0 {
			out = append(out, segment{kind: segLiteral, literal: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed { at offset %d", i)
		}
		switch name := s[i+1 : i+j]; name {
		case "id":
			out = append(out, segment{kind: segID})
		case "timestamp":
			out = append(out, segment{kind: segTimestamp})
		case "body":
			out = append(out, segment{kind: segBody})
		default:
			return nil, fmt.Errorf("unknown placeholder at offset %d (use {id}, {timestamp}, {body})", i)
		}
		s = s[i+j+1:]
	}
	return out, nil
}

// content expands the template into the parts to sign.
func (p *hmacPlan) content(id, ts string, body []byte) [][]byte {
	parts := make([][]byte, 0, len(p.template))
	for _, s := range p.template {
		switch s.kind {
		case segLiteral:
			parts = append(parts, []byte(s.literal))
		case segID:
			parts = append(parts, []byte(id))
		case segTimestamp:
			parts = append(parts, []byte(ts))
		case segBody:
			parts = append(parts, body)
		}
	}
	return parts
}

func (p *hmacPlan) decode(s string) ([]byte, bool) {
	if p.cfg.Encoding == "base64" {
		return decodeBase64(s)
	}
	return decodeHex(s)
}

func (p *hmacPlan) encode(sum []byte) string {
	if p.cfg.Encoding == "base64" {
		return base64.StdEncoding.EncodeToString(sum)
	}
	return hex.EncodeToString(sum)
}

func verifyHMAC(creds Credentials, req Request) error {
	p, err := creds.HMAC.WithDefaults().compile()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
	}
	keys, err := usableSecrets(creds.Secrets)
	if err != nil {
		return err
	}
	c := p.cfg
	read, sigs := prefixedSignatures(parseSignatureList(req.Header.Values(c.Header)), c.Prefix, p.decode)
	if read == 0 {
		return ErrNoSignature
	}
	var id, ts string
	if c.IDHeader != "" {
		if id = trimOWS(req.Header.Get(c.IDHeader)); id == "" {
			return fmt.Errorf("id header missing: %w", ErrMalformed)
		}
	}
	if c.TimestampHeader != "" {
		ts = trimOWS(req.Header.Get(c.TimestampHeader))
		if err := checkTimestamp(ts, req.Now, c.ToleranceSeconds); err != nil {
			return err
		}
	}
	return checkSignatures(read, sigs, func() bool {
		return matchMAC(p.hash, keys, sigs, p.content(id, ts, req.Body)...)
	})
}

func signHMAC(cfg HMACConfig, secret []byte, id, ts string, body []byte) (http.Header, error) {
	p, err := cfg.WithDefaults().compile()
	if err != nil {
		return nil, fmt.Errorf("sign hmac: %w: %w", ErrInvalidCredentials, err)
	}
	c := p.cfg
	if c.IDHeader != "" && id == "" {
		return nil, fmt.Errorf("sign hmac: id required by signedContent: %w", ErrMalformed)
	}
	h := http.Header{}
	h.Set(c.Header, c.Prefix+p.encode(macOf(p.hash, secret, p.content(id, ts, body)...)))
	if c.IDHeader != "" {
		h.Set(c.IDHeader, id)
	}
	if c.TimestampHeader != "" {
		h.Set(c.TimestampHeader, ts)
	}
	return h, nil
}

// isToken reports whether s is an HTTP header field name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
