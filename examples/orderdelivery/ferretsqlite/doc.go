// Package ferretsqlite works around a performance problem of FerretDB v1's
// SQLite backend (as embedded by package mongoembed): its UPDATE and DELETE
// statements filter on the expression _ferretdb_sjson->'$._id', while the
// unique index it creates for _id is on _ferretdb_sjson->"_id", so SQLite
// cannot use that index and every updated document costs a scan of the
// whole collection (measured here: 400 updates/s at 50 documents, 27/s at
// 2,000; the demo needs about 300/s over 10,000).
//
// IndexIDs adds an index on the exact expression. It only adds an index
// to FerretDB's table (FerretDB does not list it and drops it with the
// collection); documents and FerretDB's own metadata are not touched. With
// a real MongoDB none of this applies.
package ferretsqlite
