package main

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/stretchr/testify/require"

	"github.com/hookstream/hookstream"
	"github.com/hookstream/hookstream/eventstore"
	"github.com/hookstream/hookstream/handlers/verify"
	"github.com/hookstream/hookstream/projections/pglocal"
	"github.com/hookstream/hookstream/projections/pgtest"
)

// hook is a created webhook as the API returned it.
type hook struct {
	ID       string `json:"id"`
	TenantID string `json:"tenantId"`
	Path     string `json:"path"`
	URL      string `json:"url"`
	Secret   string `json:"secret"`
	APIKey   string `json:"apiKey"`
}

func (s *testServer) createHook(body map[string]any) hook {
	s.t.Helper()
	var h hook
	var raw map[string]any
	status := s.do("POST", "/api/v1/webhooks", s.Token, body, &raw)
	require.Equal(s.t, http.StatusCreated, status, raw)
	b, _ := json.Marshal(raw)
	require.NoError(s.t, json.Unmarshal(b, &h))
	return h
}

// send posts raw bytes to an ingest URL and returns status, headers and the decoded body.
func (s *testServer) send(method, path string, header http.Header, body io.Reader) (int, http.Header, map[string]any) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.URL+path, body)
	require.NoError(s.t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	checkContract(s.t, req, resp, raw)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, resp.Header, out
}

func (s *testServer) post(path string, header http.Header, body string) (int, map[string]any) {
	s.t.Helper()
	st, _, out := s.send("POST", "/api/v1/webhooks/"+path, header, strings.NewReader(body))
	return st, out
}

// events reads the HOOKS events of a webhook, of type t ("" = all).
func (s *testServer) events(h hook, t string) []*hookstream.Event {
	s.t.Helper()
	var out []*hookstream.Event
	err := s.Main.Store().Read(s.t.Context(), eventstore.ReadOptions{
		Stream:   eventstore.StreamHooks,
		Subjects: []string{eventstore.SubjectFilter(eventstore.StreamHooks, h.TenantID, h.ID, t)},
	}, func(ev *hookstream.Event) error { out = append(out, ev); return nil })
	require.NoError(s.t, err)
	return out
}

type sigVector struct {
	Name      string             `json:"name"`
	Scheme    string             `json:"scheme"`
	Secret    string             `json:"secret"`
	Seed      string             `json:"seed"`
	PublicKey string             `json:"publicKey"`
	HMAC      *verify.HMACConfig `json:"hmac"`
	ID        string             `json:"id"`
	Timestamp int64              `json:"timestamp"`
	Body      string             `json:"body"`
	Headers   map[string]string  `json:"headers"`
}

func loadVectors(t *testing.T) []sigVector {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "signatures", "vectors.json"))
	require.NoError(t, err)
	var vs []sigVector
	require.NoError(t, json.Unmarshal(raw, &vs))
	require.NotEmpty(t, vs)
	return vs
}

// timed reports whether a vector's scheme checks a timestamp, and its tolerance.
func (v sigVector) timed() (bool, int) {
	switch v.Scheme {
	case verify.SchemeStandardWebhooks, verify.SchemeStripe, verify.SchemeSlack:
		return true, 300
	case verify.SchemeHMAC:
		if v.HMAC != nil && v.HMAC.TimestampHeader != "" {
			tol := v.HMAC.ToleranceSeconds
			if tol == 0 {
				tol = 300
			}
			return true, tol
		}
	}
	return false, 0
}

// sign returns the headers of the vector's body signed at ts, with secret
// (or the vector's Ed25519 seed for v1a).
func (v sigVector) sign(t *testing.T, secret string, ts time.Time, body []byte, id string) http.Header {
	t.Helper()
	if v.Seed != "" {
		seed, err := base64.StdEncoding.DecodeString(v.Seed)
		require.NoError(t, err)
		h, err := verify.SignV1a(ed25519.NewKeyFromSeed(seed), id, ts, body)
		require.NoError(t, err)
		return h
	}
	var cfg verify.HMACConfig
	if v.HMAC != nil {
		cfg = *v.HMAC
	}
	h, err := verify.Sign(v.Scheme, []byte(secret), cfg, id, ts, body)
	require.NoError(t, err)
	return h
}

