package verify_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream/handlers/verify"
)

var update = flag.Bool("update", false, "regenerate testdata/signatures/vectors.json from Sign")

var vectorsPath = filepath.Join("..", "..", "testdata", "signatures", "vectors.json")

// vector is one known-answer signature vector in vectors.json.
type vector struct {
	Name   string `json:"name"`
	Scheme string `json:"scheme"`
	// Published marks vectors whose headers come from the provider's own
	// documentation; they are fixed here, never regenerated.
	Published bool               `json:"published,omitempty"`
	Secret    string             `json:"secret,omitempty"`
	Seed      string             `json:"seed,omitempty"`      // v1a: base64 Ed25519 seed
	PublicKey string             `json:"publicKey,omitempty"` // v1a: whpk_ key of Seed
	HMAC      *verify.HMACConfig `json:"hmac,omitempty"`
	ID        string             `json:"id,omitempty"`
	Timestamp int64              `json:"timestamp"`
	Body      string             `json:"body"`
	Headers   map[string]string  `json:"headers"`
}

const (
	swID   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTS   = 1614265330
	swBody = `{"test": 2432232314}`

	slackBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)

// vectorInputs are the inputs of vectors.json; Headers are filled by Sign,
// except for published vectors, which carry the provider's published answer.
func vectorInputs() []vector {
	return []vector{
		{
			Name: "github-published", Scheme: verify.SchemeGitHub, Published: true,
			Secret: "It's a Secret to Everybody", Body: "Hello, World!",
			Headers: map[string]string{"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		},
		{
			Name: "standard-webhooks-v1-published", Scheme: verify.SchemeStandardWebhooks, Published: true,
			Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ID: swID, Timestamp: swTS, Body: swBody,
			Headers: map[string]string{
				"Webhook-Id": swID, "Webhook-Timestamp": "1614265330",
				"Webhook-Signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
			},
		},
		{
			Name: "standard-webhooks-v1a-published", Scheme: verify.SchemeStandardWebhooks, Published: true,
			Seed: "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=", PublicKey: "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=",
			ID: swID, Timestamp: swTS, Body: swBody,
			Headers: map[string]string{
				"Webhook-Id": swID, "Webhook-Timestamp": "1614265330",
				"Webhook-Signature": "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==",
			},
		},
		{
			Name: "slack-published", Scheme: verify.SchemeSlack, Published: true,
			Secret: "8f742231b10e8888abcd99yyyzzz85a5", Timestamp: 1531420618, Body: slackBody,
			Headers: map[string]string{
				"X-Slack-Request-Timestamp": "1531420618",
				"X-Slack-Signature":         "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
			},
		},
		{
			Name: "github-json-with-delivery", Scheme: verify.SchemeGitHub,
			Secret: "gh_webhook_secret_0123456789", ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Timestamp: 1700000000,
			Body: `{"action":"opened","number":1,"pull_request":{"title":"Ünïcödé ✓"}}`,
		},
		{
			Name: "standard-webhooks-v1-generated", Scheme: verify.SchemeStandardWebhooks,
			Secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", ID: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
			Timestamp: 1700000000, Body: `{"type":"invoice.paid","data":{"amount":4200}}`,
		},
		{
			Name: "stripe", Scheme: verify.SchemeStripe,
			Secret: "whsec_test_5f2b1c9a8e7d6c5b4a3f2e1d0c9b8a7f", Timestamp: 1700000000,
			Body: `{"id":"evt_1NqIbdLkdIwHu7ix0OfHWfTz","object":"event","type":"payment_intent.succeeded"}`,
		},
		{
			Name: "shopify", Scheme: verify.SchemeShopify,
			Secret: "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", ID: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", Timestamp: 1700000000,
			Body: `{"id":820982911946154508,"email":"jon@example.com","total_price":"199.00"}`,
		},
		{
			Name: "slack-generated", Scheme: verify.SchemeSlack,
			Secret: "slack_signing_secret_abcdef0123456789", Timestamp: 1700000000,
			Body: `{"type":"event_callback","event":{"type":"app_mention","text":"hi"}}`,
		},
		{
			Name: "hmac-default", Scheme: verify.SchemeHMAC,
			Secret: "hs_tW8m0pJq3yZc6LrVb1NfXe4KdGu7HsAi9oQl2RjT5wE", Timestamp: 1700000000,
			Body: `{"event":"order.created","id":17}`,
		},
		{
			Name: "hmac-sha512-base64-prefix", Scheme: verify.SchemeHMAC,
			Secret: "another-generic-secret", Timestamp: 1700000000,
			HMAC: &verify.HMACConfig{Algorithm: "sha512", Encoding: "base64", Header: "X-Signature", Prefix: "sha512="},
			Body: "plain text body\nwith two lines",
		},
		{
			Name: "hmac-id-timestamp-template", Scheme: verify.SchemeHMAC,
			Secret: "template-secret-0123456789abcdef", ID: "evt_01HXYZ", Timestamp: 1700000000,
			HMAC: &verify.HMACConfig{
				Header: "X-Acme-Signature", Prefix: "v1=", SignedContent: "{id}.{timestamp}.{body}",
				IDHeader: "X-Acme-Id", TimestampHeader: "X-Acme-Timestamp", ToleranceSeconds: 600,
			},
			Body: `{"hello":"world"}`,
		},
	}
}

// hmacCfg returns the vector's generic-scheme config.
func (v vector) hmacCfg() verify.HMACConfig {
	if v.HMAC == nil {
		return verify.HMACConfig{}
	}
	return *v.HMAC
}

// v1a reports whether the vector is Ed25519-signed.
func (v vector) v1a() bool { return v.Seed != "" }

// sign computes the vector's headers with Sign or SignV1a.
func (v vector) sign(t *testing.T) http.Header {
	t.Helper()
	ts := time.Unix(v.Timestamp, 0)
	if v.v1a() {
		h, err := verify.SignV1a(v.privateKey(t), v.ID, ts, []byte(v.Body))
		require.NoError(t, err)
		return h
	}
	h, err := verify.Sign(v.Scheme, []byte(v.Secret), v.hmacCfg(), v.ID, ts, []byte(v.Body))
	require.NoError(t, err)
	return h
}

func (v vector) privateKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	seed, err := base64.StdEncoding.DecodeString(v.Seed)
	require.NoError(t, err)
	return ed25519.NewKeyFromSeed(seed)
}

func (v vector) creds() verify.Credentials {
	if v.v1a() {
		return verify.Credentials{PublicKeys: []string{v.PublicKey}}
	}
	return verify.Credentials{Secrets: [][]byte{[]byte(v.Secret)}, HMAC: v.hmacCfg()}
}

func (v vector) header() http.Header {
	h := http.Header{}
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	return h
}

func (v vector) timestamped() bool {
	switch v.Scheme {
	case verify.SchemeStandardWebhooks, verify.SchemeStripe, verify.SchemeSlack:
		return true
	case verify.SchemeHMAC:
		return v.hmacCfg().TimestampHeader != ""
	}
	return false
}

func flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vals := range h {
		out[k] = strings.Join(vals, ", ")
	}
	return out
}

