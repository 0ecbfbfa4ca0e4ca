package verify_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/handlers/verify"
)

const (
	swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swV1     = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	swV1a    = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="
	swPub    = "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g="
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestVerifyEdgeCases(t *testing.T) {
	t.Parallel()

	swNow := time.Unix(swTS, 0)
	stripeSecret := []byte("whsec_stripe")
	stripeSig := func(ts string, body string) string {
		h, err := verify.Sign(verify.SchemeStripe, stripeSecret, verify.HMACConfig{}, "", unix(t, ts), []byte(body))
		require.NoError(t, err)
		return h.Get("Stripe-Signature")
	}
	validStripe := stripeSig("1700000000", "{}")
	v1Only := strings.TrimPrefix(validStripe, "t=1700000000,")
	secrets := func(s ...string) verify.Credentials {
		c := verify.Credentials{}
		for _, x := range s {
			c.Secrets = append(c.Secrets, []byte(x))
		}
		return c
	}
	sw := secrets(swSecret)

	tests := []struct {
		name    string
		scheme  string
		creds   verify.Credentials
		header  http.Header
		body    string
		now     time.Time
		wantErr error // nil means success
	}{
		{"sw/valid", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", swV1), swBody, swNow, nil},
		{"sw/svix headers", verify.SchemeStandardWebhooks, sw, hdr("svix-id", swID, "svix-timestamp", "1614265330", "svix-signature", swV1), swBody, swNow, nil},
		{"sw/secret without prefix", verify.SchemeStandardWebhooks, secrets(strings.TrimPrefix(swSecret, "whsec_")), hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", swV1), swBody, swNow, nil},
		{"sw/unknown version ignored", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", "v2,AAAA "+swV1), swBody, swNow, nil},
		{"sw/only unknown version", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", "v2,AAAA v0,BBBB"), swBody, swNow, verify.ErrNoSignature},
		{"sw/several lines", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", "v1,AAAA", "webhook-signature", swV1), swBody, swNow, nil},
		{"sw/v1 and v1a, secret and key", verify.SchemeStandardWebhooks, verify.Credentials{Secrets: [][]byte{[]byte("whsec_AAAA")}, PublicKeys: []string{swPub}}, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", swV1+" "+swV1a), swBody, swNow, nil},
		{"sw/v1a key without prefix", verify.SchemeStandardWebhooks, verify.Credentials{PublicKeys: []string{strings.TrimPrefix(swPub, "whpk_")}}, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", swV1a), swBody, swNow, nil},
		{"sw/v1a bad public key skipped", verify.SchemeStandardWebhooks, verify.Credentials{PublicKeys: []string{"whpk_AAAA", swPub}}, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", swV1a), swBody, swNow, nil},
		{"sw/v1a sig with only secret", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", swV1a), swBody, swNow, verify.ErrMismatch},
		{"sw/missing id", verify.SchemeStandardWebhooks, sw, hdr("webhook-timestamp", "1614265330", "webhook-signature", swV1), swBody, swNow, verify.ErrMalformed},
		{"sw/missing timestamp", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-signature", swV1), swBody, swNow, verify.ErrMalformed},
		{"sw/non-numeric timestamp", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "1614265330.5", "webhook-signature", swV1), swBody, swNow, verify.ErrMalformed},
		{"sw/negative timestamp", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "-1", "webhook-signature", swV1), swBody, swNow, verify.ErrMalformed},
		{"sw/huge timestamp", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "99999999999999999999", "webhook-signature", swV1), swBody, swNow, verify.ErrMalformed},
		{"sw/undecodable signature", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", "v1,!!!"), swBody, swNow, verify.ErrMalformed},
		{"sw/wrong-length signature", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID, "webhook-timestamp", "1614265330", "webhook-signature", "v1,AAAA"), swBody, swNow, verify.ErrMalformed},
		{"sw/id tampered", verify.SchemeStandardWebhooks, sw, hdr("webhook-id", swID+"x", "webhook-timestamp", "1614265330", "webhook-signature", swV1), swBody, swNow, verify.ErrMismatch},
		{"sw/no credentials", verify.SchemeStandardWebhooks, verify.Credentials{}, hdr("webhook-signature", swV1), swBody, swNow, verify.ErrInvalidCredentials},
		{"sw/undecodable whsec", verify.SchemeStandardWebhooks, secrets("whsec_!!!"), hdr("webhook-signature", swV1), swBody, swNow, verify.ErrInvalidCredentials},
		{"sw/no header at all", verify.SchemeStandardWebhooks, sw, nil, swBody, swNow, verify.ErrNoSignature},

		{"stripe/valid", verify.SchemeStripe, secrets("whsec_stripe"), hdr("Stripe-Signature", validStripe), "{}", unix(t, "1700000000"), nil},
		{"stripe/v0 ignored", verify.SchemeStripe, secrets("whsec_stripe"), hdr("Stripe-Signature", "t=1700000000,v0=deadbeef,"+v1Only), "{}", unix(t, "1700000000"), nil},
		{"stripe/spaces tolerated", verify.SchemeStripe, secrets("whsec_stripe"), hdr("Stripe-Signature", " t=1700000000 , "+v1Only+" "), "{}", unix(t, "1700000000"), nil},
		{"stripe/only v0", verify.SchemeStripe, secrets("whsec_stripe"), hdr("Stripe-Signature", "t=1700000000,v0=deadbeef"), "{}", unix(t, "1700000000"), verify.ErrNoSignature},
		{"stripe/missing t", verify.SchemeStripe, secrets("whsec_stripe"), hdr("Stripe-Signature", v1Only), "{}", unix(t, "1700000000"), verify.ErrMalformed},
		{"stripe/bad hex", verify.SchemeStripe, secrets("whsec_stripe"), hdr("Stripe-Signature", "t=1700000000,v1=zz"), "{}", unix(t, "1700000000"), verify.ErrMalformed},
		{"stripe/t tampered", verify.SchemeStripe, secrets("whsec_stripe"), hdr("Stripe-Signature", "t=1700000001,"+v1Only), "{}", unix(t, "1700000000"), verify.ErrMismatch},
		{"stripe/secret not base64-decoded", verify.SchemeStripe, secrets("stripe"), hdr("Stripe-Signature", validStripe), "{}", unix(t, "1700000000"), verify.ErrMismatch},
		{"stripe/empty secret", verify.SchemeStripe, secrets(""), hdr("Stripe-Signature", validStripe), "{}", unix(t, "1700000000"), verify.ErrInvalidCredentials},

		{"github/uppercase hex", verify.SchemeGitHub, secrets("It's a Secret to Everybody"), hdr("X-Hub-Signature-256", "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"), "Hello, World!", time.Now(), nil},
		{"github/sha1 only", verify.SchemeGitHub, secrets("It's a Secret to Everybody"), hdr("X-Hub-Signature", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"), "Hello, World!", time.Now(), verify.ErrNoSignature},
		{"github/no prefix", verify.SchemeGitHub, secrets("It's a Secret to Everybody"), hdr("X-Hub-Signature-256", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"), "Hello, World!", time.Now(), verify.ErrNoSignature},
		{"github/no secret", verify.SchemeGitHub, verify.Credentials{}, hdr("X-Hub-Signature-256", "sha256=00"), "Hello, World!", time.Now(), verify.ErrInvalidCredentials},

		{"slack/missing timestamp", verify.SchemeSlack, secrets("8f742231b10e8888abcd99yyyzzz85a5"), hdr("X-Slack-Signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"), slackBody, unix(t, "1531420618"), verify.ErrMalformed},

		{"hmac/empty scheme is hmac", "", verify.Credentials{Secrets: [][]byte{[]byte("k")}}, hdr("X-Webhook-Signature", "nothex"), "b", time.Now(), verify.ErrMalformed},
		{"hmac/invalid config", verify.SchemeHMAC, verify.Credentials{Secrets: [][]byte{[]byte("k")}, HMAC: verify.HMACConfig{Algorithm: "md5"}}, hdr("X-Webhook-Signature", "00"), "b", time.Now(), verify.ErrInvalidCredentials},
		{"hmac/prefix missing", verify.SchemeHMAC, verify.Credentials{Secrets: [][]byte{[]byte("k")}, HMAC: verify.HMACConfig{Prefix: "sha256="}}, hdr("X-Webhook-Signature", "00"), "b", time.Now(), verify.ErrNoSignature},
		{"hmac/id header missing", verify.SchemeHMAC, verify.Credentials{Secrets: [][]byte{[]byte("k")}, HMAC: verify.HMACConfig{SignedContent: "{id}:{body}", IDHeader: "X-Id"}}, hdr("X-Webhook-Signature", "00"), "b", time.Now(), verify.ErrMalformed},

		{"unknown scheme", "md5", sw, hdr(), "", time.Now(), verify.ErrUnknownScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := verify.Verify(tt.scheme, tt.creds, verify.Request{Header: tt.header, Body: []byte(tt.body), Now: tt.now})
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			for _, other := range []error{verify.ErrNoSignature, verify.ErrMalformed, verify.ErrMismatch, verify.ErrStale, verify.ErrUnknownScheme, verify.ErrInvalidCredentials} {
				if !errors.Is(other, tt.wantErr) {
					require.NotErrorIs(t, err, other, "error must wrap exactly one sentinel")
				}
			}
		})
	}
}

func unix(t *testing.T, s string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err)
	return time.Unix(n, 0)
}

func TestVerifyZeroNowUsesClock(t *testing.T) {
	t.Parallel()

	secret := []byte("k")
	h, err := verify.Sign(verify.SchemeSlack, secret, verify.HMACConfig{}, "", time.Now(), []byte("b"))
	require.NoError(t, err)
	require.NoError(t, verify.Verify(verify.SchemeSlack, verify.Credentials{Secrets: [][]byte{secret}}, verify.Request{Header: h, Body: []byte("b")}))

	h, err = verify.Sign(verify.SchemeSlack, secret, verify.HMACConfig{}, "", time.Now().Add(-time.Hour), []byte("b"))
	require.NoError(t, err)
	err = verify.Verify(verify.SchemeSlack, verify.Credentials{Secrets: [][]byte{secret}}, verify.Request{Header: h, Body: []byte("b")})
	require.ErrorIs(t, err, verify.ErrStale)
	require.Contains(t, err.Error(), "old")
}

func TestSignErrors(t *testing.T) {
	t.Parallel()

	now := time.Unix(1700000000, 0)
	tests := []struct {
		name    string
		scheme  string
		secret  string
		cfg     verify.HMACConfig
		id      string
		ts      time.Time
		wantErr error
	}{
		{"empty secret", verify.SchemeGitHub, "", verify.HMACConfig{}, "", now, verify.ErrInvalidCredentials},
		{"unknown scheme", "sha1", "s", verify.HMACConfig{}, "", now, verify.ErrUnknownScheme},
		{"sw without id", verify.SchemeStandardWebhooks, swSecret, verify.HMACConfig{}, "", now, verify.ErrMalformed},
		{"sw bad secret", verify.SchemeStandardWebhooks, "whsec_!!", verify.HMACConfig{}, "id", now, verify.ErrInvalidCredentials},
		{"id with newline", verify.SchemeGitHub, "s", verify.HMACConfig{}, "a\r\nX-Evil: 1", now, verify.ErrMalformed},
		{"ts before 1970", verify.SchemeStripe, "s", verify.HMACConfig{}, "", time.Unix(-1, 0), verify.ErrMalformed},
		{"hmac invalid config", verify.SchemeHMAC, "s", verify.HMACConfig{Encoding: "base32"}, "", now, verify.ErrInvalidCredentials},
		{"hmac id required", verify.SchemeHMAC, "s", verify.HMACConfig{SignedContent: "{id}{body}", IDHeader: "X-Id"}, "", now, verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := verify.Sign(tt.scheme, []byte(tt.secret), tt.cfg, tt.id, tt.ts, []byte("body"))
			require.ErrorIs(t, err, tt.wantErr)
		})
	}

	_, err := verify.SignV1a(ed25519.PrivateKey("short"), "id", now, nil)
	require.ErrorIs(t, err, verify.ErrInvalidCredentials)
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	_, err = verify.SignV1a(priv, "", now, nil)
	require.ErrorIs(t, err, verify.ErrMalformed)
}

func TestSignVerifyRoundTripEveryScheme(t *testing.T) {
	t.Parallel()

	now := time.Unix(1700000000, 0)
	body := []byte(`{"id":"evt_1"}`)
	for _, scheme := range verify.Schemes() {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			secret, err := verify.GenerateSecret(scheme)
			require.NoError(t, err)
			h, err := verify.Sign(scheme, []byte(secret), verify.HMACConfig{}, "msg_1", now, body)
			require.NoError(t, err)
			creds := verify.Credentials{Secrets: [][]byte{[]byte(secret)}}
			require.NoError(t, verify.Verify(scheme, creds, verify.Request{Header: h, Body: body, Now: now}))
			for _, name := range verify.SignatureHeaders(scheme, verify.HMACConfig{}) {
				h.Del(name)
			}
			require.ErrorIs(t, verify.Verify(scheme, creds, verify.Request{Header: h, Body: body, Now: now}), verify.ErrNoSignature)
		})
	}
}

func TestHMACConfigValidate(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		cfg       verify.HMACConfig
		wantField string // "" means valid
	}{
		{"zero value", verify.HMACConfig{}, ""},
		{"full", verify.HMACConfig{Algorithm: "sha512", Encoding: "base64", Header: "X-Sig", Prefix: "sha512=", SignedContent: "{id}.{timestamp}.{body}", IDHeader: "X-Id", TimestampHeader: "X-Ts", ToleranceSeconds: 60}, ""},
		{"algorithm", verify.HMACConfig{Algorithm: "sha1"}, "hmac.algorithm"},
		{"algorithm case", verify.HMACConfig{Algorithm: "SHA256"}, "hmac.algorithm"},
		{"encoding", verify.HMACConfig{Encoding: "base32"}, "hmac.encoding"},
		{"header", verify.HMACConfig{Header: "X Sig"}, "hmac.header"},
		{"prefix space", verify.HMACConfig{Prefix: "sha256 ="}, "hmac.prefix"},
		{"prefix comma", verify.HMACConfig{Prefix: "v1,"}, "hmac.prefix"},
		{"prefix too long", verify.HMACConfig{Prefix: strings.Repeat("p", 65)}, "hmac.prefix"},
		{"no body", verify.HMACConfig{SignedContent: "{id}", IDHeader: "X-Id"}, "hmac.signedContent"},
		{"unknown placeholder", verify.HMACConfig{SignedContent: "{timestmp}.{body}"}, "hmac.signedContent"},
		{"unclosed brace", verify.HMACConfig{SignedContent: "{body"}, "hmac.signedContent"},
		{"id without header", verify.HMACConfig{SignedContent: "{id}.{body}"}, "hmac.idHeader"},
		{"id header unused", verify.HMACConfig{IDHeader: "X-Id"}, "hmac.signedContent"},
		{"bad id header", verify.HMACConfig{SignedContent: "{id}.{body}", IDHeader: "X:Id"}, "hmac.idHeader"},
		{"timestamp without header", verify.HMACConfig{SignedContent: "{timestamp}.{body}"}, "hmac.timestampHeader"},
		{"timestamp header unsigned", verify.HMACConfig{TimestampHeader: "X-Ts"}, "hmac.signedContent"},
		{"bad timestamp header", verify.HMACConfig{SignedContent: "{timestamp}.{body}", TimestampHeader: "X Ts"}, "hmac.timestampHeader"},
		{"negative tolerance", verify.HMACConfig{SignedContent: "{timestamp}.{body}", TimestampHeader: "X-Ts", ToleranceSeconds: -1}, "hmac.toleranceSeconds"},
		{"tolerance without header", verify.HMACConfig{ToleranceSeconds: 60}, "hmac.toleranceSeconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if tt.wantField == "" {
				require.NoError(t, err)
				return
			}
			var fe *verify.FieldError
			require.True(t, errors.As(err, &fe), "want *FieldError, got %v", err)
			require.Equal(t, tt.wantField, fe.Field)
			require.True(t, strings.HasPrefix(err.Error(), tt.wantField+": "))
		})
	}
}

func TestHMACConfigWithDefaults(t *testing.T) {
	t.Parallel()

	require.Equal(t, verify.HMACConfig{Algorithm: "sha256", Encoding: "hex", Header: "X-Webhook-Signature", SignedContent: "{body}"},
		verify.HMACConfig{}.WithDefaults())
	c := verify.HMACConfig{TimestampHeader: "X-Ts"}.WithDefaults()
	require.Equal(t, 300, c.ToleranceSeconds)
	c = verify.HMACConfig{TimestampHeader: "X-Ts", ToleranceSeconds: 30, Algorithm: "sha512"}.WithDefaults()
	require.Equal(t, 30, c.ToleranceSeconds)
	require.Equal(t, "sha512", c.Algorithm)
}

func TestParseBasic(t *testing.T) {
	t.Parallel()

	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name       string
		in         string
		user, pass string
		ok         bool
	}{
		{"plain", "Basic " + b64("alice:s3cret"), "alice", "s3cret", true},
		{"lowercase scheme", "basic " + b64("alice:s3cret"), "alice", "s3cret", true},
		{"uppercase scheme", "BASIC " + b64("alice:s3cret"), "alice", "s3cret", true},
		{"surrounding spaces", "  Basic   " + b64("alice:s3cret") + "  ", "alice", "s3cret", true},
		{"tab separator", "Basic\t" + b64("alice:s3cret"), "alice", "s3cret", true},
		{"first colon", "Basic " + b64("alice:pa:ss:word"), "alice", "pa:ss:word", true},
		{"empty password", "Basic " + b64("alice:"), "alice", "", true},
		{"empty user", "Basic " + b64(":pw"), "", "pw", true},
		{"unpadded", "Basic " + strings.TrimRight(b64("alice:pw1"), "="), "alice", "pw1", true},
		{"utf-8", "Basic " + b64("jürgen:pässwört"), "jürgen", "pässwört", true},
		{"no colon", "Basic " + b64("alice"), "", "", false},
		{"not base64", "Basic !!!", "", "", false},
		{"bearer", "Bearer " + b64("alice:pw"), "", "", false},
		{"no space", "Basic" + b64("alice:pw"), "", "", false},
		{"scheme only", "Basic", "", "", false},
		{"scheme and spaces", "Basic    ", "", "", false},
		{"empty", "", "", "", false},
		{"basically", "Basically " + b64("a:b"), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			user, pass, ok := verify.ParseBasic(tt.in)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.user, user)
			require.Equal(t, tt.pass, pass)
		})
	}
}

func TestDeliveryID(t *testing.T) {
	t.Parallel()

	stripeBody := `{"object":"event","data":{"object":{"id":"pi_inner"}},"list":[1,{"id":"x"}],"id":"evt_123"}`
	tests := []struct {
		name   string
		scheme string
		header http.Header
		body   string
		dedup  string
		want   string
	}{
		{"configured header first", verify.SchemeGitHub, hdr("X-Request-Id", "custom", "X-GitHub-Delivery", "gh"), "", "X-Request-Id", "custom"},
		{"configured header absent falls through", verify.SchemeGitHub, hdr("X-GitHub-Delivery", "gh"), "", "X-Request-Id", "gh"},
		{"webhook-id before svix-id", verify.SchemeStandardWebhooks, hdr("svix-id", "svix", "webhook-id", "wh"), "", "", "wh"},
		{"svix-id", verify.SchemeStandardWebhooks, hdr("svix-id", "svix"), "", "", "svix"},
		{"github", verify.SchemeGitHub, hdr("X-GitHub-Delivery", "gh", "Idempotency-Key", "idem"), "", "", "gh"},
		{"shopify", verify.SchemeShopify, hdr("X-Shopify-Webhook-Id", "shop", "Idempotency-Key", "idem"), "", "", "shop"},
		{"idempotency key", verify.SchemeHMAC, hdr("Idempotency-Key", " idem "), "", "", "idem"},
		{"header beats stripe body", verify.SchemeStripe, hdr("Idempotency-Key", "idem"), stripeBody, "", "idem"},
		{"stripe body id", verify.SchemeStripe, nil, stripeBody, "", "evt_123"},
		{"stripe body id first", verify.SchemeStripe, nil, `{"id":"evt_1","rest":[}`, "", "evt_1"},
		{"body id only for stripe", verify.SchemeHMAC, nil, stripeBody, "", ""},
		{"stripe id not a string", verify.SchemeStripe, nil, `{"id":42}`, "", ""},
		{"stripe nested id only", verify.SchemeStripe, nil, `{"data":{"id":"x"}}`, "", ""},
		{"stripe malformed", verify.SchemeStripe, nil, `{"object":`, "", ""},
		{"stripe array", verify.SchemeStripe, nil, `[{"id":"x"}]`, "", ""},
		{"stripe empty", verify.SchemeStripe, nil, ``, "", ""},
		{"none", verify.SchemeGitHub, hdr("Content-Type", "application/json"), `{"id":"x"}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, verify.DeliveryID(tt.scheme, tt.header, []byte(tt.body), tt.dedup))
		})
	}
}

func TestGenerateSecret(t *testing.T) {
	t.Parallel()

	for _, scheme := range verify.Schemes() {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			a, err := verify.GenerateSecret(scheme)
			require.NoError(t, err)
			b, err := verify.GenerateSecret(scheme)
			require.NoError(t, err)
			require.NotEqual(t, a, b)
			var raw []byte
			if scheme == verify.SchemeStandardWebhooks {
				require.True(t, strings.HasPrefix(a, "whsec_"))
				raw, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
			} else {
				require.True(t, strings.HasPrefix(a, "hs_"))
				raw, err = base64.RawURLEncoding.DecodeString(strings.TrimPrefix(a, "hs_"))
			}
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(raw), 32)
		})
	}
	_, err := verify.GenerateSecret("nope")
	require.ErrorIs(t, err, verify.ErrUnknownScheme)
}

func TestSignatureHeaders(t *testing.T) {
	t.Parallel()

	tests := []struct {
		scheme string
		cfg    verify.HMACConfig
		want   []string
	}{
		{verify.SchemeHMAC, verify.HMACConfig{}, []string{"X-Webhook-Signature"}},
		{verify.SchemeHMAC, verify.HMACConfig{Header: "x-acme-sig"}, []string{"X-Acme-Sig"}},
		{verify.SchemeStandardWebhooks, verify.HMACConfig{}, []string{"Webhook-Signature", "Svix-Signature"}},
		{verify.SchemeGitHub, verify.HMACConfig{}, []string{"X-Hub-Signature-256"}},
		{verify.SchemeStripe, verify.HMACConfig{}, []string{"Stripe-Signature"}},
		{verify.SchemeShopify, verify.HMACConfig{}, []string{"X-Shopify-Hmac-Sha256"}},
		{verify.SchemeSlack, verify.HMACConfig{}, []string{"X-Slack-Signature"}},
		{"nope", verify.HMACConfig{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.scheme, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, verify.SignatureHeaders(tt.scheme, tt.cfg))
		})
	}
}
