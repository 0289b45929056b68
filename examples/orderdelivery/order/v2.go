package order

import (
	"context"
	"fmt"
	"time"
)

// V2 writes the order and its outbox entry in one document and wakes the
// outbox relay; the relay publishes with confirms, so the HTTP answer never
// depends on the broker.
type V2 struct {
	Store interface {
		InsertWithOutbox(ctx context.Context, orderID string, now time.Time) error
	}
	Relay interface {
		Enqueue(orderID string)
	}
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Accept implements Acceptor.
func (a V2) Accept(ctx context.Context, orderID string) error {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if err := a.Store.InsertWithOutbox(ctx, orderID, now()); err != nil {
		return fmt.Errorf("order: %w", err)
	}
	a.Relay.Enqueue(orderID)
	return nil
}