// generateVectors builds vectors.json's content from vectorInputs and Sign.
func generateVectors(t *testing.T) []vector {
	t.Helper()
	vs := vectorInputs()
	for i, v := range vs {
		got := flatten(v.sign(t))
		if v.Published {
			require.Equal(t, v.Headers, got, "%s: Sign disagrees with the published vector", v.Name)
		}
		if v.v1a() {
			require.Equal(t, verify.EncodePublicKey(v.privateKey(t).Public().(ed25519.PublicKey)), v.PublicKey, v.Name)
		}
		vs[i].Headers = got
	}
	return vs
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath)
	require.NoError(t, err)
	var vs []vector
	require.NoError(t, json.Unmarshal(raw, &vs))
	require.NotEmpty(t, vs)
	return vs
}

// TestVectorsDrift always runs: vectors.json must be exactly what Sign
// produces from vectorInputs. Regenerate with
// go test ./handlers/verify -run TestVectorsDrift -update.
func TestVectorsDrift(t *testing.T) {
	t.Parallel()

	want := generateVectors(t)
	if *update {
		raw, err := json.MarshalIndent(want, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(vectorsPath), 0o755))
		require.NoError(t, os.WriteFile(vectorsPath, append(raw, '\n'), 0o644))
	}
	require.Equal(t, want, loadVectors(t), "vectors.json drifted from Sign; rerun with -update if intended")
}

