// Package mq holds the RabbitMQ side of both versions of the services.
//
//   - Dialer connects to the first node that answers among a list of AMQP
//     URLs, starting after the node it used last (rotation on failure).
//   - Queue declarations: V1Queue is the seed's queue (classic,
//     non-durable, auto-delete, 60 s message TTL); V2Queue is a durable
//     quorum queue.
//   - FireAndForget is the V1 publisher: no confirms, errors ignored (by
//     design: this is the weakness the experiment finds), with a naive
//     reconnect at most once per second.
//   - ConfirmPublisher is the V2 publisher (an outbox.Publisher): persistent
//     messages, mandatory routing, publisher confirms; a message counts as
//     sent only when acked and not returned.
//   - Consume runs a consumer until its context ends, reconnecting through
//     the Dialer; with manual acks it acks after the handler succeeded and
//     requeues otherwise.
package mq
