package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// MetadataEncoding is the "encoding" metadata value of an encrypted
	// payload.
	MetadataEncoding = "binary/encrypted"
	// MetadataKeyID names the metadata entry holding the ID of the key
	// that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the metadata entry holding the cipher.
	MetadataCipher = "encryption-cipher"
	// Cipher is the value of MetadataCipher.
	Cipher = "AES-256-GCM"
)

// KeySize is the size of a key in bytes.
const KeySize = 32

// Key is one AES-256 key with its ID.
type Key struct {
	id   string
	aead cipher.AEAD
}

// ID is the key's ID, as written in the metadata of what it encrypts.
func (k Key) ID() string { return k.id }

// NewKey makes a Key of 32 raw bytes.
func NewKey(raw []byte) (Key, error) {
	if len(raw) != KeySize {
		return Key{}, fmt.Errorf("a key is %d bytes, not %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, err
	}
	return Key{id: KeyID(raw), aead: aead}, nil
}

// KeyID is the ID of a raw key: the first 8 bytes of its SHA-256, in hex.
func KeyID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// ParseKey reads a key written as 32 raw bytes, as 64 hexadecimal digits
// or as base64 (standard or URL alphabet, padded or not) of 32 bytes;
// whitespace around the hex or base64 text is ignored.
func ParseKey(b []byte) ([]byte, error) {
	if len(b) == KeySize {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, errors.New("the key is empty")
	}
	if len(s) == 2*KeySize {
		if raw, err := hex.DecodeString(s); err == nil {
			return raw, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		raw, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(raw) != KeySize {
			return nil, fmt.Errorf("the key is base64 of %d bytes; want %d (e.g. `openssl rand -base64 32`)", len(raw), KeySize)
		}
		return raw, nil
	}
	return nil, fmt.Errorf("the key is %d bytes: want %d raw bytes, %d hex digits or base64 of %d bytes (e.g. `openssl rand -base64 32`)", len(b), KeySize, 2*KeySize, KeySize)
}

// MissingKeyError is the error of decoding a payload encrypted with a key
// the codec does not hold.
type MissingKeyError struct {
	KeyID string
	// Have are the IDs of the keys the codec holds.
	Have []string
}

func (e *MissingKeyError) Error() string {
	if len(e.Have) == 0 {
		return fmt.Sprintf("payload encrypted with key ID %s; pass --codec-key with that key", e.KeyID)
	}
	return fmt.Sprintf("payload encrypted with key ID %s, which is not among the codec keys given (IDs %s); pass --codec-key with that key", e.KeyID, strings.Join(e.Have, ", "))
}

// Codec is a converter.PayloadCodec encrypting with its first key and
// decrypting with any of its keys.
type Codec struct {
	keys []Key
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec over keys; the first encrypts. With none it
// encrypts nothing and decrypts nothing (Decode says which key an
// encrypted payload needs).
func New(keys ...Key) *Codec { return &Codec{keys: keys} }

// Encrypts reports whether Encode encrypts (the codec has a key).
func (c *Codec) Encrypts() bool { return len(c.keys) > 0 }

// KeyIDs are the IDs of the codec's keys, the encrypting one first.
func (c *Codec) KeyIDs() []string {
	ids := make([]string, len(c.keys))
	for i, k := range c.keys {
		ids[i] = k.id
	}
	return ids
}

// Encode encrypts each payload (the whole payload, metadata included)
// with the first key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if len(c.keys) == 0 {
		return payloads, nil
	}
	k := c.keys[0]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encrypt payload: %w", err)
		}
		nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("encrypt payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncoding),
				MetadataKeyID:              []byte(k.id),
				MetadataCipher:             []byte(Cipher),
			},
			// The key ID is authenticated data: a payload cannot be
			// relabelled to another key.
			Data: k.aead.Seal(nonce, nonce, plain, []byte(k.id)),
		}
	}
	return out, nil
}

// Decode decrypts the encrypted payloads and leaves the others as they are.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		k, ok := c.key(id)
		if !ok {
			return payloads, &MissingKeyError{KeyID: id, Have: c.KeyIDs()}
		}
		data := p.GetData()
		if len(data) < k.aead.NonceSize() {
			return payloads, fmt.Errorf("payload encrypted with key ID %s is truncated", id)
		}
		plain, err := k.aead.Open(nil, data[:k.aead.NonceSize()], data[k.aead.NonceSize():], []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("payload encrypted with key ID %s does not decrypt with that key: tampered or corrupt", id)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return payloads, fmt.Errorf("payload encrypted with key ID %s: decrypted data is not a payload: %w", id, err)
		}
		out[i] = &dec
	}
	return out, nil
}

func (c *Codec) key(id string) (Key, bool) {
	for _, k := range c.keys {
		if k.id == id {
			return k, true
		}
	}
	return Key{}, false
}
