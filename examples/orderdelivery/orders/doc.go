// Package orders is the MongoDB store shared by the order and delivery
// services: one document per order in one collection,
//
//	{_id: <order id>, orderID: <order id>, isDelivered: false,
//	 createdAt: <time>, deliveredAt: <time>,
//	 outbox: {pending: true, createdAt: <time>, sentAt: <time>}}
//
// createdAt is when the order service stored the order, deliveredAt when the
// delivery service first marked it delivered: with them the drain report
// (package delivery) tells a late order from a lost one. V1 writes no
// outbox field. V2 writes the order and its outbox entry in ONE
// insert, so they exist together or not at all (single-document atomicity:
// FerretDB has no multi-document transactions, and none is needed).
//
// FerretDB (v1, SQLite) applies an update as read, modify, write back the
// whole document, without isolation from a concurrent update of the same
// document: two concurrent updates can lose one of them (measured: an order
// marked delivered by the consumer reverted to isDelivered:false by the
// relay's concurrent "mark sent"). So each document has one writer at a
// time: the order service inserts it, the relay marks its outbox entry sent,
// and only then the delivery service marks it delivered (see OutboxSent).
// Updates filter on _id alone, the only filter FerretDB's SQLite backend
// pushes down to an index.
//
// Contract: every method honours its context; MarkDelivered is idempotent
// (delivering an order twice changes nothing the second time); the order id
// is the document key, so inserting the same order twice fails with
// ErrDuplicate instead of creating two orders.
package orders
