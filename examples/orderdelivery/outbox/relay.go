package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Store is where the relay finds pending entries and marks them sent.
type Store interface {
	// Pending returns up to limit ids of entries still pending that were
	// created before olderThan, oldest first.
	Pending(ctx context.Context, olderThan time.Time, limit int) ([]string, error)
	// MarkSent marks the entries of ids as sent.
	MarkSent(ctx context.Context, ids []string, now time.Time) error
}

// Publisher sends entries to the broker.
type Publisher interface {
	// Publish sends every id and returns those the broker confirmed (a
	// subset of ids). A non-nil error says why the others were not; the
	// Publisher should then move to another broker node for the next call.
	Publish(ctx context.Context, ids []string) (confirmed []string, err error)
}

// Config tunes a Relay; zero fields take the defaults in brackets.
type Config struct {
	// BatchSize bounds the entries published at once [200].
	BatchSize int
	// QueueSize bounds the entries waiting after Enqueue [10000].
	QueueSize int
	// SweepInterval is the time between sweeps of the store [1s].
	SweepInterval time.Duration
	// SweepAge is how old a pending entry must be for a sweep to pick it up,
	// so that a sweep does not race the fast path [2s].
	SweepAge time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed attempts [50ms, 1s].
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock [time.Now].
	Now func() time.Time
	// Logger receives retry and error reports [slog.Default()].
	Logger *slog.Logger
	// Observer, if set, is told about each outcome (metrics).
	Observer Observer
}

// Observer receives the relay's outcomes; its methods must not block.
type Observer interface {
	Confirmed(n int)
	Retried(err error)
}

func (c Config) withDefaults() Config {
	if c.BatchSize <= 0 {
		c.BatchSize = 200
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 10000
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = time.Second
	}
	if c.SweepAge <= 0 {
		c.SweepAge = 2 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 50 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(time.Second, c.MinBackoff)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Relay moves pending outbox entries to the broker.
type Relay struct {
	store Store
	pub   Publisher
	cfg   Config
	queue chan string
	// marked holds the entries this relay marked sent recently, with the
	// time; only Run's goroutine touches it.
	marked map[string]time.Time
}

// markedRetention is how long an entry marked sent is remembered, so that
// an id still waiting in the queue after a sweep handled it is skipped.
const markedRetention = 5 * time.Minute

// New returns a relay; call Run to start it.
func New(store Store, pub Publisher, cfg Config) *Relay {
	cfg = cfg.withDefaults()
	return &Relay{store: store, pub: pub, cfg: cfg, queue: make(chan string, cfg.QueueSize), marked: map[string]time.Time{}}
}

// Enqueue asks for id to be published soon. It never blocks: when the queue
// is full the id is left to the sweep.
func (r *Relay) Enqueue(id string) {
	select {
	case r.queue <- id:
	default:
	}
}

// Run publishes entries until ctx ends, then returns ctx's error.
func (r *Relay) Run(ctx context.Context) error {
	sweep := time.NewTicker(r.cfg.SweepInterval)
	defer sweep.Stop()
	for {
		var batch []string
		select {
		case <-ctx.Done():
			return ctx.Err()
		case id := <-r.queue:
			batch = r.fill(append(batch, id))
		case <-sweep.C:
			ids, err := r.store.Pending(ctx, r.cfg.Now().Add(-r.cfg.SweepAge), r.cfg.BatchSize)
			if err != nil {
				r.cfg.Logger.Warn("outbox sweep failed", "err", err)
				continue
			}
			batch = ids
			r.forget()
		}
		if err := r.deliver(ctx, batch); err != nil {
			return err
		}
	}
}

// fill adds whatever is queued, up to BatchSize.
func (r *Relay) fill(batch []string) []string {
	for len(batch) < r.cfg.BatchSize {
		select {
		case id := <-r.queue:
			batch = append(batch, id)
		default:
			return batch
		}
	}
	return batch
}

// deliver publishes ids until every one is confirmed and marks the confirmed
// ones sent. It returns only ctx's error.
func (r *Relay) deliver(ctx context.Context, ids []string) error {
	ids = r.unmarked(ids)
	backoff := r.cfg.MinBackoff
	for len(ids) > 0 {
		confirmed, err := r.pub.Publish(ctx, ids)
		if len(confirmed) > 0 {
			if r.cfg.Observer != nil {
				r.cfg.Observer.Confirmed(len(confirmed))
			}
			if merr := r.store.MarkSent(ctx, confirmed, r.cfg.Now()); merr != nil {
				// Left pending: the sweep publishes them again and the
				// idempotent consumer ignores the duplicates.
				r.cfg.Logger.Warn("outbox mark sent failed", "entries", len(confirmed), "err", merr)
			} else {
				now := r.cfg.Now()
				for _, id := range confirmed {
					r.marked[id] = now
				}
			}
			ids = without(ids, confirmed)
		}
		if err == nil && len(ids) > 0 {
			err = fmt.Errorf("outbox: %d entries not confirmed", len(ids))
		}
		if err == nil {
			return nil
		}
		if r.cfg.Observer != nil {
			r.cfg.Observer.Retried(err)
		}
		r.cfg.Logger.Warn("outbox publish failed, retrying", "pending", len(ids), "backoff", backoff, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, r.cfg.MaxBackoff)
	}
	return nil
}

// without returns ids minus those in remove, keeping the order.
func without(ids, remove []string) []string {
	drop := make(map[string]bool, len(remove))
	for _, id := range remove {
		drop[id] = true
	}
	kept := ids[:0:0]
	for _, id := range ids {
		if !drop[id] {
			kept = append(kept, id)
		}
	}
	return kept
}

// unmarked drops the ids this relay already marked sent: publishing them
// again would be harmless for the consumer, but marking them again could
// race the delivery service's update of the same document.
func (r *Relay) unmarked(ids []string) []string {
	kept := ids[:0:0]
	for _, id := range ids {
		if _, done := r.marked[id]; !done {
			kept = append(kept, id)
		}
	}
	return kept
}

// forget drops marks older than markedRetention.
func (r *Relay) forget() {
	cutoff := r.cfg.Now().Add(-markedRetention)
	for id, at := range r.marked {
		if at.Before(cutoff) {
			delete(r.marked, id)
		}
	}
}
