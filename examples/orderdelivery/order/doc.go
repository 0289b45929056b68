// Package order is the order service:
//
//	POST /order {"order_id": "<uuid>"}  stores the order and hands it on
//	GET  /metrics                        Prometheus metrics (orderdelivery_order_*)
//	GET  /healthz                        200 when the service runs
//
// What "hands it on" means is the Acceptor's business: V1 stores the order
// and publishes it without confirms, ignoring errors (the seed's dual
// write); V2 stores the order with its outbox entry in one document and
// leaves publishing to the outbox relay. The response is 200 once the
// Acceptor returned nil, 409 for an order id already stored, 400 for a bad
// body and 503 when the store fails.
package order
