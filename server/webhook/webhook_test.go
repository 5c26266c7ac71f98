package webhook_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"parley/server/webhook"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"event":"afterSendMessage"}`)
	now := time.Unix(1_800_000_000, 0)
	h := http.Header{}
	webhook.Sign(h, secret, now, body)

	assert.NoError(t, webhook.Verify(h, secret, now, body))
	assert.NoError(t, webhook.Verify(h, secret, now.Add(webhook.ReplayWindow), body), "at the edge of the window")
	assert.ErrorIs(t, webhook.Verify(h, secret, now.Add(webhook.ReplayWindow+time.Second), body), webhook.ErrStale)
	assert.ErrorIs(t, webhook.Verify(h, secret, now.Add(-webhook.ReplayWindow-time.Second), body), webhook.ErrStale)
	assert.ErrorIs(t, webhook.Verify(h, []byte("other"), now, body), webhook.ErrBadSignature)
	assert.ErrorIs(t, webhook.Verify(h, secret, now, []byte(`{"event":"x"}`)), webhook.ErrBadSignature)

	// A replayed body with a fresh timestamp but the old signature fails:
	// the timestamp is signed.
	moved := h.Clone()
	moved.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Add(time.Hour).Unix(), 10))
	assert.ErrorIs(t, webhook.Verify(moved, secret, now.Add(time.Hour), body), webhook.ErrBadSignature)

	for name, mod := range map[string]func(http.Header){
		"no signature":  func(h http.Header) { h.Del(webhook.HeaderSignature) },
		"no timestamp":  func(h http.Header) { h.Del(webhook.HeaderTimestamp) },
		"bad timestamp": func(h http.Header) { h.Set(webhook.HeaderTimestamp, "soon") },
		"no version":    func(h http.Header) { h.Set(webhook.HeaderSignature, h.Get(webhook.HeaderSignature)[3:]) },
		"not hex":       func(h http.Header) { h.Set(webhook.HeaderSignature, "v1=zz") },
	} {
		bad := h.Clone()
		mod(bad)
		assert.Error(t, webhook.Verify(bad, secret, now, body), name)
	}
}

// FuzzVerify: whatever headers and body arrive, Verify never panics and
// accepts only what Sign signed with the secret.
func FuzzVerify(f *testing.F) {
	secret := []byte("s3cret")
	now := time.Unix(1_800_000_000, 0)
	good := http.Header{}
	webhook.Sign(good, secret, now, []byte(`{}`))
	f.Add(good.Get(webhook.HeaderTimestamp), good.Get(webhook.HeaderSignature), []byte(`{}`))
	f.Add("1800000000", "v1=", []byte(``))
	f.Add("-1", "v1=zz", []byte(`x`))
	f.Add("99999999999999999999", "v2=00", []byte(`{}`))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		if webhook.Verify(h, secret, now, body) == nil {
			want := http.Header{}
			sec, _ := strconv.ParseInt(ts, 10, 64)
			webhook.Sign(want, secret, time.Unix(sec, 0), body)
			// Hex digits may come in either case: the MAC is the same.
			if !strings.EqualFold(want.Get(webhook.HeaderSignature), sig) {
				t.Fatalf("accepted a signature Sign did not make: %q %q", ts, sig)
			}
		}
	})
}
