// Package delivery is the delivery service: it turns each consumed order
// message into `isDelivered: true` on the stored order, and serves
//
//	GET /result   the number of undelivered orders, as a plain integer
//	GET /drain    waits until the system has drained, then reports lost
//	              and late orders (see drain.go)
//	GET /metrics  Prometheus metrics (orderdelivery_delivery_*)
//	GET /healthz  200 when the service runs
//
// Contract: Deliver is idempotent: a message delivered twice (a broker
// redelivery, an outbox resend) sets the flag once and succeeds both times;
// Deliver fails only when the store fails, so a manual-ack consumer
// requeues the message. With Options.AwaitSent (V2) it first waits until
// the order's outbox entry is marked sent, so that it never updates the
// document concurrently with the relay (see package orders).
package delivery
