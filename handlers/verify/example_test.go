package verify_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/hookstream/hookstream/handlers/verify"
)

// A sender signs a delivery with the webhook's secret; ingest verifies the
// headers over the raw body.
func Example() {
	secret := []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	body := []byte(`{"test": 2432232314}`)
	sent := time.Unix(1614265330, 0)

	header, err := verify.Sign(verify.SchemeStandardWebhooks, secret, verify.HMACConfig{}, "msg_p5jXN8AQM9LWM0D4loKWxJek", sent, body)
	if err != nil {
		panic(err)
	}
	fmt.Println(header.Get("webhook-signature"))

	creds := verify.Credentials{Secrets: [][]byte{secret}}
	err = verify.Verify(verify.SchemeStandardWebhooks, creds, verify.Request{Header: header, Body: body, Now: sent.Add(time.Minute)})
	fmt.Println("verified:", err == nil)

	err = verify.Verify(verify.SchemeStandardWebhooks, creds, verify.Request{Header: header, Body: body, Now: sent.Add(time.Hour)})
	fmt.Println("an hour later stale:", errors.Is(err, verify.ErrStale))

	fmt.Println("delivery id:", verify.DeliveryID(verify.SchemeStandardWebhooks, header, body, ""))
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// verified: true
	// an hour later stale: true
	// delivery id: msg_p5jXN8AQM9LWM0D4loKWxJek
}

// The generic hmac scheme is configured per webhook.
func ExampleSign_hmac() {
	cfg := verify.HMACConfig{Prefix: "sha256=", Header: "X-Acme-Signature"}
	body := []byte(`{"event":"ping"}`)

	header, err := verify.Sign(verify.SchemeHMAC, []byte("s3cret"), cfg, "", time.Now(), body)
	if err != nil {
		panic(err)
	}
	creds := verify.Credentials{Secrets: [][]byte{[]byte("old-secret"), []byte("s3cret")}, HMAC: cfg}
	fmt.Println(verify.Verify(verify.SchemeHMAC, creds, verify.Request{Header: header, Body: body}))
	// Output: <nil>
}
