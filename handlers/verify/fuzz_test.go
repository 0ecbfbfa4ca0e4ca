package verify

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fuzzNow is the clock of the fuzz targets, near the seeds' timestamps.
var fuzzNow = time.Unix(1700000000, 0)

var sentinels = []error{ErrNoSignature, ErrMalformed, ErrMismatch, ErrStale, ErrUnknownScheme, ErrInvalidCredentials}

// requireSentinel fails unless err is nil or wraps one of the sentinels.
func requireSentinel(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error wraps no sentinel: %v", err)
}

func FuzzParseStripeHeader(f *testing.F) {
	f.Add("t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39")
	f.Add("t=,v1=,=,,,t=1,t=2")
	f.Add(" t = 1700000000 , v1 = zz ")
	f.Add(strings.Repeat("v1=00,", 20))
	f.Fuzz(func(t *testing.T, header string) {
		ts, sigs := parseStripeHeader([]string{header})
		if len(sigs) > MaxSignatures {
			t.Fatalf("read %d signatures", len(sigs))
		}
		for _, s := range sigs {
			if s.Scheme == "t" {
				t.Fatal("t parsed as a signature")
			}
		}
		_ = ts
		err := Verify(SchemeStripe, Credentials{Secrets: [][]byte{[]byte("whsec_x")}},
			Request{Header: http.Header{HeaderStripeSignature: {header}}, Body: []byte("{}"), Now: fuzzNow})
		requireSentinel(t, err)
	})
}

func FuzzParseStandardWebhooksHeader(f *testing.F) {
	f.Add("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "1614265330")
	f.Add("v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag== v2,xyz", "1614265330")
	f.Add("v1, v1a, ,, v1,,,", "-1")
	f.Add(strings.Repeat("v1a,AAAA ", 12), "99999999999999999999")
	f.Fuzz(func(t *testing.T, header, ts string) {
		entries := parseStandardWebhooksHeader([]string{header})
		if len(entries) > MaxSignatures {
			t.Fatalf("read %d signatures", len(entries))
		}
		for _, e := range entries {
			if strings.ContainsAny(e.Version, " \t\n,") {
				t.Fatalf("version %q holds a separator", e.Version)
			}
		}
		creds := Credentials{
			Secrets:    [][]byte{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), []byte(header)},
			PublicKeys: []string{"whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=", header},
		}
		h := http.Header{HeaderWebhookID: {"msg_p5jXN8AQM9LWM0D4loKWxJek"}, HeaderWebhookTimestamp: {ts}, HeaderWebhookSignature: {header}}
		requireSentinel(t, Verify(SchemeStandardWebhooks, creds, Request{Header: h, Body: []byte(`{"test": 2432232314}`), Now: time.Unix(1614265330, 0)}))
	})
}

