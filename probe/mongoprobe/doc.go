// Package mongoprobe is the "mongo" probe kind: count, find or aggregate
// against MongoDB (or any server speaking its wire protocol, such as
// FerretDB) and compare the count or a field of the first document.
//
// Contract (beyond package probe's):
//   - The URI is a secret reference resolved inside Observe. The resolved URI
//     (and its password) is redacted from Value, Detail and errors, and never
//     logged. Clients are cached in the Prober by resolved URI, so repeated
//     observations reuse connections; Close disconnects them all.
//   - Operations: count (countDocuments with filter; compares the count),
//     find (with field: that field of the first document matching filter;
//     without: the number of matching documents), aggregate (pipeline; with
//     field: that field of the first result document; without: the number of
//     result documents).
//   - Filter and pipeline are MongoDB extended JSON (relaxed or canonical).
//     Field is a dotted path into the document ("totals.undelivered",
//     "items[0].qty"), read from its relaxed extended JSON form.
//   - A server that is down or slow (the ctx deadline) and a failed command
//     are failed observations. An unparsable filter or pipeline, a bad URI
//     and a missing database or collection name are errkind.InvalidSpec.
package mongoprobe
