// Package outbox is the V2 relay of the transactional outbox: it publishes
// the pending outbox entries of stored orders to the broker and marks an
// entry sent only after the broker confirmed it.
//
// Contract:
//   - An entry is marked sent only if Publisher.Publish reported it
//     confirmed; an entry that was not confirmed (error, nack, timeout,
//     unroutable) is retried with backoff until it is, or until Run's
//     context ends.
//   - Entries reach the relay two ways: Enqueue right after the order is
//     stored (fast path, never blocks; dropped when the queue is full), and
//     a periodic sweep of the store for entries still pending after
//     SweepAge (catches drops, failed MarkSent calls and restarts).
//   - The relay marks an entry sent at most once per successful publish and
//     skips ids it marked within the last five minutes (an id can wait in the
//     queue while a sweep handles it): a second "mark sent" could race the
//     delivery service's update of the same document.
//   - Delivery is at least once: an entry confirmed but not yet marked sent
//     when the process dies is published again, so consumers must be
//     idempotent (package delivery is).
package outbox
