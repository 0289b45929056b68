package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Store is what the delivery service needs from the order store.
type Store interface {
	// MarkDelivered sets isDelivered, records now as the delivery time
	// unless one is recorded, and reports whether the order changed.
	MarkDelivered(ctx context.Context, orderID string, now time.Time) (bool, error)
	// CountUndelivered counts orders not yet delivered.
	CountUndelivered(ctx context.Context) (int64, error)
	// OutboxSent reports whether the order exists and no outbox entry of it
	// is pending.
	OutboxSent(ctx context.Context, orderID string) (bool, error)
	// CountPending counts orders whose outbox entry is pending.
	CountPending(ctx context.Context) (int64, error)
	// LastAccepted returns the newest order's acceptance time (ok false
	// when there is none).
	LastAccepted(ctx context.Context) (at time.Time, ok bool, err error)
	// DeliveredAfter counts orders first delivered after t and returns the
	// latest of their delivery times.
	DeliveredAfter(ctx context.Context, t time.Time) (n int64, last time.Time, err error)
}

// ErrNotSentYet reports an order whose outbox entry stayed pending for
// Options.AwaitFor; the message is requeued.
var ErrNotSentYet = errors.New("delivery: outbox entry still pending")

// Options tune a Service.
type Options struct {
	// AwaitSent makes Deliver wait until the order's outbox entry is marked
	// sent before writing the order, so the relay and this service never
	// update one document at the same time (V2; see package orders).
	AwaitSent bool
	// AwaitFor bounds that wait (default 10s); Poll is its first period
	// (default 20ms), doubled after each poll up to MaxPoll (default
	// 400ms), so waiting workers do not crowd the store.
	AwaitFor, Poll, MaxPoll time.Duration
	// QueueDepth returns the messages ready in the order queue, for
	// GET /drain; nil means the queue is not watched (always 0).
	QueueDepth func(ctx context.Context) (int, error)
	// DrainPoll is how often GET /drain samples the system (default 2s).
	DrainPoll time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// scrapeTimeout bounds the store query behind the undelivered gauge.
const scrapeTimeout = 2 * time.Second

// Service delivers orders and reports on them.
type Service struct {
	store      Store
	opts       Options
	logger     *slog.Logger
	registry   *prometheus.Registry
	delivered  prometheus.Counter
	duplicates prometheus.Counter
	failures   prometheus.Counter
	// inFlight counts messages Deliver is handling.
	inFlight atomic.Int64
}

// New returns a delivery service over store, with its own metrics registry.
func New(store Store, logger *slog.Logger, opts Options) *Service {
	if opts.AwaitFor <= 0 {
		opts.AwaitFor = 10 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 20 * time.Millisecond
	}
	if opts.MaxPoll < opts.Poll {
		opts.MaxPoll = max(400*time.Millisecond, opts.Poll)
	}
	if opts.DrainPoll <= 0 {
		opts.DrainPoll = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{
		store:    store,
		opts:     opts,
		logger:   logger,
		registry: prometheus.NewRegistry(),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orderdelivery_delivery_delivered_total", Help: "Orders marked delivered.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orderdelivery_delivery_duplicates_total", Help: "Messages for orders already delivered (or unknown).",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orderdelivery_delivery_failures_total", Help: "Messages whose store update failed.",
		}),
	}
	s.registry.MustRegister(s.delivered, s.duplicates, s.failures)
	s.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "orderdelivery_delivery_undelivered", Help: "Orders stored but not delivered (queried at scrape).",
	}, func() float64 {
		// A scrape passes no context: bound the query instead.
		ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
		defer cancel()
		n, err := store.CountUndelivered(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	return s
}

// Deliver handles one order message: its body is the order id.
func (s *Service) Deliver(ctx context.Context, body []byte) error {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	id := strings.TrimSpace(string(body))
	if id == "" {
		s.duplicates.Inc()
		return nil // nothing to deliver; requeueing would loop forever
	}
	if s.opts.AwaitSent {
		if err := s.awaitSent(ctx, id); err != nil {
			return err
		}
	}
	changed, err := s.store.MarkDelivered(ctx, id, s.opts.Now())
	if err != nil {
		s.failures.Inc()
		return fmt.Errorf("delivery: order %s: %w", id, err)
	}
	if changed {
		s.delivered.Inc()
	} else {
		s.duplicates.Inc()
	}
	return nil
}

// awaitSent polls until the outbox entry of id is no longer pending.
func (s *Service) awaitSent(ctx context.Context, id string) error {
	deadline := time.Now().Add(s.opts.AwaitFor)
	poll := s.opts.Poll
	for {
		sent, err := s.store.OutboxSent(ctx, id)
		if err != nil {
			s.failures.Inc()
			return fmt.Errorf("delivery: order %s: %w", id, err)
		}
		if sent {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: order %s", ErrNotSentYet, id)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
		poll = min(2*poll, s.opts.MaxPoll)
	}
}

// Handler serves /result, /drain, /metrics and /healthz.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /result", s.result)
	mux.HandleFunc("GET /drain", s.drain)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return mux
}

func (s *Service) result(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.CountUndelivered(r.Context())
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.logger.Warn("count undelivered failed", "err", err)
		}
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(strconv.FormatInt(n, 10) + "\n"))
}
