package payloadcodec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// A ciphertext made by Python's cryptography package, not by Go:
//
//	from cryptography.hazmat.primitives.ciphers.aead import AESGCM
//	key = bytes(range(32)); nonce = b"0123456789ab"
//	entry = b"\x0a\x08encoding\x12\x0ajson/plain"                         # metadata map entry
//	plain = b"\x0a" + bytes([len(entry)]) + entry + b"\x12\x07\"hello\""  # Payload{metadata, data}
//	base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plain, b"kat-2026"))
//	base64.b64encode(nonce + AESGCM(key).encrypt(nonce, b"", b"kat-2026"))  # an empty Payload
//
// and the key as PAYLOAD_ENCRYPTION_KEYS spells it: base64.b64encode(bytes(range(32))).
const (
	pyKeySpec    = "kat-2026:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	pyCiphertext = "MDEyMzQ1Njc4OWFiPQdYezNJ6mjzVj3cumHgfiScK397vtHW4NeLbXnQEP05IBSlJM0ZOQ8uPetGo8RA9Q=="
	pyEmpty      = "MDEyMzQ1Njc4OWFio7rITKCx9zYsEG3kmtbDTw=="
)

func encrypted(keyID, b64 string) *commonpb.Payload {
	data, _ := base64.StdEncoding.DecodeString(b64)
	return &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte(EncodingName), MetadataKeyID: []byte(keyID)}, Data: data}
}

func TestDecodesAPythonMadeCiphertext(t *testing.T) {
	c, err := NewCodec(mustKeys(t, "new:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))+", "+pyKeySpec))
	require.NoError(t, err)
	out, err := c.Decode([]*commonpb.Payload{encrypted("kat-2026", pyCiphertext), encrypted("kat-2026", pyEmpty)})
	require.NoError(t, err)
	var s string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(out[0], &s))
	assert.Equal(t, "hello", s)
	assert.Empty(t, out[1].GetMetadata(), "nonce and tag alone hold an empty payload")
	assert.Empty(t, out[1].GetData())

	_, err = c.Decode([]*commonpb.Payload{encrypted("new", pyCiphertext)})
	assert.ErrorIs(t, err, ErrUndecodable, "the key id is bound as additional data")
	assert.ErrorContains(t, err, `payload under key "new" does not decrypt`)
}

// Shorter than a nonce and a tag is refused as such; exactly that long is a ciphertext.
func TestShortCiphertexts(t *testing.T) {
	c, err := NewCodec(mustKeys(t, pyKeySpec))
	require.NoError(t, err)
	for _, n := range []int{0, 11, 12, 27} {
		p := encrypted("kat-2026", "")
		p.Data = bytes.Repeat([]byte{7}, n)
		_, err := c.Decode([]*commonpb.Payload{p})
		assert.ErrorIs(t, err, ErrUndecodable, "%d bytes", n)
		assert.ErrorContains(t, err, "too short", "%d bytes", n)
	}
	p := encrypted("kat-2026", "")
	p.Data = bytes.Repeat([]byte{7}, 28)
	_, err = c.Decode([]*commonpb.Payload{p})
	assert.ErrorContains(t, err, "does not decrypt")
}

// Key parsing, spelled as an operator may write it; every refusal wraps ErrKeySpec and never
// prints the material.
func TestParseKeysKnownAnswers(t *testing.T) {
	keys := mustKeys(t, " , kat-2026 : AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= ,, ")
	require.Len(t, keys, 1)
	assert.Equal(t, "kat-2026", keys[0].ID)
	c, err := NewCodec(keys)
	require.NoError(t, err)
	_, err = c.Decode([]*commonpb.Payload{encrypted("kat-2026", pyCiphertext)})
	require.NoError(t, err, "the base64 is read as the key Python encrypted with")

	for spec, want := range map[string]string{
		"k1:-__7__v_-__7__v_-__7__v_-__7__v_-__7__v_-_8=":                     `PAYLOAD_ENCRYPTION_KEYS key "k1": not standard base64`, // URL-safe alphabet
		"k1:+//7//v/+//7//v/+//7//v/+//7//v/+//7//v/+/8":                      `PAYLOAD_ENCRYPTION_KEYS key "k1": not standard base64`, // padding left off
		"k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==":                     `PAYLOAD_ENCRYPTION_KEYS key "k1": 31 bytes, want 32 (AES-256)`,
		"k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g":                     `PAYLOAD_ENCRYPTION_KEYS key "k1": 33 bytes, want 32 (AES-256)`,
		":AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=":                       `PAYLOAD_ENCRYPTION_KEYS entry 1: want <key id>:<base64 of 32 bytes>`,
		pyKeySpec + ",AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=":           `PAYLOAD_ENCRYPTION_KEYS entry 2: want <key id>:<base64 of 32 bytes>`,
		pyKeySpec + ", kat-2026:+//7//v/+//7//v/+//7//v/+//7//v/+//7//v/+/8=": `PAYLOAD_ENCRYPTION_KEYS: key id "kat-2026" appears twice`,
	} {
		_, err := ParseKeys(spec)
		require.Error(t, err, spec)
		assert.ErrorIs(t, err, ErrKeySpec, spec)
		assert.EqualError(t, err, want, spec)
	}
	valid := "+//7//v/+//7//v/+//7//v/+//7//v/+//7//v/+/8="
	keys = mustKeys(t, "k1:"+valid)
	assert.Equal(t, "k1", keys[0].ID, "+ and / are standard base64")
}

func TestNewKeySpec(t *testing.T) {
	a, err := NewKeySpec("local")
	require.NoError(t, err)
	b, err := NewKeySpec("local")
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "fresh material each time")
	for _, spec := range []string{a, b} {
		keys := mustKeys(t, spec)
		require.Len(t, keys, 1)
		assert.Equal(t, "local", keys[0].ID)
	}
}

