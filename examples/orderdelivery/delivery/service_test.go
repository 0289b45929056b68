package delivery

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory order store: id -> delivered.
type memStore struct {
	mu     sync.Mutex
	orders map[string]bool
	fail   bool
	// unsent lists orders whose outbox entry is pending.
	unsent map[string]bool
	// accepted is the newest order's acceptance time, deliveredAt each
	// delivered order's first delivery time.
	accepted    time.Time
	deliveredAt map[string]time.Time
}

func (s *memStore) OutboxSent(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.orders[id]
	return ok && !s.unsent[id], nil
}

func (s *memStore) markSent(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.unsent, id)
}

func (s *memStore) MarkDelivered(_ context.Context, id string, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return false, errors.New("store down")
	}
	delivered, ok := s.orders[id]
	if !ok || delivered {
		return false, nil
	}
	s.orders[id] = true
	if s.deliveredAt == nil {
		s.deliveredAt = map[string]time.Time{}
	}
	s.deliveredAt[id] = now
	return true, nil
}

func (s *memStore) CountPending(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for id := range s.unsent {
		if _, ok := s.orders[id]; ok {
			n++
		}
	}
	return n, nil
}

func (s *memStore) LastAccepted(context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, !s.accepted.IsZero(), nil
}

func (s *memStore) DeliveredAfter(_ context.Context, t time.Time) (n int64, last time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, at := range s.deliveredAt {
		if at.After(t) {
			n++
			if at.After(last) {
				last = at
			}
		}
	}
	return n, last, nil
}

func (s *memStore) CountUndelivered(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, d := range s.orders {
		if !d {
			n++
		}
	}
	return n, nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestDeliverIsIdempotent delivers the same message three times (a resend by
// the outbox, a broker redelivery): one delivery, no error, duplicates counted.
func TestDeliverIsIdempotent(t *testing.T) {
	store := &memStore{orders: map[string]bool{"o1": false, "o2": false}}
	s := New(store, quiet(), Options{})
	for range 3 {
		if err := s.Deliver(t.Context(), []byte("o1")); err != nil {
			t.Fatalf("deliver: %v", err)
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/result", nil))
	if got := strings.TrimSpace(rec.Body.String()); got != "1" {
		t.Fatalf("/result = %q, want 1 (o2 undelivered)", got)
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{"orderdelivery_delivery_delivered_total 1", "orderdelivery_delivery_duplicates_total 2", "orderdelivery_delivery_undelivered 1"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestDeliverFailsWhenTheStoreFails: the error makes a manual-ack consumer
// requeue the message instead of losing it.
func TestDeliverFailsWhenTheStoreFails(t *testing.T) {
	store := &memStore{orders: map[string]bool{"o1": false}, fail: true}
	if err := New(store, quiet(), Options{}).Deliver(t.Context(), []byte("o1")); err == nil {
		t.Fatal("Deliver succeeded with the store down")
	}
}

// TestDeliverAwaitsTheRelay: with AwaitSent, the order is written only after
// its outbox entry is marked sent, and requeued if that takes too long.
func TestDeliverAwaitsTheRelay(t *testing.T) {
	store := &memStore{orders: map[string]bool{"o1": false, "o2": false}, unsent: map[string]bool{"o1": true, "o2": true}}
	s := New(store, quiet(), Options{AwaitSent: true, AwaitFor: 100 * time.Millisecond, Poll: time.Millisecond})
	if err := s.Deliver(t.Context(), []byte("o2")); !errors.Is(err, ErrNotSentYet) {
		t.Fatalf("Deliver(o2) while pending = %v, want ErrNotSentYet", err)
	}
	if store.orders["o2"] {
		t.Fatal("o2 written while its outbox entry was pending")
	}
	go func() { time.Sleep(20 * time.Millisecond); store.markSent("o1") }()
	if err := s.Deliver(t.Context(), []byte("o1")); err != nil {
		t.Fatalf("Deliver(o1): %v", err)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if !store.orders["o1"] {
		t.Fatal("o1 not delivered after its entry was sent")
	}
}
