package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func key(id string, b byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(b)), 32)))
}

func mustKeys(t testing.TB, spec string) Keys {
	t.Helper()
	k, err := ParseKeys(spec)
	require.NoError(t, err)
	return k
}

func TestParseKeys(t *testing.T) {
	k := mustKeys(t, key("2026-12", 'a')+", "+key("2026-06", 'b'))
	require.Len(t, k, 2)
	assert.Equal(t, "2026-12", k[0].ID, "the first key encrypts")
	none, err := ParseKeys("")
	require.NoError(t, err)
	assert.Empty(t, none)
	secret := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for spec, want := range map[string]string{
		"nokeyid":                             "entry 1",
		"k1:not-base64!":                      `key "k1": not standard base64`,
		"k1:" + secret:                        `key "k1": 16 bytes, want 32`,
		key("k1", 'a') + "," + key("k1", 'b'): `key id "k1" appears twice`,
	} {
		_, err := ParseKeys(spec)
		require.Error(t, err, spec)
		assert.Contains(t, err.Error(), want)
		assert.NotContains(t, err.Error(), secret, "an error never prints key material")
	}
}

func TestRoundTripHidesThePlainText(t *testing.T) {
	dc := DataConverter(mustKeys(t, key("k1", 'a')))
	p, err := dc.ToPayload(map[string]string{"email": "jordan@private.example"})
	require.NoError(t, err)
	assert.NotContains(t, string(p.Data), "jordan")
	assert.Equal(t, EncodingName, string(p.Metadata[MetadataEncoding]))
	assert.Equal(t, "k1", string(p.Metadata[MetadataKeyID]))
	again, _ := dc.ToPayload(map[string]string{"email": "jordan@private.example"})
	assert.NotEqual(t, p.Data, again.Data, "a fresh nonce per payload")
	var back map[string]string
	require.NoError(t, dc.FromPayload(p, &back))
	assert.Equal(t, "jordan@private.example", back["email"])
}

// TestDecodesAnIndependentlyMadeCiphertext builds a payload with crypto/aes directly (nonce
// first, the key id as additional data, the serialized payload inside), as SPEC §6 and the
// metadata names describe, and checks the codec reads it.
func TestDecodesAnIndependentlyMadeCiphertext(t *testing.T) {
	raw := []byte(strings.Repeat("k", 32))
	block, _ := aes.NewCipher(raw)
	gcm, _ := cipher.NewGCM(block)
	inner := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"hello"`)}
	plain, _ := inner.Marshal()
	nonce := []byte("0123456789ab")
	p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/encrypted"), "encryption-key-id": []byte("kat")},
		Data: gcm.Seal(append([]byte{}, nonce...), nonce, plain, []byte("kat"))}
	c, err := NewCodec(mustKeys(t, "kat:"+base64.StdEncoding.EncodeToString(raw)))
	require.NoError(t, err)
	out, err := c.Decode([]*commonpb.Payload{p})
	require.NoError(t, err)
	var s string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(out[0], &s))
	assert.Equal(t, "hello", s)

	p.Data[len(p.Data)-1] ^= 1
	_, err = c.Decode([]*commonpb.Payload{p})
	assert.ErrorContains(t, err, "does not decrypt", "altered data is refused")
}

func TestRotation(t *testing.T) {
	old := DataConverter(mustKeys(t, key("old", 'a')))
	written, err := old.ToPayload("written under the old key")
	require.NoError(t, err)

	rotated := DataConverter(mustKeys(t, key("new", 'b')+","+key("old", 'a')))
	var s string
	require.NoError(t, rotated.FromPayload(written, &s), "old histories stay readable after a new key is added first")
	assert.Equal(t, "written under the old key", s)
	fresh, _ := rotated.ToPayload("x")
	assert.Equal(t, "new", string(fresh.Metadata[MetadataKeyID]), "new payloads use the new key")

	dropped := DataConverter(mustKeys(t, key("new", 'b')))
	err = dropped.FromPayload(written, &s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `key "old"`, "the missing key is named")
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	plain, _ := converter.GetDefaultDataConverter().ToPayload("from before encryption")
	var s string
	require.NoError(t, DataConverter(mustKeys(t, key("k", 'a'))).FromPayload(plain, &s))
	assert.Equal(t, "from before encryption", s)
}