func hookFor(v sigVector, path string) map[string]any {
	body := map[string]any{"path": path, "authType": "signature", "signatureScheme": v.Scheme}
	if v.Secret != "" {
		body["secret"] = v.Secret
	}
	if v.PublicKey != "" {
		body["publicKey"] = v.PublicKey
	}
	if v.HMAC != nil {
		body["hmac"] = v.HMAC
	}
	return body
}

func TestIngestSignatureVectorsOverHTTP(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	for i, v := range loadVectors(t) {
		h := s.createHook(hookFor(v, fmt.Sprintf("vec-%d", i)))
		timed, tol := v.timed()
		now := time.Now()
		n := 0
		nextID := func() string {
			n++
			if v.ID == "" && v.Scheme != verify.SchemeStandardWebhooks {
				return ""
			}
			return fmt.Sprintf("%s-%d", strings.ReplaceAll(v.Name, " ", ""), n)
		}
		body := []byte(v.Body)
		// Valid: the published headers as they are when the scheme has no
		// timestamp (GitHub's published vector included), else freshly signed.
		hdr := http.Header{}
		if !timed {
			for k, val := range v.Headers {
				hdr.Set(k, val)
			}
		} else {
			hdr = v.sign(t, v.Secret, now, body, nextID())
		}
		hdr.Set("Content-Type", "text/plain")
		st, out := s.post(h.Path, hdr, v.Body)
		require.Equal(t, http.StatusAccepted, st, "%s valid: %v", v.Name, out)
		require.NotEmpty(t, out["eventId"])

		// One byte changed → 401.
		changed := bytes.Clone(body)
		changed[len(changed)/2] ^= 0x01
		hdr = v.sign(t, v.Secret, now, body, nextID())
		hdr.Set("Content-Type", "text/plain")
		st, _ = s.post(h.Path, hdr, string(changed))
		require.Equal(t, http.StatusUnauthorized, st, "%s one byte changed", v.Name)

		// Wrong secret → 401 (v1a: a different key).
		if v.Seed == "" {
			wrong := v.Secret + "x"
			if v.Scheme == verify.SchemeStandardWebhooks {
				wrong = "whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret of thirty-two by"))
			}
			hdr = v.sign(t, wrong, now, body, nextID())
		} else {
			_, other, _ := ed25519.GenerateKey(nil)
			hdr, _ = verify.SignV1a(other, "msg_other", now, body)
		}
		hdr.Set("Content-Type", "text/plain")
		st, _ = s.post(h.Path, hdr, v.Body)
		require.Equal(t, http.StatusUnauthorized, st, "%s wrong secret", v.Name)

		if timed {
			// 301 s old, and ahead: the server's clock moves on between
			// signing and checking, which makes "old" older but "ahead"
			// less ahead, so ahead is signed tol+2 s from a fresh now (the
			// exact ±(tol+1) boundary is tested with a fixed clock in
			// handlers/verify).
			for _, off := range []int{-(tol + 1), tol + 2} {
				hdr = v.sign(t, v.Secret, time.Now().Add(time.Duration(off)*time.Second), body, nextID())
				hdr.Set("Content-Type", "text/plain")
				st, _ = s.post(h.Path, hdr, v.Body)
				require.Equal(t, http.StatusUnauthorized, st, "%s timestamp %+ds", v.Name, off)
			}
		}
		// Exactly one event stored; the failures are webhook.rejected.
		require.Len(t, s.events(h, hookstream.EventWebhookReceived), 1, v.Name)
		require.NotEmpty(t, s.events(h, hookstream.EventWebhookRejected), v.Name)
	}
}

func TestIngestGitHubPublishedVector(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "github", "authType": "signature", "signatureScheme": "github", "secret": "It's a Secret to Everybody"})
	hdr := http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}, "Content-Type": {"text/plain"}}
	st, out := s.post(h.Path, hdr, "Hello, World!")
	require.Equal(t, http.StatusAccepted, st, out)
	evs := s.events(h, hookstream.EventWebhookReceived)
	require.Len(t, evs, 1)
	var d hookstream.ReceivedData
	require.NoError(t, json.Unmarshal(evs[0].Data, &d))
	require.JSONEq(t, `"Hello, World!"`, string(d.Body))
	require.Equal(t, hookstream.AuthResult{Type: "signature", Scheme: "github", Verified: true}, d.Auth)
	// The signature header is kept, not redacted.
	require.Equal(t, []string{hdr.Get("X-Hub-Signature-256")}, d.Headers["X-Hub-Signature-256"])
	st, _ = s.post(h.Path, hdr, "Hello, World?")
	require.Equal(t, http.StatusUnauthorized, st)
}