// childEnv makes the test binary, started again, print one encoded payload and exit: a
// restarted worker.
const childEnv = "PAYLOADCODEC_ENCODE_ONCE"

func TestEncodeOnceInAChildProcess(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestNoncesDoNotRepeatAcrossRestarts")
	}
	c, err := NewCodec(mustKeys(t, pyKeySpec))
	require.NoError(t, err)
	out, err := c.Encode([]*commonpb.Payload{{Data: []byte(`"same payload"`)}})
	require.NoError(t, err)
	os.Stdout.WriteString("\nENCODED " + base64.StdEncoding.EncodeToString(out[0].Data) + "\n")
}

// The same key and the same payload, encoded by two processes (a worker and the same worker
// after a restart) and by two codecs in one process: never the same nonce. A nonce repeated
// under one GCM key gives away both plain texts and lets anyone forge payloads.
func TestNoncesDoNotRepeatAcrossRestarts(t *testing.T) {
	var nonces [][]byte
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEncodeOnceInAChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		_, line, ok := strings.Cut(string(out), "\nENCODED ")
		require.True(t, ok, "%s", out)
		data, err := base64.StdEncoding.DecodeString(strings.Fields(line)[0])
		require.NoError(t, err)
		nonces = append(nonces, data[:12])
	}
	for range 2 {
		c, err := NewCodec(mustKeys(t, pyKeySpec))
		require.NoError(t, err)
		out, err := c.Encode([]*commonpb.Payload{{Data: []byte(`"same payload"`)}})
		require.NoError(t, err)
		nonces = append(nonces, out[0].Data[:12])
	}
	for i := range nonces {
		for j := range i {
			// Random 12-byte nonces agree in about 12/256 positions; a counter or a clock in
			// all but one or two.
			same := 0
			for k := range nonces[i] {
				if nonces[i][k] == nonces[j][k] {
					same++
				}
			}
			assert.Less(t, same, 6, "nonces %d and %d: %x and %x", j, i, nonces[j], nonces[i])
		}
	}
}

// Without keys (the sandbox) a failure's message stays readable, redacted, and is not moved
// into an encoded payload.
func TestFailureConverterWithoutKeysKeepsMessagesReadable(t *testing.T) {
	f := FailureConverter(nil).ErrorToFailure(temporal.NewApplicationError("contractor ada@example.com refused", "BusinessError"))
	assert.Equal(t, "contractor [email] refused", f.GetMessage())
	assert.Nil(t, f.GetEncodedAttributes())
}

// FuzzParseKeys: any setting; never panics, refuses only with ErrKeySpec, and what it accepts
// is a list of distinct, named keys that each encrypt and decrypt.
func FuzzParseKeys(f *testing.F) {
	for _, s := range []string{pyKeySpec, " , " + pyKeySpec + " ,, ", pyKeySpec + ",k2:+//7//v/+//7//v/+//7//v/+//7//v/+//7//v/+/8=",
		"k1:-__7__v_-__7__v_-__7__v_-__7__v_-__7__v_-_8=", "nokeyid", "", ":", "k:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		keys, err := ParseKeys(spec)
		if err != nil {
			if !errors.Is(err, ErrKeySpec) {
				t.Fatalf("error %v does not wrap ErrKeySpec", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if k.ID == "" || seen[k.ID] {
				t.Fatalf("key id %q empty or repeated in %q", k.ID, spec)
			}
			seen[k.ID] = true
			c := &Codec{keys: Keys{k}}
			enc, err := c.Encode([]*commonpb.Payload{{Data: []byte("x")}})
			if err != nil {
				t.Fatal(err)
			}
			dec, err := c.Decode(enc)
			if err != nil || string(dec[0].GetData()) != "x" {
				t.Fatalf("key %q does not round-trip: %v", k.ID, err)
			}
		}
	})
}

// FuzzDecode: any stored payload; never panics, refuses only with ErrUndecodable, passes a
// payload not marked encrypted through untouched, and decrypts nothing it was not given a
// real ciphertext for (the seeds are the Python-made ones).
func FuzzDecode(f *testing.F) {
	py, _ := base64.StdEncoding.DecodeString(pyCiphertext)
	empty, _ := base64.StdEncoding.DecodeString(pyEmpty)
	f.Add(EncodingName, "kat-2026", py)
	f.Add(EncodingName, "kat-2026", empty)
	f.Add(EncodingName, "other", py)
	f.Add("json/plain", "", []byte(`"hello"`))
	f.Add(EncodingName, "kat-2026", []byte{})
	c, err := NewCodec(mustKeys(f, pyKeySpec))
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, encoding, keyID string, data []byte) {
		in := &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte(encoding), MetadataKeyID: []byte(keyID)}, Data: data}
		out, err := c.Decode([]*commonpb.Payload{in})
		if err != nil {
			if !errors.Is(err, ErrUndecodable) {
				t.Fatalf("error %v does not wrap ErrUndecodable", err)
			}
			return
		}
		if len(out) != 1 || out[0] == nil {
			t.Fatalf("accepted, but no payload came out")
		}
		if encoding != EncodingName && out[0] != in {
			t.Fatalf("a plain payload was changed")
		}
		if encoding == EncodingName && !bytes.Equal(data, py) && !bytes.Equal(data, empty) {
			t.Fatalf("decrypted a ciphertext nobody made: %x", data)
		}
	})
}
