package payloadcodec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func newKey(t *testing.T) (Key, []byte) {
	t.Helper()
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	k, err := NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return k, raw
}

func jsonPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEncodeHidesAndDecodeRestores(t *testing.T) {
	k, _ := newKey(t)
	c := New(k)
	in := []*commonpb.Payload{jsonPayload(t, "the hypothesis: checkout survives"), jsonPayload(t, map[string]int{"n": 3})}
	enc, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range enc {
		if bytes.Contains(p.GetData(), []byte("hypothesis")) || bytes.Contains(p.GetData(), []byte(`"n"`)) {
			t.Errorf("payload %d in clear text: %q", i, p.GetData())
		}
		if got := string(p.GetMetadata()[MetadataKeyID]); got != k.ID() {
			t.Errorf("payload %d key ID %q, want %q", i, got, k.ID())
		}
		if got := string(p.GetMetadata()[converter.MetadataEncoding]); got != MetadataEncoding {
			t.Errorf("payload %d encoding %q", i, got)
		}
	}
	again, _ := c.Encode(in)
	if bytes.Equal(again[0].GetData(), enc[0].GetData()) {
		t.Error("two encryptions of one payload are equal: nonce reused")
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &s); err != nil || s != "the hypothesis: checkout survives" {
		t.Fatalf("decoded %q, %v", s, err)
	}
	// Decoding twice, or decoding clear payloads, changes nothing.
	twice, err := c.Decode(dec)
	if err != nil || !bytes.Equal(twice[1].GetData(), in[1].GetData()) {
		t.Fatalf("second decode: %v", err)
	}
}

func TestRotation(t *testing.T) {
	a, _ := newKey(t)
	b, _ := newKey(t)
	written, err := New(a).Encode([]*commonpb.Payload{jsonPayload(t, "run with key A")})
	if err != nil {
		t.Fatal(err)
	}
	ring := New(b, a)
	dec, err := ring.Decode(written)
	if err != nil {
		t.Fatalf("keyring [B, A] reads what A wrote: %v", err)
	}
	var s string
	_ = converter.GetDefaultDataConverter().FromPayload(dec[0], &s)
	if s != "run with key A" {
		t.Fatalf("decoded %q", s)
	}
	newer, _ := ring.Encode([]*commonpb.Payload{jsonPayload(t, "x")})
	if got := string(newer[0].GetMetadata()[MetadataKeyID]); got != b.ID() {
		t.Fatalf("keyring [B, A] encrypted with %s, want B %s", got, b.ID())
	}
	// B alone cannot read A's payloads, and says which key it needs.
	_, err = New(b).Decode(written)
	var missing *MissingKeyError
	if !errors.As(err, &missing) || missing.KeyID != a.ID() {
		t.Fatalf("B alone: %v, want MissingKeyError for %s", err, a.ID())
	}
	if !strings.Contains(err.Error(), a.ID()) || !strings.Contains(err.Error(), "--codec-key") {
		t.Errorf("error does not name the key ID and flag: %v", err)
	}
	_, err = New().Decode(written)
	if err == nil || err.Error() != "payload encrypted with key ID "+a.ID()+"; pass --codec-key with that key" {
		t.Errorf("no keys: %v", err)
	}
}

func TestTamperedOrRelabelledPayloadFails(t *testing.T) {
	a, _ := newKey(t)
	b, _ := newKey(t)
	enc, _ := New(a).Encode([]*commonpb.Payload{jsonPayload(t, "x")})
	flipped := &commonpb.Payload{Metadata: enc[0].GetMetadata(), Data: append([]byte(nil), enc[0].GetData()...)}
	flipped.Data[len(flipped.Data)-1] ^= 1
	if _, err := New(a).Decode([]*commonpb.Payload{flipped}); err == nil {
		t.Error("a flipped bit decoded")
	}
	relabelled := &commonpb.Payload{Metadata: map[string][]byte{}, Data: enc[0].GetData()}
	for k, v := range enc[0].GetMetadata() {
		relabelled.Metadata[k] = v
	}
	relabelled.Metadata[MetadataKeyID] = []byte(b.ID())
	if _, err := New(a, b).Decode([]*commonpb.Payload{relabelled}); err == nil {
		t.Error("a payload relabelled to another key decoded")
	}
}

func TestParseKey(t *testing.T) {
	raw := make([]byte, KeySize)
	_, _ = rand.Read(raw)
	for name, in := range map[string][]byte{
		"raw":           raw,
		"hex":           []byte(hex.EncodeToString(raw) + "\n"),
		"base64":        []byte(base64.StdEncoding.EncodeToString(raw) + "\n"),
		"base64 raw":    []byte(base64.RawStdEncoding.EncodeToString(raw)),
		"base64 url":    []byte(base64.URLEncoding.EncodeToString(raw)),
		"spaces around": []byte("  " + base64.StdEncoding.EncodeToString(raw) + " \n"),
	} {
		got, err := ParseKey(in)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	for name, in := range map[string][]byte{
		"16 bytes base64": []byte(base64.StdEncoding.EncodeToString(raw[:16])),
		"31 raw bytes":    raw[:31],
		"empty":           []byte("\n"),
		"hex of 31":       []byte(hex.EncodeToString(raw[:31])),
	} {
		if _, err := ParseKey(in); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error of more than one line: %q", name, err)
		}
	}
	if _, err := NewKey(raw[:16]); err == nil {
		t.Error("NewKey took 16 bytes")
	}
	if KeyID(raw) != KeyID(append([]byte(nil), raw...)) || len(KeyID(raw)) != 16 {
		t.Errorf("KeyID %q", KeyID(raw))
	}
}