// TestVectorsCoverEverySchemeAndPublished checks the file holds a vector for
// every scheme and the published vectors verbatim.
func TestVectorsCoverEverySchemeAndPublished(t *testing.T) {
	t.Parallel()

	vs := loadVectors(t)
	schemes := map[string]bool{}
	byName := map[string]vector{}
	for _, v := range vs {
		schemes[v.Scheme] = true
		byName[v.Name] = v
	}
	for _, s := range verify.Schemes() {
		require.True(t, schemes[s], "no vector for scheme %s", s)
	}
	require.Equal(t, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
		byName["github-published"].Headers["X-Hub-Signature-256"])
	require.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		byName["standard-webhooks-v1-published"].Headers["Webhook-Signature"])
	require.Equal(t, "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==",
		byName["standard-webhooks-v1a-published"].Headers["Webhook-Signature"])
}

// otherSecret returns a valid secret of the same kind that is not v's.
func otherSecret(v vector) []byte {
	if v.Scheme == verify.SchemeStandardWebhooks {
		return []byte("whsec_" + base64.StdEncoding.EncodeToString([]byte("a different key, 32 bytes long!!")))
	}
	return []byte(v.Secret + "-wrong")
}

func otherPublicKey() string {
	pub, _, _ := ed25519.GenerateKey(nil)
	return verify.EncodePublicKey(pub)
}

// sigHeader is the name of the header holding v's signatures.
func sigHeader(v vector) string {
	return verify.SignatureHeaders(v.Scheme, v.hmacCfg())[0]
}

// mutate changes the first character of an encoded signature to another
// character valid in both hex and base64, so it still decodes but differs.
func mutate(sig string) string {
	if sig[0] == 'a' {
		return "b" + sig[1:]
	}
	return "a" + sig[1:]
}

// withSignatures returns v's header with n-1 wrong signatures followed by
// the valid one, in the scheme's list syntax.
func withSignatures(v vector, n int) http.Header {
	h := v.header()
	name := sigHeader(v)
	valid := h.Get(name)
	var list []string
	switch v.Scheme {
	case verify.SchemeStandardWebhooks:
		version, sig, _ := strings.Cut(valid, ",")
		for range n - 1 {
			list = append(list, version+","+mutate(sig))
		}
		h.Set(name, strings.Join(append(list, valid), " "))
	case verify.SchemeStripe:
		tPart, v1Part, _ := strings.Cut(valid, ",")
		sig := strings.TrimPrefix(v1Part, "v1=")
		list = append(list, tPart)
		for range n - 1 {
			list = append(list, "v1="+mutate(sig))
		}
		h.Set(name, strings.Join(append(list, v1Part), ","))
	default:
		prefix := map[string]string{verify.SchemeGitHub: "sha256=", verify.SchemeSlack: "v0=", verify.SchemeHMAC: v.hmacCfg().Prefix}[v.Scheme]
		sig := strings.TrimPrefix(valid, prefix)
		for range n - 1 {
			list = append(list, prefix+mutate(sig))
		}
		h.Set(name, strings.Join(append(list, valid), ", "))
	}
	return h
}

