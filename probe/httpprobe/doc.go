// Package httpprobe is the "http" probe kind: one HTTP request per
// observation, judged by status, latency, body and a JSON-path comparison.
//
// Contract (beyond package probe's):
//   - Header values are secret references resolved on the worker inside
//     Observe; resolved values are redacted from Value and Detail (a server
//     echoing a token does not leak it) and never appear in errors.
//   - Every check that fails is listed in Detail ("status 503, want [200];
//     expected == 0, got 7"); the first is not allowed to hide the others.
//   - A refused connection, a reset, a timeout (the ctx deadline) and an
//     unreadable body are failed observations.
//   - Errors (errkind.InvalidSpec, errkind.SecretUnavailable) only for a
//     probe that cannot be sent: no http block, a bad URL, a bad regular
//     expression or comparison, a secret that does not resolve.
//   - Clients built by New do not keep connections alive between
//     observations, so each observation sees whether a NEW connection
//     succeeds, which is what a steady-state check during chaos asks.
package httpprobe
