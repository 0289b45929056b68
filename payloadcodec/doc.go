// Package payloadcodec encrypts Temporal payloads with AES-256-GCM, so
// experiment specs, results, heartbeat details and failure messages are
// not stored in clear text in a shared Temporal history store.
//
// Contract:
//   - A Codec holds one or more keys; the first encrypts, any of them
//     decrypts. Each encrypted payload names its key in its metadata
//     (MetadataKeyID), so keys can be rotated: encrypt with the new key
//     first and keep the old ones for the runs they wrote.
//   - Encode with no key returns the payloads unchanged; Decode leaves a
//     payload that is not encrypted unchanged, so a codec is safe to apply
//     twice and to histories written without encryption.
//   - Decode of a payload whose key the codec lacks fails with a
//     *MissingKeyError naming the key ID; one that does not authenticate
//     (wrong key bytes, tampered data) fails and never returns garbage.
//   - A key is 32 bytes, given raw, as 64 hexadecimal digits or as
//     base64 of 32 bytes (ParseKey). Its ID is the first 8 bytes of its
//     SHA-256, in hex (KeyID): it identifies the key without revealing it.
//   - Handler serves the Temporal Web UI's remote codec protocol (POST
//     .../encode and .../decode, Payloads as protobuf JSON) with CORS for
//     the UI's origins and an optional Authorization check.
package payloadcodec