func TestIngestSecretRotation(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"path": "rot", "signatureScheme": "standard-webhooks"})
	require.True(t, strings.HasPrefix(h.Secret, "whsec_"))
	body := []byte(`{"n":1}`)
	n := 0
	sendWith := func(secret string) int {
		n++
		hdr, err := verify.Sign(verify.SchemeStandardWebhooks, []byte(secret), verify.HMACConfig{}, fmt.Sprintf("msg_%d", n), time.Now(), body)
		require.NoError(t, err)
		st, _ := s.post(h.Path, hdr, string(body))
		return st
	}
	require.Equal(t, http.StatusAccepted, sendWith(h.Secret))
	var rot struct{ Secret string }
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/webhooks/"+h.ID+"/regenerate-secret", s.Token, map[string]any{}, &rot))
	require.NotEqual(t, h.Secret, rot.Secret)
	// During the grace period both secrets pass.
	require.Equal(t, http.StatusAccepted, sendWith(h.Secret))
	require.Equal(t, http.StatusAccepted, sendWith(rot.Secret))
	var sec struct {
		Secret      string  `json:"secret"`
		GraceSecret *string `json:"graceSecret"`
	}
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+h.ID+"/secret", s.Token, nil, &sec))
	require.Equal(t, rot.Secret, sec.Secret)
	require.NotNil(t, sec.GraceSecret)
	require.Equal(t, h.Secret, *sec.GraceSecret)
	// graceSeconds 0 revokes the previous secret at once.
	var rot2 struct{ Secret string }
	require.Equal(t, http.StatusOK, s.do("POST", "/api/v1/webhooks/"+h.ID+"/regenerate-secret", s.Token, map[string]any{"graceSeconds": 0}, &rot2))
	require.Equal(t, http.StatusUnauthorized, sendWith(rot.Secret))
	require.Equal(t, http.StatusUnauthorized, sendWith(h.Secret))
	require.Equal(t, http.StatusAccepted, sendWith(rot2.Secret))
	// A secret appears in no event in clear.
	var cfgEvents []string
	require.NoError(t, s.Main.Store().Read(t.Context(), eventstore.ReadOptions{Stream: eventstore.StreamConfig}, func(ev *hookstream.Event) error {
		cfgEvents = append(cfgEvents, string(ev.Data))
		return nil
	}))
	require.GreaterOrEqual(t, len(cfgEvents), 3)
	for _, d := range cfgEvents {
		for _, secret := range []string{h.Secret, rot.Secret, rot2.Secret} {
			require.NotContains(t, d, secret)
			require.NotContains(t, d, strings.TrimPrefix(secret, "whsec_"))
		}
	}
}

// chunked hides the length of a reader so the client streams it chunked.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func problemStatus(t *testing.T, out map[string]any, status int) {
	t.Helper()
	require.Equal(t, float64(status), out["status"], out)
}

