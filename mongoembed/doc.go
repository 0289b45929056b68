// Package mongoembed runs an in-process MongoDB wire-protocol server:
// FerretDB v1.24.2 embedded with its SQLite handler, storing data as SQLite
// files in a directory. Tests and the demo system use it as a real MongoDB
// peer without Docker or a mongod binary.
//
// Contract:
//   - Start returns once the server accepts connections on Config.Addr
//     (127.0.0.1:0 picks a free port); URI reports the connection string.
//   - Close stops accepting at once, gives connected clients FerretDB's
//     grace period (about 3s) to finish, then closes their connections and
//     returns. Starting again with the same Dir and Addr keeps the data.
//   - Supported (tested): insert, updateOne with $set, countDocuments with
//     filters, find, aggregate with $group, unique indexes. FerretDB does not
//     support transactions or change streams.
package mongoembed
