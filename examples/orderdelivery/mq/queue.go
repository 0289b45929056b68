package mq

import (
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Declare declares a queue on ch.
type Declare func(ch *amqp.Channel, name string) error

// V1Queue declares the seed's queue: classic, non-durable, deleted when its
// last consumer goes, messages expiring after 60 s.
func V1Queue(ch *amqp.Channel, name string) error {
	_, err := ch.QueueDeclare(name, false, true, false, false, amqp.Table{"x-message-ttl": int32(60000)})
	if err != nil {
		return fmt.Errorf("mq: declare %s: %w", name, err)
	}
	return nil
}

// V2Queue declares a durable quorum queue, replicated on every cluster node.
func V2Queue(ch *amqp.Channel, name string) error {
	_, err := ch.QueueDeclare(name, true, false, false, false, amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum})
	if err != nil {
		return fmt.Errorf("mq: declare %s: %w", name, err)
	}
	return nil
}
