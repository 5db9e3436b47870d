// Package webhooksig signs and verifies the one webhook signature scheme this service meets
// twice: 1099Policy signs its webhooks with it (Ten99Policy-Signature) and this service signs
// its notifications with it (Coverage-Signature). The header is
// t=<unix seconds>,v1=<lower-case hex HMAC-SHA256(secret, t + "." + body)>, with one or more v1 entries.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a signature timestamp may be from now.
const DefaultTolerance = 300 * time.Second

// Verification failures.
var (
	ErrMissing   = errors.New("missing signature header")
	ErrMalformed = errors.New("malformed signature header: want t=<unix seconds>,v1=<hex>")
	ErrStale     = errors.New("signature timestamp outside the tolerance")
	ErrNoMatch   = errors.New("no v1 signature matches the body")
)

// Sign returns the header value for body at t.
func Sign(secret string, t time.Time, body []byte) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + hex.EncodeToString(mac(secret, t.Unix(), body))
}

// Verify returns nil when one v1 entry matches body under one of the secrets (several during
// a rotation) and the timestamp is within tolerance of now (DefaultTolerance when 0). Every
// comparison runs in constant time.
func Verify(header string, body []byte, now time.Time, tolerance time.Duration, secrets ...string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrMissing
	}
	var ts int64
	var haveTS bool
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return ErrMalformed
			}
			ts, haveTS = n, true
		case "v1":
			// the scheme's hex is lower-case: an entry in any other spelling was not made by it
			sig, err := hex.DecodeString(val)
			if err != nil || val != strings.ToLower(val) {
				continue // another scheme's entry; ignored like unknown versions
			}
			sigs = append(sigs, sig)
		}
	}
	if !haveTS || len(sigs) == 0 {
		return ErrMalformed
	}
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w (%s)", ErrStale, d.Round(time.Second))
	}
	match := 0
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		want := mac(secret, ts, body)
		for _, sig := range sigs {
			match |= subtle.ConstantTimeCompare(sig, want)
		}
	}
	if match != 1 {
		return ErrNoMatch
	}
	return nil
}

func mac(secret string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}
