package mq

import (
	"context"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// FireAndForget publishes like the seed's V1 order app: transient messages,
// no confirms, errors ignored. When its channel is gone it reconnects, at
// most once per ReconnectEvery, on the next Publish.
type FireAndForget struct {
	dialer         *Dialer
	queue          string
	declare        Declare
	reconnectEvery time.Duration

	mu       sync.Mutex
	conn     *amqp.Connection
	ch       *amqp.Channel
	lastDial time.Time
}

// NewFireAndForget returns a V1 publisher to queue.
func NewFireAndForget(d *Dialer, queue string, declare Declare, reconnectEvery time.Duration) *FireAndForget {
	return &FireAndForget{dialer: d, queue: queue, declare: declare, reconnectEvery: reconnectEvery}
}

// Publish sends body and reports whether the client library accepted it;
// callers in V1 ignore the answer.
func (p *FireAndForget) Publish(ctx context.Context, body []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil || p.ch.IsClosed() {
		if time.Since(p.lastDial) < p.reconnectEvery {
			return false
		}
		p.lastDial = time.Now()
		if !p.connect(ctx) {
			return false
		}
	}
	err := p.ch.PublishWithContext(ctx, "", p.queue, false, false, amqp.Publishing{ContentType: "text/plain", Body: body})
	return err == nil
}

func (p *FireAndForget) connect(ctx context.Context) bool {
	p.closeLocked()
	conn, err := p.dialer.Dial(ctx)
	if err != nil {
		return false
	}
	ch, err := conn.Channel()
	if err != nil || p.declare(ch, p.queue) != nil {
		_ = conn.Close()
		return false
	}
	p.conn, p.ch = conn, ch
	return true
}

func (p *FireAndForget) closeLocked() {
	if p.conn != nil {
		_ = p.conn.Close()
	}
	p.conn, p.ch = nil, nil
}

// Close closes the connection.
func (p *FireAndForget) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
}
