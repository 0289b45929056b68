package mq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Dialer connects to one of several broker nodes.
type Dialer struct {
	urls    []string
	timeout time.Duration

	mu   sync.Mutex
	next int
}

// NewDialer returns a Dialer over urls; timeout bounds one connection attempt.
func NewDialer(urls []string, timeout time.Duration) *Dialer {
	return &Dialer{urls: urls, timeout: timeout}
}

// Dial tries each node once, starting with the one after the node the last
// successful Dial used, and returns the first connection made.
func (d *Dialer) Dial(ctx context.Context) (*amqp.Connection, error) {
	if len(d.urls) == 0 {
		return nil, errors.New("mq: no broker URLs")
	}
	d.mu.Lock()
	start := d.next
	d.mu.Unlock()
	var errs []error
	for k := range d.urls {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		i := (start + k) % len(d.urls)
		conn, err := amqp.DialConfig(d.urls[i], amqp.Config{
			Dial:      amqp.DefaultDial(d.timeout),
			Heartbeat: 2 * time.Second,
		})
		if err == nil {
			d.mu.Lock()
			d.next = (i + 1) % len(d.urls)
			d.mu.Unlock()
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("mq: no broker answers: %w", errors.Join(errs...))
}
