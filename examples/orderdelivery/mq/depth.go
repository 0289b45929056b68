package mq

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Inspector reads a queue's depth over one connection, redialled when it
// closes. Safe for concurrent use.
type Inspector struct {
	d     *Dialer
	queue string

	mu   sync.Mutex
	conn *amqp.Connection
}

// NewInspector returns an Inspector of queue on the nodes of d.
func NewInspector(d *Dialer, queue string) *Inspector {
	return &Inspector{d: d, queue: queue}
}

// Depth returns the number of messages ready in the queue (not those a
// consumer holds unacknowledged). A queue that does not exist holds none
// (V1's auto-delete queue between consumers). An unreachable broker is an
// error: the depth is then unknown, not zero.
func (in *Inspector) Depth(ctx context.Context) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.conn == nil || in.conn.IsClosed() {
		conn, err := in.d.Dial(ctx)
		if err != nil {
			return 0, err
		}
		in.conn = conn
	}
	ch, err := in.conn.Channel()
	if err != nil {
		in.drop()
		return 0, fmt.Errorf("mq: channel: %w", err)
	}
	type answer struct {
		q   amqp.Queue
		err error
	}
	done := make(chan answer, 1)
	go func() {
		q, err := ch.QueueDeclarePassive(in.queue, false, false, false, false, nil)
		_ = ch.Close() // already closed after an error
		done <- answer{q, err}
	}()
	select {
	case <-ctx.Done():
		in.drop() // unblocks the declare
		return 0, ctx.Err()
	case a := <-done:
		var aerr *amqp.Error
		switch {
		case errors.As(a.err, &aerr) && aerr.Code == amqp.NotFound:
			return 0, nil
		case a.err != nil:
			in.drop()
			return 0, fmt.Errorf("mq: inspect %s: %w", in.queue, a.err)
		}
		return a.q.Messages, nil
	}
}

// Close closes the connection.
func (in *Inspector) Close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.drop()
}

func (in *Inspector) drop() {
	if in.conn != nil {
		_ = in.conn.Close()
		in.conn = nil
	}
}
