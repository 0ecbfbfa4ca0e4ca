package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hookstream/hookstream/handlers/verify"
)

// Target is a webhook endpoint the load generator signs requests for.
type Target struct {
	// URL is the full ingest URL (…/api/v1/webhooks/{path}).
	URL string
	// Scheme is the signature scheme (verify.Scheme*).
	Scheme string
	// Secret is the webhook's signing secret.
	Secret []byte
	// HMAC configures the generic hmac scheme (zero: its defaults).
	HMAC verify.HMACConfig
	// BodySize is the JSON body's exact size in bytes.
	BodySize int
}

// signer builds unique, correctly signed requests for a Target.
type signer struct {
	t      Target
	prefix string
	seq    atomic.Uint64
}

func newSigner(t Target) *signer {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &signer{t: t, prefix: hex.EncodeToString(b)}
}

// carriesDeliveryID reports whether a scheme's own headers (or, for
// Stripe, the body's id) carry the delivery id; the others get an
// Idempotency-Key so that every request has one (SPEC §3.4).
func carriesDeliveryID(scheme string) bool {
	switch scheme {
	case verify.SchemeStandardWebhooks, verify.SchemeGitHub, verify.SchemeShopify, verify.SchemeStripe:
		return true
	}
	return false
}

// body returns a JSON object of exactly size bytes (at least its fixed
// part) whose "id" is the delivery id, as a Stripe event's would be.
func benchBody(id string, size int) []byte {
	head := `{"id":"` + id + `","type":"bench.event","created":` + strconv.FormatInt(time.Now().Unix(), 10) + `,"data":{"pad":"`
	tail := `"}}`
	pad := max(size-len(head)-len(tail), 0)
	b := make([]byte, 0, len(head)+pad+len(tail))
	b = append(b, head...)
	b = append(b, bytes.Repeat([]byte{'x'}, pad)...)
	return append(b, tail...)
}

// next returns the next request: a unique delivery id, a body of BodySize
// bytes and the scheme's signature headers.
func (s *signer) next(ctx context.Context) (*http.Request, error) {
	id := "evt_" + s.prefix + "_" + strconv.FormatUint(s.seq.Add(1), 10)
	body := benchBody(id, s.t.BodySize)
	h, err := verify.Sign(s.t.Scheme, s.t.Secret, s.t.HMAC, id, time.Now(), body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.t.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if !carriesDeliveryID(s.t.Scheme) {
		req.Header.Set(verify.HeaderIdempotencyKey, id)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hookbench/1")
	return req, nil
}

// newHTTPClient returns a client keeping up to conns keep-alive
// connections to one host.
func newHTTPClient(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// ingestAnswer is the part of an ingest answer the generator reads.
type ingestAnswer struct {
	EventID string `json:"eventId"`
}

// httpOp returns an opFunc sending s's requests with client.
func httpOp(client *http.Client, s *signer) opFunc {
	return func(ctx context.Context) outcome {
		req, err := s.next(ctx)
		if err != nil {
			return outcome{err: err}
		}
		resp, err := client.Do(req)
		if err != nil {
			return outcome{err: err}
		}
		defer resp.Body.Close()
		raw, err := readAll(resp.Body, 64<<10)
		if err != nil {
			return outcome{err: fmt.Errorf("read answer: %w", err)}
		}
		o := outcome{status: resp.StatusCode}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			var a ingestAnswer
			if json.Unmarshal(raw, &a) == nil {
				o.eventID = a.EventID
			}
		}
		return o
	}
}
