package mq

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/tempest-chaos/tempest/examples/orderdelivery/outbox"
)

var _ outbox.Publisher = (*ConfirmPublisher)(nil)

// ConfirmPublisher publishes persistent, mandatory messages in confirm mode
// and reports which ones the broker confirmed. The message body and id are
// the entry id.
type ConfirmPublisher struct {
	dialer         *Dialer
	queue          string
	declare        Declare
	confirmTimeout time.Duration

	mu      sync.Mutex
	conn    *amqp.Connection
	ch      *amqp.Channel
	returns chan amqp.Return
}

// NewConfirmPublisher returns a V2 publisher to queue; confirmTimeout bounds
// the wait for the confirms of one Publish call.
func NewConfirmPublisher(d *Dialer, queue string, declare Declare, confirmTimeout time.Duration) *ConfirmPublisher {
	return &ConfirmPublisher{dialer: d, queue: queue, declare: declare, confirmTimeout: confirmTimeout}
}

// Publish implements outbox.Publisher. On any failure it drops its
// connection, so the next call dials the next node.
func (p *ConfirmPublisher) Publish(ctx context.Context, ids []string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil || p.ch.IsClosed() {
		if err := p.connect(ctx); err != nil {
			return nil, err
		}
	}
	confirmed, err := p.publish(ctx, ids)
	if err != nil {
		p.closeLocked()
	}
	return confirmed, err
}

func (p *ConfirmPublisher) publish(ctx context.Context, ids []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.confirmTimeout)
	defer cancel()
	pending := make([]*amqp.DeferredConfirmation, 0, len(ids))
	var errs []error
	for _, id := range ids {
		dc, err := p.ch.PublishWithDeferredConfirmWithContext(ctx, "", p.queue, true, false, amqp.Publishing{
			ContentType:  "text/plain",
			DeliveryMode: amqp.Persistent,
			MessageId:    id,
			Body:         []byte(id),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("mq: publish: %w", err))
			break
		}
		pending = append(pending, dc)
	}
	acked := make([]bool, len(pending))
	for k, dc := range pending {
		ok, err := dc.WaitContext(ctx)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("mq: wait for confirm: %w", err))
		case !ok:
			errs = append(errs, fmt.Errorf("mq: broker nacked %s", ids[k]))
		default:
			acked[k] = true
		}
		if err != nil {
			break
		}
	}
	// A returned (unroutable) message is acked after its return arrived.
	returned := map[string]bool{}
	for drained := false; !drained; {
		select {
		case r, ok := <-p.returns:
			if !ok { // closed with the channel
				drained = true
				break
			}
			returned[r.MessageId] = true
		default:
			drained = true
		}
	}
	var confirmed []string
	for k, ok := range acked {
		if ok && !returned[ids[k]] {
			confirmed = append(confirmed, ids[k])
		}
	}
	if len(returned) > 0 {
		errs = append(errs, fmt.Errorf("mq: %d messages returned unroutable", len(returned)))
	}
	return confirmed, errors.Join(errs...)
}

func (p *ConfirmPublisher) connect(ctx context.Context) error {
	p.closeLocked()
	conn, err := p.dialer.Dial(ctx)
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = p.declare(ch, p.queue)
	}
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("mq: open confirm channel: %w", err)
	}
	p.returns = ch.NotifyReturn(make(chan amqp.Return, 1024))
	p.conn, p.ch = conn, ch
	return nil
}

func (p *ConfirmPublisher) closeLocked() {
	if p.conn != nil {
		_ = p.conn.Close()
	}
	p.conn, p.ch = nil, nil
}

// Close closes the connection.
func (p *ConfirmPublisher) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeLocked()
}
