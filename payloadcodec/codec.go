// Package payloadcodec encrypts every Temporal payload the service writes (workflow inputs,
// activity results, signals, query answers, failure messages) with AES-256-GCM, so
// contractors' names, emails, phones and addresses are never stored in plain text in
// Temporal's histories, database or backups (SPEC §6). Keys come from
// PAYLOAD_ENCRYPTION_KEYS: "<key id>:<base64 of 32 bytes>", comma-separated; the first
// encrypts, all decrypt, so a key is rotated by adding the new one first.
package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/coverage-orchestrator/coverage/redact"
)

// Metadata of an encrypted payload. The encoding name follows Temporal's samples, so the
// Web UI and CLI show such payloads as encoded until a codec server decodes them.
const (
	MetadataEncoding = "encoding"
	MetadataKeyID    = "encryption-key-id"
	EncodingName     = "binary/encrypted"
)

// The two ways the codec refuses outside input: every error of ParseKeys wraps ErrKeySpec,
// every error of Decode wraps ErrUndecodable (their texts start with these names).
var (
	ErrKeySpec     = errors.New("PAYLOAD_ENCRYPTION_KEYS")
	ErrUndecodable = errors.New("payload codec")
)

// Key is one named AES-256 key.
type Key struct {
	ID   string
	aead cipher.AEAD
}

// Keys is the parsed PAYLOAD_ENCRYPTION_KEYS: Keys[0] encrypts, every key decrypts.
type Keys []Key

// ParseKeys reads "<id>:<base64 32 bytes>[,<id>:<base64>…]". Errors name the entry by its
// position and key id, never the key material.
func ParseKeys(spec string) (Keys, error) {
	var keys Keys
	seen := map[string]bool{}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, material, ok := strings.Cut(entry, ":")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			return nil, fmt.Errorf("%w entry %d: want <key id>:<base64 of 32 bytes>", ErrKeySpec, i+1)
		}
		if seen[id] {
			return nil, fmt.Errorf("%w: key id %q appears twice", ErrKeySpec, id)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(material))
		if err != nil {
			return nil, fmt.Errorf("%w key %q: not standard base64", ErrKeySpec, id)
		}
		if len(raw) != 32 {
			return nil, fmt.Errorf("%w key %q: %d bytes, want 32 (AES-256)", ErrKeySpec, id, len(raw))
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("%w key %q: %v", ErrKeySpec, id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w key %q: %v", ErrKeySpec, id, err)
		}
		seen[id] = true
		keys = append(keys, Key{ID: id, aead: aead})
	}
	return keys, nil
}

// NewKeySpec makes a fresh "<id>:<base64>" entry (make run keeps one in .data/).
func NewKeySpec(id string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// Codec is the AES-256-GCM payload codec.
type Codec struct{ keys Keys }

// NewCodec needs at least one key.
func NewCodec(keys Keys) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("payload codec: no encryption key")
	}
	return &Codec{keys: keys}, nil
}

// Encode encrypts each payload (its whole protobuf, metadata included) with the first key and
// a fresh random nonce; the key id travels in the metadata and is bound as additional data.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	key := c.keys[0]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := p.Marshal()
		if err != nil {
			return nil, fmt.Errorf("payload codec: %w", err)
		}
		nonce := make([]byte, key.aead.NonceSize(), key.aead.NonceSize()+len(plain)+key.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("payload codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{MetadataEncoding: []byte(EncodingName), MetadataKeyID: []byte(key.ID)},
			Data:     key.aead.Seal(nonce, nonce, plain, []byte(key.ID)),
		}
	}
	return out, nil
}

// Decode decrypts payloads this codec encrypted, with the key their metadata names; any other
// payload (written before encryption was turned on) passes through unchanged.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingName {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		key, ok := c.key(id)
		if !ok {
			return nil, fmt.Errorf("%w: payload encrypted with key %q, which PAYLOAD_ENCRYPTION_KEYS does not hold", ErrUndecodable, id)
		}
		size := key.aead.NonceSize()
		if len(p.GetData()) < size+key.aead.Overhead() { // a nonce and a tag at least
			return nil, fmt.Errorf("%w: encrypted payload too short", ErrUndecodable)
		}
		plain, err := key.aead.Open(nil, p.Data[:size], p.Data[size:], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("%w: payload under key %q does not decrypt (wrong key or altered data)", ErrUndecodable, id)
		}
		var decoded commonpb.Payload
		if err := decoded.Unmarshal(plain); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUndecodable, err)
		}
		out[i] = &decoded
	}
	return out, nil
}

func (c *Codec) key(id string) (Key, bool) {
	for _, k := range c.keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// DataConverter is the SDK's default converter with this codec around it; nil keys give the
// plain default (sandbox mode without a key).
func DataConverter(keys Keys) converter.DataConverter {
	if len(keys) == 0 {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), &Codec{keys: keys})
}

// FailureConverter redacts every failure message and stack trace (emails, URL queries, known
// secrets: redact.Text) and then moves them into an encoded payload, so an error text (which
// may quote a 1099Policy or platform answer) is encrypted like the rest.
func FailureConverter(keys Keys) converter.FailureConverter {
	dc := DataConverter(keys)
	return &redactingFailureConverter{
		plain:   temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc}),
		decoder: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true}),
		dc:      dc, encode: len(keys) > 0,
	}
}

type redactingFailureConverter struct {
	plain, decoder converter.FailureConverter
	dc             converter.DataConverter
	encode         bool
}

func (c *redactingFailureConverter) ErrorToFailure(err error) *failurepb.Failure {
	f := c.plain.ErrorToFailure(err)
	for level := f; level != nil; level = level.GetCause() {
		if level.GetEncodedAttributes() != nil {
			continue // already encoded (a failure passed through from another service)
		}
		level.Message, level.StackTrace = redact.Text(level.Message), redact.Text(level.StackTrace)
		if c.encode {
			_ = converter.EncodeCommonFailureAttributes(c.dc, level)
		}
	}
	return f
}

// FailureToError decodes encoded attributes when there are any (plain failures pass as they are).
func (c *redactingFailureConverter) FailureToError(f *failurepb.Failure) error {
	return c.decoder.FailureToError(f)
}