func TestIngestResponsesTable(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	open := s.createHook(map[string]any{"path": "open", "authType": "none", "maxJsonDepth": 64, "maxBodyBytes": 1024})
	var st int
	var out map[string]any

	// 202 accepted.
	st, out = s.post(open.Path, nil, `{"ok":true}`)
	require.Equal(t, http.StatusAccepted, st)
	require.NotEmpty(t, out["eventId"])

	// 404 unknown path (problem+json).
	st, hdr, out := s.send("POST", "/api/v1/webhooks/no-such-path", nil, strings.NewReader(`{}`))
	require.Equal(t, http.StatusNotFound, st)
	require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
	problemStatus(t, out, 404)

	// 405 method not allowed on the alias, allowed when listed.
	st, hdr, _ = s.send("PUT", "/hooks/"+open.Path, nil, strings.NewReader(`{}`))
	require.Equal(t, http.StatusMethodNotAllowed, st)
	require.Equal(t, "POST", hdr.Get("Allow"))
	put := s.createHook(map[string]any{"path": "put-hook", "authType": "none", "methods": []string{"PUT", "POST"}})
	st, _, _ = s.send("PUT", "/hooks/"+put.Path, nil, strings.NewReader(`{}`))
	require.Equal(t, http.StatusAccepted, st)

	// 401 basic (+ WWW-Authenticate), then a good password.
	basic := s.createHook(map[string]any{"path": "basic", "authType": "basic", "basicUsername": "u", "basicPassword": "p:ss"})
	st, hdr, _ = s.send("POST", "/api/v1/webhooks/basic", http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("u:wrong"))}}, strings.NewReader(`{}`))
	require.Equal(t, http.StatusUnauthorized, st)
	require.Contains(t, hdr.Get("WWW-Authenticate"), "Basic")
	st, _, _ = s.send("POST", "/api/v1/webhooks/basic", http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("u:p:ss"))}}, strings.NewReader(`{}`))
	require.Equal(t, http.StatusAccepted, st)
	evs := s.events(basic, hookstream.EventWebhookReceived)
	require.Len(t, evs, 1)
	var rd hookstream.ReceivedData
	require.NoError(t, json.Unmarshal(evs[0].Data, &rd))
	require.Equal(t, []string{"[REDACTED]"}, rd.Headers["Authorization"])

	// api_key in a query parameter: accepted, then stripped from stored data.
	ak := s.createHook(map[string]any{"path": "apikey", "authType": "api_key", "apiKeyQueryParam": "key"})
	require.NotEmpty(t, ak.APIKey)
	st, _ = s.post("apikey?key=wrong-key-0000000", nil, `{}`)
	require.Equal(t, http.StatusUnauthorized, st)
	st, _ = s.post("apikey?key="+ak.APIKey+"&x=1", nil, `{}`)
	require.Equal(t, http.StatusAccepted, st)
	st, _ = s.post("apikey", http.Header{"X-Api-Key": {ak.APIKey}}, `{}`)
	require.Equal(t, http.StatusAccepted, st)
	for _, ev := range s.events(ak, "") {
		require.NotContains(t, string(ev.Data), ak.APIKey)
	}

	// 403 source IP outside allowedCidrs (the test client is 127.0.0.1).
	cidr := s.createHook(map[string]any{"path": "cidr", "authType": "none", "allowedCidrs": []string{"10.0.0.0/8"}})
	st, out = s.post(cidr.Path, nil, `{}`)
	require.Equal(t, http.StatusForbidden, st)
	problemStatus(t, out, 403)

	// 413 with Content-Length, chunked, and after gzip decompression; nothing stored.
	big := strings.Repeat("a", 2048)
	st, _ = s.post(open.Path, nil, `"`+big+`"`)
	require.Equal(t, http.StatusRequestEntityTooLarge, st)
	st, _, _ = s.send("POST", "/api/v1/webhooks/"+open.Path, nil, chunked{strings.NewReader(`"` + big + `"`)})
	require.Equal(t, http.StatusRequestEntityTooLarge, st)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`"` + strings.Repeat("b", 100_000) + `"`))
	require.NoError(t, zw.Close())
	require.Less(t, gz.Len(), 1024)
	st, _, _ = s.send("POST", "/api/v1/webhooks/"+open.Path, http.Header{"Content-Encoding": {"gzip"}}, chunked{bytes.NewReader(gz.Bytes())})
	require.Equal(t, http.StatusRequestEntityTooLarge, st)
	// A small gzip body is decoded and stored.
	gz.Reset()
	zw = gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(`{"zipped":true}`))
	require.NoError(t, zw.Close())
	st, _, _ = s.send("POST", "/api/v1/webhooks/"+open.Path, http.Header{"Content-Encoding": {"gzip"}}, bytes.NewReader(gz.Bytes()))
	require.Equal(t, http.StatusAccepted, st)
	for _, ev := range s.events(open, hookstream.EventWebhookReceived) {
		require.NotContains(t, string(ev.Data), "aaaaaaaa")
		require.NotContains(t, string(ev.Data), "bbbbbbbb")
	}

	// 415 content type not accepted.
	ct := s.createHook(map[string]any{"path": "ct", "authType": "none", "contentTypes": []string{"application/json"}})
	st, _ = s.post(ct.Path, http.Header{"Content-Type": {"text/xml"}}, `<a/>`)
	require.Equal(t, http.StatusUnsupportedMediaType, st)

	// 400 malformed JSON; depth 64 passes, 65 is refused.
	st, _ = s.post(open.Path, nil, `{"a":`)
	require.Equal(t, http.StatusBadRequest, st)
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	st, _ = s.post(open.Path, nil, deep(64))
	require.Equal(t, http.StatusAccepted, st)
	st, _ = s.post(open.Path, nil, deep(65))
	require.Equal(t, http.StatusBadRequest, st)
	// 100 000-deep JSON: 400 and the server keeps serving.
	wide := s.createHook(map[string]any{"path": "wide", "authType": "none", "maxBodyBytes": 1 << 20})
	st, _ = s.post(wide.Path, nil, deep(100_000))
	require.Equal(t, http.StatusBadRequest, st)
	st, _ = s.post(wide.Path, nil, `{"still":"serving"}`)
	require.Equal(t, http.StatusAccepted, st)

	// 422 schema enforce (core type workflow.triggered requires fields).
	sch := s.createHook(map[string]any{"path": "schema", "authType": "none", "eventType": "workflow.triggered", "schemaMode": "enforce"})
	st, out = s.post(sch.Path, nil, `{"nothing":"here"}`)
	require.Equal(t, http.StatusUnprocessableEntity, st, out)
	require.NotEmpty(t, out["errors"])

	// 429 + Retry-After.
	rl := s.createHook(map[string]any{"path": "limited", "authType": "none", "rateLimit": map[string]any{"perSecond": 0.01, "burst": 1}})
	st, _ = s.post(rl.Path, nil, `{}`)
	require.Equal(t, http.StatusAccepted, st)
	st, hdr, _ = s.send("POST", "/api/v1/webhooks/"+rl.Path, nil, strings.NewReader(`{}`))
	require.Equal(t, http.StatusTooManyRequests, st)
	require.NotEmpty(t, hdr.Get("Retry-After"))

	// 503 disabled + Retry-After; accepted again once enabled.
	dis := s.createHook(map[string]any{"path": "disabled", "authType": "none", "enabled": false})
	st, hdr, _ = s.send("POST", "/api/v1/webhooks/"+dis.Path, nil, strings.NewReader(`{}`))
	require.Equal(t, http.StatusServiceUnavailable, st)
	require.NotEmpty(t, hdr.Get("Retry-After"))
	require.Equal(t, http.StatusOK, s.do("PUT", "/api/v1/webhooks/"+dis.ID, s.Token, map[string]any{"enabled": true}, nil))
	st, _ = s.post(dis.Path, nil, `{}`)
	require.Equal(t, http.StatusAccepted, st)

	// 200 duplicate delivery, with the original id; counted by webhook.duplicate.
	st, first := s.post(open.Path, http.Header{"Idempotency-Key": {"dup-1"}}, `{"n":1}`)
	require.Equal(t, http.StatusAccepted, st)
	st, again := s.post(open.Path, http.Header{"Idempotency-Key": {"dup-1"}}, `{"n":1}`)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, true, again["duplicate"])
	require.Equal(t, first["eventId"], again["eventId"])
	dups := s.events(open, hookstream.EventWebhookDuplicate)
	require.Len(t, dups, 1)
	require.Contains(t, string(dups[0].Data), first["eventId"].(string))

	// 200 Slack url_verification with the challenge echoed.
	slack := s.createHook(map[string]any{"path": "slack", "signatureScheme": "slack", "secret": "slack-signing-secret"})
	body := `{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}`
	sh, err := verify.Sign(verify.SchemeSlack, []byte(slack.Secret), verify.HMACConfig{}, "", time.Now(), []byte(body))
	require.NoError(t, err)
	st, out = s.post(slack.Path, sh, body)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", out["challenge"])

	// Rejections on known webhooks are webhook.rejected events with a cut body.
	rej := s.events(open, hookstream.EventWebhookRejected)
	require.NotEmpty(t, rej)
	var rdata hookstream.RejectedData
	for _, ev := range rej {
		require.NoError(t, json.Unmarshal(ev.Data, &rdata))
		require.LessOrEqual(t, len(rdata.Body), hookstream.RejectedBodyMax)
	}
	require.NotEmpty(t, s.events(cidr, hookstream.EventWebhookRejected))

	// Metrics count by status.
	_, _, _ = s.send("GET", "/metrics", nil, nil)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(raw), `hookstream_ingest_requests_total{status="404"}`)
	require.Contains(t, string(raw), `hookstream_ingest_duration_seconds_bucket`)
}

