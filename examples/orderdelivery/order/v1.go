package order

import (
	"context"
	"fmt"
	"time"
)

// V1 is the seed's dual write: insert the order, then publish it without
// confirms and ignore whether that worked. An order published while the
// broker is down, or lost with the broker's non-durable queue, is never
// delivered: the weakness the experiment finds.
type V1 struct {
	Store interface {
		Insert(ctx context.Context, orderID string, now time.Time) error
	}
	Publisher interface {
		Publish(ctx context.Context, body []byte) bool
	}
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Accept implements Acceptor.
func (a V1) Accept(ctx context.Context, orderID string) error {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if err := a.Store.Insert(ctx, orderID, now()); err != nil {
		return fmt.Errorf("order: %w", err)
	}
	a.Publisher.Publish(ctx, []byte(orderID)) // the seed ignores the outcome
	return nil
}
