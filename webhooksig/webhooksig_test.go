package webhooksig

import (
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
