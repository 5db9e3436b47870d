package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The known-answer vector of README "Notifications", computed independently with Python's
// hmac module: hmac.new(b"whsec_notify_example", b"1796198400." + body, sha256).hexdigest().
const (
	kavSecret = "whsec_notify_example"
	kavBody   = `{"id":"ntf_0123","type":"engagement.insured"}`
	kavHex    = "d50dccc496405b8b8587802a8ce43ac0c457b1da158c0824ce40780ba063193c"
)

var kavTime = time.Unix(1796198400, 0)

func TestSignKnownAnswer(t *testing.T) {
	assert.Equal(t, "t=1796198400,v1="+kavHex, Sign(kavSecret, kavTime, []byte(kavBody)))
}

func TestVerify(t *testing.T) {
	header := "t=1796198400,v1=" + kavHex
	require.NoError(t, Verify(header, []byte(kavBody), kavTime.Add(time.Minute), 5*time.Minute, kavSecret))
	assert.NoError(t, Verify("t=1796198400,v1=00ff,v1="+kavHex, []byte(kavBody), kavTime, time.Minute, kavSecret), "one matching v1 suffices")
	assert.ErrorIs(t, Verify(header, []byte(kavBody+" "), kavTime, time.Minute, kavSecret), ErrNoMatch)
	assert.ErrorIs(t, Verify(header, []byte(kavBody), kavTime, time.Minute, "other"), ErrNoMatch)
	assert.ErrorIs(t, Verify(header, []byte(kavBody), kavTime.Add(time.Hour), 5*time.Minute, kavSecret), ErrStale)
	assert.ErrorIs(t, Verify("", []byte(kavBody), kavTime, time.Minute, kavSecret), ErrMissing)
	assert.ErrorIs(t, Verify("v1="+kavHex, []byte(kavBody), kavTime, time.Minute, kavSecret), ErrMalformed)
}

func TestVerifyDuringRotation(t *testing.T) {
	header := "t=1796198400,v1=" + kavHex
	assert.NoError(t, Verify(header, []byte(kavBody), kavTime, time.Minute, "whsec_new", kavSecret), "the old secret still verifies")
	assert.ErrorIs(t, Verify(header, []byte(kavBody), kavTime, time.Minute, "whsec_new"), ErrNoMatch)
	assert.ErrorIs(t, Verify(header, []byte(kavBody), kavTime, time.Minute), ErrNoMatch, "no secret verifies nothing")
}

// TestVerifyRefusesMalformedMACs: literal headers, each a near miss of the README vector.
// The body.t order vector was computed the same way with the parts swapped:
// python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_notify_example", b"{\"id\":\"ntf_0123\",\"type\":\"engagement.insured\"}.1796198400", hashlib.sha256).hexdigest())'
func TestVerifyRefusesMalformedMACs(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		want         error
	}{
		{"empty MAC", "t=1796198400,v1=", ErrNoMatch},
		{"truncated to 16 bytes", "t=1796198400,v1=d50dccc496405b8b8587802a8ce43ac0", ErrNoMatch},
		{"truncated to 31 bytes", "t=1796198400,v1=d50dccc496405b8b8587802a8ce43ac0c457b1da158c0824ce40780ba06319", ErrNoMatch},
		{"one byte too many", "t=1796198400,v1=d50dccc496405b8b8587802a8ce43ac0c457b1da158c0824ce40780ba063193c00", ErrNoMatch},
		{"upper-case hex", "t=1796198400,v1=D50DCCC496405B8B8587802A8CE43AC0C457B1DA158C0824CE40780BA063193C", ErrMalformed},
		{"wrong version prefix", "t=1796198400,v0=" + kavHex, ErrMalformed},
		{"another scheme's prefix", "t=1796198400,sha256=" + kavHex, ErrMalformed},
		{"upper-case key", "T=1796198400,V1=" + kavHex, ErrMalformed},
		{"MAC over body.t", "t=1796198400,v1=5ed137eabfa8e521a331a64b749e05515a9704626572be067a9c02f3992eef10", ErrNoMatch},
		{"another timestamp", "t=1796198401,v1=" + kavHex, ErrNoMatch},
		{"no timestamp", "v1=" + kavHex, ErrMalformed},
		{"timestamp not a number", "t=1796198400.0,v1=" + kavHex, ErrMalformed},
		{"entry without =", "t=1796198400,v1" + kavHex, ErrMalformed},
		{"only spaces", "   ", ErrMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, Verify(tc.header, []byte(kavBody), kavTime, time.Minute, kavSecret), tc.want)
		})
	}
	// The spelling of the good header that the format allows: spaces around entries.
	assert.NoError(t, Verify(" t=1796198400 , v1="+kavHex+" ", []byte(kavBody), kavTime, time.Minute, kavSecret))
}

// TestToleranceBoundaries: a timestamp exactly the tolerance away is still accepted, one
// second more is not, in both directions; 0 means the 300 s default.
func TestToleranceBoundaries(t *testing.T) {
	header := "t=1796198400,v1=" + kavHex
	for _, tc := range []struct {
		name      string
		offset    time.Duration
		tolerance time.Duration
		want      error
	}{
		{"at +tolerance", time.Minute, time.Minute, nil},
		{"at -tolerance", -time.Minute, time.Minute, nil},
		{"past +tolerance", time.Minute + time.Second, time.Minute, ErrStale},
		{"past -tolerance", -time.Minute - time.Second, time.Minute, ErrStale},
		{"default at 300 s", 300 * time.Second, 0, nil},
		{"default past 300 s", 301 * time.Second, 0, ErrStale},
		{"default past -300 s", -301 * time.Second, 0, ErrStale},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(header, []byte(kavBody), kavTime.Add(tc.offset), tc.tolerance, kavSecret)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
}

// referenceMAC is the scheme as the README states it, written apart from the package's own.
func referenceMAC(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// FuzzVerify: any header and body; Verify never panics, fails only with its four errors, and
// accepts only a header that carries the lower-case HMAC of its own t and the body.
func FuzzVerify(f *testing.F) {
	f.Add("t=1796198400,v1="+kavHex, []byte(kavBody))
	f.Add("t=1796198400,v1=00ff,v1="+kavHex, []byte(kavBody))
	f.Add("t=1796198400,v1=D50DCCC496405B8B8587802A8CE43AC0C457B1DA158C0824CE40780BA063193C", []byte(kavBody))
	f.Add("t=1796198400,v0="+kavHex, []byte(kavBody))
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := Verify(header, body, kavTime, DefaultTolerance, kavSecret)
		if err != nil {
			for _, known := range []error{ErrMissing, ErrMalformed, ErrStale, ErrNoMatch} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("error %v is none of the package's errors", err)
		}
		ts := ""
		for _, part := range strings.Split(header, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
				n, _ := strconv.ParseInt(v, 10, 64) // "+1796198400" names the same second
				ts = strconv.FormatInt(n, 10)
			}
		}
		if !strings.Contains(header, "v1="+referenceMAC(kavSecret, ts, body)) {
			t.Fatalf("accepted %q without the body's MAC", header)
		}
	})
}