// writeGeoDB writes a tiny MaxMind-format database mapping 127.0.0.0/8 to
// a country and city.
func writeGeoDB(t *testing.T) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoIP2-City", IncludeReservedNetworks: true, IPVersion: 6})
	require.NoError(t, err)
	_, network, err := net.ParseCIDR("127.0.0.0/8")
	require.NoError(t, err)
	require.NoError(t, tree.Insert(network, mmdbtype.Map{
		"country": mmdbtype.Map{"iso_code": mmdbtype.String("NL"), "names": mmdbtype.Map{"en": mmdbtype.String("Netherlands")}},
		"city":    mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("Amsterdam")}},
	}))
	p := filepath.Join(t.TempDir(), "geo.mmdb")
	f, err := os.Create(p)
	require.NoError(t, err)
	_, err = tree.WriteTo(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return p
}

func TestIngestEnrichmentAndRedaction(t *testing.T) {
	t.Parallel()
	geo := writeGeoDB(t)
	s := startServer(t, func(c *Config) {
		c.GeoIPDB = geo
		c.TrustedProxies = "127.0.0.1/32"
		c.RedactHeaders = "X-Secret-Thing"
	})
	h := s.createHook(map[string]any{
		"path": "enrich", "authType": "none", "priority": 3, "workflowId": "wf-1",
		"metadataRules": []map[string]any{
			{"key": "team", "source": "static", "value": "payments"},
			{"key": "tenant", "source": "header", "from": "X-Tenant"},
			{"key": "ref", "source": "query", "from": "ref"},
			{"key": "orderId", "source": "body", "from": "$.order.id"},
		},
	})
	hdr := http.Header{
		"User-Agent":      {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"},
		"X-Forwarded-For": {"203.0.113.9, 127.0.0.1"},
		"X-Tenant":        {"acme"},
		"Cookie":          {"session=abc"},
		"X-Secret-Thing":  {"hush"},
	}
	st, _ := s.post(h.Path+"?ref=r1", hdr, `{"order":{"id":"o-42"}}`)
	require.Equal(t, http.StatusAccepted, st)
	evs := s.events(h, hookstream.EventWebhookReceived)
	require.Len(t, evs, 1)
	ev := evs[0]
	require.Equal(t, "wf-1", ev.WorkflowID)
	require.Equal(t, hookstream.PriorityCritical, ev.Priority)
	var d hookstream.ReceivedData
	require.NoError(t, json.Unmarshal(ev.Data, &d))
	require.Equal(t, "203.0.113.9", d.Metadata["sourceIp"])
	ua := d.Metadata["userAgent"].(map[string]any)
	require.Equal(t, "Chrome", ua["browser"])
	require.Equal(t, "MacOS", ua["os"])
	require.Equal(t, "payments", d.Metadata["team"])
	require.Equal(t, "acme", d.Metadata["tenant"])
	require.Equal(t, "r1", d.Metadata["ref"])
	require.Equal(t, "o-42", d.Metadata["orderId"])
	require.NotEmpty(t, d.Metadata["receivedAt"])
	require.Contains(t, d.Metadata, "ingestMs")
	require.EqualValues(t, len(`{"order":{"id":"o-42"}}`), d.Metadata["bodyBytes"])
	require.Equal(t, []string{"[REDACTED]"}, d.Headers["Cookie"])
	require.Equal(t, []string{"[REDACTED]"}, d.Headers["X-Secret-Thing"])
	// 203.0.113.9 is not in the tiny database; a direct 127.0.0.1 sender is.
	require.NotContains(t, d.Metadata, "geo")
	st, _ = s.post(h.Path, http.Header{"User-Agent": {"curl/8.0"}}, `{}`)
	require.Equal(t, http.StatusAccepted, st)
	evs = s.events(h, hookstream.EventWebhookReceived)
	require.Len(t, evs, 2)
	require.NoError(t, json.Unmarshal(evs[1].Data, &d))
	require.Equal(t, map[string]any{"country": "NL", "countryName": "Netherlands", "city": "Amsterdam"}, d.Metadata["geo"])

	// Body encodings: form → object, XML → string, binary → base64.
	st, _ = s.post(h.Path, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "a=1&b=2&b=3")
	require.Equal(t, http.StatusAccepted, st)
	st, _ = s.post(h.Path, http.Header{"Content-Type": {"application/xml"}}, "<a>1</a>")
	require.Equal(t, http.StatusAccepted, st)
	st, _ = s.post(h.Path, http.Header{"Content-Type": {"application/octet-stream"}}, "\x00\x01\xff")
	require.Equal(t, http.StatusAccepted, st)
	evs = s.events(h, hookstream.EventWebhookReceived)
	require.Len(t, evs, 5)
	var form, xml, bin hookstream.ReceivedData
	require.NoError(t, json.Unmarshal(evs[2].Data, &form))
	require.NoError(t, json.Unmarshal(evs[3].Data, &xml))
	require.NoError(t, json.Unmarshal(evs[4].Data, &bin))
	require.JSONEq(t, `{"a":"1","b":["2","3"]}`, string(form.Body))
	require.JSONEq(t, `"<a>1</a>"`, string(xml.Body))
	require.Equal(t, "base64", bin.BodyEncoding)
	require.JSONEq(t, `"AAH/"`, string(bin.Body))
}

func TestIngestWhilePostgresDown(t *testing.T) {
	t.Parallel()
	pg := pgtest.NewServer(t)
	s := startServer(t, func(c *Config) { c.DatabaseURL = pg.DSN(pglocal.DatabaseName) })
	h := s.createHook(map[string]any{"path": "pgdown", "authType": "none"})
	st, _ := s.post(h.Path, nil, `{"before":true}`)
	require.Equal(t, http.StatusAccepted, st)

	require.NoError(t, pg.Stop(t.Context()))
	var ids []string
	for i := range 20 {
		st, out := s.post(h.Path, nil, `{"during":`+strconv.Itoa(i)+`}`)
		require.Equal(t, http.StatusAccepted, st, out)
		ids = append(ids, out["eventId"].(string))
	}
	// The management API still answers from the cache (without stats).
	var got map[string]any
	require.Equal(t, http.StatusOK, s.do("GET", "/api/v1/webhooks/"+h.ID, s.Token, nil, &got))
	evs := s.events(h, hookstream.EventWebhookReceived)
	require.Len(t, evs, 21)
	stored := map[string]bool{}
	for _, ev := range evs {
		stored[ev.ID] = true
	}
	for _, id := range ids {
		require.True(t, stored[id], id)
	}
	require.NoError(t, pg.Start(t.Context()))
}

// SPEC §2: each stored delivery carries Nats-TTL = its tenant's retention
// (default 30 days), so old payloads leave the stream too.
func TestIngestSetsTenantRetentionTTL(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	h := s.createHook(map[string]any{"name": "ttl", "path": "ttl-" + eventstore.NewID()[:8], "authType": "none"})
	st, out := s.post(h.Path, nil, `{"ttl":true}`)
	require.Equal(t, http.StatusAccepted, st, out)
	evs := s.events(h, hookstream.EventWebhookReceived)
	require.Len(t, evs, 1)
	require.Equal(t, out["eventId"], evs[0].ID)
	stream, err := s.Main.Store().JetStream().Stream(t.Context(), eventstore.StreamHooks)
	require.NoError(t, err)
	msg, err := stream.GetMsg(t.Context(), evs[0].Sequence)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("%ds", hookstream.RetentionDaysDefault*24*60*60), msg.Header.Get("Nats-TTL"))
}
