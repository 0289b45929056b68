// Package tcpprobe is the "tcp" probe kind: connect to host:port within the
// ctx deadline, optionally send bytes and expect a substring in the reply.
//
// Contract (beyond package probe's):
//   - Without send and expect, a completed TCP handshake passes.
//   - With send, the bytes are written after connecting (escape sequences
//     are not interpreted; write "\r\n" in YAML/JSON as real characters).
//   - With expect, the reply is read until it contains expect, the peer
//     closes, 64 KiB arrive, or the ctx deadline: only containing expect
//     passes.
//   - Refused, reset, unreachable and timed-out connections are failed
//     observations; an address that is not host:port is errkind.InvalidSpec.
package tcpprobe
