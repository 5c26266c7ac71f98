// Package webhook is how parleyd signs the webhooks it sends to an
// application's backend, and how a backend written in Go verifies them.
//
// Every request carries these headers:
//
//	X-Parley-Event:     the event (beforeSendMessage, afterSendMessage, …)
//	X-Parley-Delivery:  the idempotency key; a retry sends the same one
//	X-Parley-Timestamp: when this attempt was signed, Unix seconds
//	X-Parley-Signature: "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// A receiver recomputes the signature over the raw body, compares it in
// constant time, refuses timestamps outside its replay window (Verify: 5
// minutes either way) and drops deliveries whose key it has already
// handled within that window. docs/integrating.md shows it in Go and Node.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderEvent     = "X-Parley-Event"
	HeaderDelivery  = "X-Parley-Delivery"
	HeaderTimestamp = "X-Parley-Timestamp"
	HeaderSignature = "X-Parley-Signature"
)

// ReplayWindow is how far a timestamp may be from the receiver's clock.
const ReplayWindow = 5 * time.Minute

// Verification errors.
var (
	ErrNoSignature  = errors.New("webhook: missing signature or timestamp")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: timestamp outside the replay window")
)

// Signature returns the X-Parley-Signature value for body signed at ts.
func Signature(secret []byte, ts time.Time, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Sign sets the timestamp and signature headers of a request carrying body.
func Sign(h http.Header, secret []byte, now time.Time, body []byte) {
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderSignature, Signature(secret, now, body))
}

// Verify checks the signature headers of a request carrying body, as
// received at now. It does not remember deliveries: dropping repeats of
// one X-Parley-Delivery is the receiver's part.
func Verify(h http.Header, secret []byte, now time.Time, body []byte) error {
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return ErrNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > ReplayWindow || d < -ReplayWindow {
		return ErrStale
	}
	got, ok := strings.CutPrefix(sig, "v1=")
	if !ok {
		return ErrBadSignature
	}
	raw, err := hex.DecodeString(got)
	if err != nil || !hmac.Equal(raw, mac(secret, ts, body)) {
		return ErrBadSignature
	}
	return nil
}
