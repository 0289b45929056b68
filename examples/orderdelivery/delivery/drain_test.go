package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func getDrain(t *testing.T, s *Service, query string) (int, string, time.Duration) {
	t.Helper()
	rec := httptest.NewRecorder()
	start := time.Now()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/drain?"+query, nil))
	return rec.Code, strings.TrimSpace(rec.Body.String()), time.Since(start)
}

// TestDrainTellsLateFromLost: orders still queued when the request starts
// are delivered later and counted late, not lost; the answer comes once
// they are delivered, without waiting for the quiet period.
func TestDrainTellsLateFromLost(t *testing.T) {
	store := &memStore{orders: map[string]bool{"o1": false, "o2": false, "o3": false}, accepted: time.Now()}
	var queued atomic.Int64
	queued.Store(3)
	s := New(store, quiet(), Options{DrainPoll: 10 * time.Millisecond, QueueDepth: func(context.Context) (int, error) {
		return int(queued.Load()), nil
	}})
	go func() {
		for _, id := range []string{"o1", "o2", "o3"} {
			time.Sleep(50 * time.Millisecond)
			_ = s.Deliver(context.Background(), []byte(id))
			queued.Add(-1)
		}
	}()
	code, body, took := getDrain(t, s, "within=10s&quiet=5s&late=0s")
	if code != http.StatusOK || !strings.HasPrefix(body, "lost 0, late 3 (delivered more than 0s after the last order, the last ") {
		t.Fatalf("/drain = %d %q, want 200 lost 0, late 3", code, body)
	}
	if took >= 5*time.Second {
		t.Fatalf("/drain took %v: waited for the quiet period although every order was delivered", took)
	}
}

// TestDrainReportsLostOnceSteady: undelivered orders that nothing carries
// any more are lost once the count stayed unchanged for the quiet period.
func TestDrainReportsLostOnceSteady(t *testing.T) {
	now := time.Now()
	store := &memStore{orders: map[string]bool{"o1": false, "o2": false, "o3": false}, accepted: now}
	s := New(store, quiet(), Options{DrainPoll: 10 * time.Millisecond})
	if err := s.Deliver(t.Context(), []byte("o3")); err != nil {
		t.Fatal(err)
	}
	code, body, took := getDrain(t, s, "within=10s&quiet=300ms&late=1m")
	if code != http.StatusOK || !strings.HasPrefix(body, "lost 2, late 0 (delivered more than 1m0s after the last order); drained after ") ||
		!strings.Contains(body, "undelivered 2 unchanged for ") {
		t.Fatalf("/drain = %d %q, want 200 lost 2, late 0", code, body)
	}
	if took < 300*time.Millisecond {
		t.Fatalf("/drain answered after %v, before the quiet period", took)
	}
}

// TestDrainUnknownIsNotDrained: a broker that does not answer leaves the
// queue's depth unknown, which is never taken for an empty queue.
func TestDrainUnknownIsNotDrained(t *testing.T) {
	store := &memStore{orders: map[string]bool{"o1": false}, accepted: time.Now()}
	s := New(store, quiet(), Options{DrainPoll: 10 * time.Millisecond, QueueDepth: func(context.Context) (int, error) {
		return 0, errors.New("broker down")
	}})
	code, body, _ := getDrain(t, s, "within=200ms&quiet=50ms")
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not drained within 200ms: undelivered 1") || !strings.Contains(body, "queue -1") || !strings.Contains(body, "broker down") {
		t.Fatalf("/drain = %d %q, want 503 not drained", code, body)
	}
}

// TestDrainPendingOutboxIsNotDrained: an order waiting in the outbox is on
// its way, not lost.
func TestDrainPendingOutboxIsNotDrained(t *testing.T) {
	store := &memStore{orders: map[string]bool{"o1": false}, unsent: map[string]bool{"o1": true}, accepted: time.Now()}
	s := New(store, quiet(), Options{DrainPoll: 10 * time.Millisecond})
	code, body, _ := getDrain(t, s, "within=200ms&quiet=50ms")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "outbox 1") {
		t.Fatalf("/drain = %d %q, want 503 with outbox 1", code, body)
	}
}

func TestDrainQueryErrors(t *testing.T) {
	s := New(&memStore{orders: map[string]bool{}}, quiet(), Options{})
	for _, q := range []string{"within=0s", "within=11m", "quiet=-1s", "late=soon", "within=5s&quiet=6s"} {
		if code, body, _ := getDrain(t, s, q); code != http.StatusBadRequest {
			t.Errorf("/drain?%s = %d %q, want 400", q, code, body)
		}
	}
}
