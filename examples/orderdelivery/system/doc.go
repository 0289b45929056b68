// Package system wires one version of the system under test: the order
// service and the delivery service (and, for V2, the outbox relay) over one
// MongoDB database and a list of RabbitMQ nodes, each service on its own
// loopback HTTP listener.
//
//	V1: classic non-durable auto-delete queue with 60 s TTL, publish without
//	    confirms with errors ignored, auto-ack consumer (the seed).
//	V2: order and outbox entry in one document, relay with publisher
//	    confirms rotating across nodes, durable quorum queue, manual acks
//	    after an idempotent update.
//
// Contract: Start returns once both listeners accept connections and the
// queue is declared; the system then runs, independent of Start's context,
// until Close, which stops the listeners, the consumer and the relay and
// waits for them.
package system