func FuzzParseSignatureList(f *testing.F) {
	f.Add("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	f.Add("v0=aa, v0=bb,,\tv0=cc")
	f.Add(strings.Repeat("a,", 30))
	f.Fuzz(func(t *testing.T, header string) {
		toks := parseSignatureList([]string{header, header})
		if len(toks) > MaxSignatures {
			t.Fatalf("read %d signatures", len(toks))
		}
		for _, tok := range toks {
			if tok == "" || strings.ContainsAny(tok, ", \t") {
				t.Fatalf("bad token %q", tok)
			}
		}
		for _, scheme := range []string{SchemeGitHub, SchemeShopify, SchemeSlack, SchemeHMAC} {
			h := http.Header{}
			for _, name := range SignatureHeaders(scheme, HMACConfig{}) {
				h.Set(name, header)
			}
			h.Set(HeaderSlackRequestTimestamp, "1700000000")
			requireSentinel(t, Verify(scheme, Credentials{Secrets: [][]byte{[]byte("k")}}, Request{Header: h, Body: []byte(header), Now: fuzzNow}))
		}
	})
}

func FuzzParseBasic(f *testing.F) {
	f.Add("Basic YWxpY2U6czNjcmV0")
	f.Add("  bAsIc\tYWxpY2U6cGE6c3M  ")
	f.Add("Basic YWxpY2U")
	f.Add("Basic")
	f.Add("Basic \xff\xfe")
	f.Fuzz(func(t *testing.T, authorization string) {
		user, pass, ok := ParseBasic(authorization)
		if !ok {
			if user != "" || pass != "" {
				t.Fatal("credentials returned with ok=false")
			}
			return
		}
		if strings.Contains(user, ":") {
			t.Fatalf("user %q holds a colon", user)
		}
		u2, p2, ok2 := ParseBasic("Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		if !ok2 || u2 != user || p2 != pass {
			t.Fatalf("round trip of %q:%q gave %q:%q %v", user, pass, u2, p2, ok2)
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	f.Add("{id}.{timestamp}.{body}")
	f.Add("v0:{timestamp}:{body}")
	f.Add("{body")
	f.Add("{}{{body}}")
	f.Fuzz(func(t *testing.T, tmpl string) {
		segs, err := parseTemplate(tmpl)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, s := range segs {
			switch s.kind {
			case segLiteral:
				b.WriteString(s.literal)
			case segID:
				b.WriteString("{id}")
			case segTimestamp:
				b.WriteString("{timestamp}")
			case segBody:
				b.WriteString("{body}")
			}
		}
		if b.String() != tmpl {
			t.Fatalf("template %q reassembled as %q", tmpl, b.String())
		}
		_ = HMACConfig{SignedContent: tmpl, IDHeader: "X-Id", TimestampHeader: "X-Ts"}.Validate()
	})
}

func FuzzDeliveryID(f *testing.F) {
	f.Add(`{"id":"evt_123","object":"event"}`, "")
	f.Add(`{"data":{"id":"x"},"id":"evt_1"}`, "X-Request-Id")
	f.Add(`{"id":`, "")
	f.Add(`[[[[[[[[`, "")
	f.Fuzz(func(t *testing.T, body, dedupHeader string) {
		id := DeliveryID(SchemeStripe, http.Header{}, []byte(body), dedupHeader)
		if id != strings.TrimSpace(id) {
			t.Fatalf("id %q not trimmed", id)
		}
	})
}

// FuzzVerify throws arbitrary headers and bodies at every scheme: Verify
// must not panic and must return nil or a sentinel-wrapping error.
func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), "sha256=00", "1700000000", "id", []byte("body"), []byte("secret"))
	f.Add(uint8(1), "v1,AAAA v1a,BBBB", "1700000000", "msg_1", []byte("{}"), []byte("whsec_AAAA"))
	f.Add(uint8(3), "t=1700000000,v1=00", "", "", []byte(`{"id":"evt"}`), []byte("whsec_x"))
	f.Add(uint8(5), "v0=00", "abc", "", []byte(""), []byte(""))
	f.Fuzz(func(t *testing.T, scheme uint8, sig, ts, id string, body, secret []byte) {
		schemes := Schemes()
		name := schemes[int(scheme)%len(schemes)]
		h := http.Header{}
		for _, n := range []string{HeaderWebhookSignature, HeaderSvixSignature, HeaderGitHubSignature256, HeaderStripeSignature, HeaderShopifyHMAC, HeaderSlackSignature, HMACHeaderDefault, "X-Sig"} {
			h.Set(n, sig)
		}
		for _, n := range []string{HeaderWebhookTimestamp, HeaderSvixTimestamp, HeaderSlackRequestTimestamp, "X-Ts"} {
			h.Set(n, ts)
		}
		for _, n := range []string{HeaderWebhookID, HeaderSvixID, "X-Id"} {
			h.Set(n, id)
		}
		creds := Credentials{
			Secrets:    [][]byte{secret, []byte(sig)},
			PublicKeys: []string{string(secret), "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g="},
			HMAC:       HMACConfig{Header: "X-Sig", SignedContent: "{id}.{timestamp}.{body}", IDHeader: "X-Id", TimestampHeader: "X-Ts"},
		}
		requireSentinel(t, Verify(name, creds, Request{Header: h, Body: body, Now: fuzzNow}))
		creds.HMAC = HMACConfig{}
		requireSentinel(t, Verify(name, creds, Request{Header: h, Body: body, Now: fuzzNow}))
		_ = DeliveryID(name, h, body, id)
	})
}

// FuzzSignVerify checks that whatever Sign accepts, Verify accepts.
func FuzzSignVerify(f *testing.F) {
	f.Add(uint8(0), []byte("secret"), "id", int64(1700000000), []byte("body"))
	f.Add(uint8(1), []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "msg_p5jXN8AQM9LWM0D4loKWxJek", int64(1614265330), []byte(`{"test": 2432232314}`))
	f.Add(uint8(3), []byte("whsec_x"), "", int64(0), []byte{0xff, 0})
	f.Fuzz(func(t *testing.T, scheme uint8, secret []byte, id string, ts int64, body []byte) {
		schemes := Schemes()
		name := schemes[int(scheme)%len(schemes)]
		at := time.Unix(ts%(1<<40), 0)
		h, err := Sign(name, secret, HMACConfig{}, id, at, body)
		if err != nil {
			requireSentinel(t, err)
			return
		}
		if err := Verify(name, Credentials{Secrets: [][]byte{secret}}, Request{Header: h, Body: body, Now: at}); err != nil {
			t.Fatalf("%s: Sign output does not verify: %v", name, err)
		}
	})
}