// TestVectors runs the behaviour every scheme shares over every vector.
func TestVectors(t *testing.T) {
	t.Parallel()

	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()

			now := time.Unix(v.Timestamp, 0)
			req := func(h http.Header, body string, at time.Time) verify.Request {
				return verify.Request{Header: h, Body: []byte(body), Now: at}
			}

			t.Run("Valid", func(t *testing.T) {
				t.Parallel()
				require.NoError(t, verify.Verify(v.Scheme, v.creds(), req(v.header(), v.Body, now)))
			})

			t.Run("BodyByteChanged", func(t *testing.T) {
				t.Parallel()
				body := []byte(v.Body)
				body[len(body)/2] ^= 0x01
				err := verify.Verify(v.Scheme, v.creds(), req(v.header(), string(body), now))
				require.ErrorIs(t, err, verify.ErrMismatch)
			})

			t.Run("WrongSecret", func(t *testing.T) {
				t.Parallel()
				creds := v.creds()
				if v.v1a() {
					creds.PublicKeys = []string{otherPublicKey()}
				} else {
					creds.Secrets = [][]byte{otherSecret(v)}
				}
				require.ErrorIs(t, verify.Verify(v.Scheme, creds, req(v.header(), v.Body, now)), verify.ErrMismatch)
			})

			t.Run("Rotation", func(t *testing.T) {
				t.Parallel()
				for _, swap := range []bool{false, true} {
					creds := v.creds()
					if v.v1a() {
						creds.PublicKeys = []string{otherPublicKey(), v.PublicKey}
						if swap {
							creds.PublicKeys[0], creds.PublicKeys[1] = creds.PublicKeys[1], creds.PublicKeys[0]
						}
					} else {
						creds.Secrets = [][]byte{otherSecret(v), []byte(v.Secret)}
						if swap {
							creds.Secrets[0], creds.Secrets[1] = creds.Secrets[1], creds.Secrets[0]
						}
					}
					require.NoError(t, verify.Verify(v.Scheme, creds, req(v.header(), v.Body, now)), "swap=%v", swap)
				}
			})

			t.Run("Tolerance", func(t *testing.T) {
				t.Parallel()
				if !v.timestamped() {
					// Not timestamped: a replay a day later still verifies.
					require.NoError(t, verify.Verify(v.Scheme, v.creds(), req(v.header(), v.Body, now.Add(24*time.Hour))))
					return
				}
				tol := time.Duration(verify.ToleranceSecondsDefault) * time.Second
				if v.Scheme == verify.SchemeHMAC {
					tol = time.Duration(v.hmacCfg().WithDefaults().ToleranceSeconds) * time.Second
				}
				for _, d := range []time.Duration{tol, -tol} {
					require.NoError(t, verify.Verify(v.Scheme, v.creds(), req(v.header(), v.Body, now.Add(d))), "now%+v", d)
				}
				for _, d := range []time.Duration{tol + time.Second, -tol - time.Second} {
					err := verify.Verify(v.Scheme, v.creds(), req(v.header(), v.Body, now.Add(d)))
					require.ErrorIs(t, err, verify.ErrStale, "now%+v", d)
				}
			})

			t.Run("MaxSignatures", func(t *testing.T) {
				t.Parallel()
				h := withSignatures(v, verify.MaxSignatures)
				require.NoError(t, verify.Verify(v.Scheme, v.creds(), req(h, v.Body, now)), "10th valid signature must count")
				h = withSignatures(v, verify.MaxSignatures+1)
				err := verify.Verify(v.Scheme, v.creds(), req(h, v.Body, now))
				require.ErrorIs(t, err, verify.ErrMismatch, "11th valid signature must be ignored")
			})

			t.Run("NoSignature", func(t *testing.T) {
				t.Parallel()
				h := v.header()
				h.Del(sigHeader(v))
				require.ErrorIs(t, verify.Verify(v.Scheme, v.creds(), req(h, v.Body, now)), verify.ErrNoSignature)
			})
		})
	}
}
