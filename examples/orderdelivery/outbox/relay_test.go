package outbox

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory outbox: id -> pending.
type memStore struct {
	mu          sync.Mutex
	pending     map[string]bool
	failMarks   int // MarkSent calls left to fail
	markedTwice []string
}

func newMemStore(ids ...string) *memStore {
	s := &memStore{pending: map[string]bool{}}
	for _, id := range ids {
		s.pending[id] = true
	}
	return s
}

func (s *memStore) Pending(_ context.Context, _ time.Time, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, p := range s.pending {
		if p && len(ids) < limit {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (s *memStore) MarkSent(_ context.Context, ids []string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failMarks > 0 {
		s.failMarks--
		return errors.New("store down")
	}
	for _, id := range ids {
		if !s.pending[id] {
			s.markedTwice = append(s.markedTwice, id)
		}
		s.pending[id] = false
	}
	return nil
}

func (s *memStore) stillPending() []string {
	ids, _ := s.Pending(context.Background(), time.Time{}, 1<<30)
	return ids
}

// script is a fake broker: each Publish call takes the next step; past the
// script every message is confirmed. It records every message published.
type script struct {
	mu        sync.Mutex
	steps     []func(ids []string) ([]string, error)
	published []string
}

func (p *script) Publish(_ context.Context, ids []string) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = append(p.published, ids...)
	if len(p.steps) == 0 {
		return ids, nil
	}
	step := p.steps[0]
	p.steps = p.steps[1:]
	return step(ids)
}

func (p *script) count(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, x := range p.published {
		if x == id {
			n++
		}
	}
	return n
}

func brokerDown([]string) ([]string, error) { return nil, errors.New("connection refused") }

// nackSecond confirms every message except the second.
func nackSecond(ids []string) ([]string, error) {
	var ok []string
	for k, id := range ids {
		if k != 1 {
			ok = append(ok, id)
		}
	}
	return ok, errors.New("broker nacked one")
}

type countingObserver struct {
	mu                 sync.Mutex
	confirmed, retried int
}

func (o *countingObserver) Confirmed(n int) { o.mu.Lock(); o.confirmed += n; o.mu.Unlock() }
func (o *countingObserver) Retried(error)   { o.mu.Lock(); o.retried++; o.mu.Unlock() }

func testConfig(obs Observer) Config {
	return Config{
		SweepInterval: 10 * time.Millisecond,
		SweepAge:      time.Millisecond,
		MinBackoff:    time.Millisecond,
		MaxBackoff:    5 * time.Millisecond,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Observer:      obs,
	}
}

// runUntil runs the relay until cond holds or 5 s pass.
func runUntil(t *testing.T, r *Relay, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}

func TestRelay(t *testing.T) {
	tests := []struct {
		name string
		// steps of the fake broker, in order
		steps []func([]string) ([]string, error)
		// MarkSent calls that fail
		failMarks   int
		wantRetries int
	}{
		{name: "confirmed at once", wantRetries: 0},
		{name: "retries while the broker is down", steps: []func([]string) ([]string, error){brokerDown, brokerDown, brokerDown}, wantRetries: 3},
		{name: "a nacked message is published again", steps: []func([]string) ([]string, error){nackSecond}, wantRetries: 1},
		{name: "confirmed but not marked sent is published again", failMarks: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids := []string{"a", "b", "c", "d"}
			store := newMemStore(ids...)
			store.failMarks = tc.failMarks
			pub := &script{steps: tc.steps}
			obs := &countingObserver{}
			r := New(store, pub, testConfig(obs))
			for _, id := range ids {
				r.Enqueue(id)
			}
			runUntil(t, r, func() bool { return len(store.stillPending()) == 0 })
			obs.mu.Lock()
			defer obs.mu.Unlock()
			if obs.retried != tc.wantRetries {
				t.Errorf("retries = %d, want %d", obs.retried, tc.wantRetries)
			}
			for _, id := range ids {
				if pub.count(id) == 0 {
					t.Errorf("%s never published", id)
				}
			}
			if tc.failMarks > 0 && pub.count("a") < 2 {
				t.Errorf("a published %d times; an entry whose MarkSent failed must be published again", pub.count("a"))
			}
		})
	}
}

// TestRelayNeverMarksUnconfirmed keeps the broker down: nothing may be
// marked sent, however long the relay retries.
func TestRelayNeverMarksUnconfirmed(t *testing.T) {
	store := newMemStore("a", "b")
	steps := make([]func([]string) ([]string, error), 1000)
	for i := range steps {
		steps[i] = brokerDown
	}
	pub := &script{steps: steps}
	obs := &countingObserver{}
	r := New(store, pub, testConfig(obs))
	r.Enqueue("a")
	runUntil(t, r, func() bool { obs.mu.Lock(); defer obs.mu.Unlock(); return obs.retried >= 5 })
	if got := store.stillPending(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("pending after failed publishes = %v, want [a b]", got)
	}
	if obs.confirmed != 0 {
		t.Fatalf("confirmed = %d with the broker down", obs.confirmed)
	}
}

// TestRelaySweepsWhatWasNeverEnqueued: entries stored before a restart (or
// dropped from a full queue) are found by the sweep.
func TestRelaySweepsWhatWasNeverEnqueued(t *testing.T) {
	store := newMemStore("x", "y", "z")
	pub := &script{}
	r := New(store, pub, testConfig(nil))
	runUntil(t, r, func() bool { return len(store.stillPending()) == 0 })
	for _, id := range []string{"x", "y", "z"} {
		if pub.count(id) != 1 {
			t.Errorf("%s published %d times, want 1", id, pub.count(id))
		}
	}
}

// TestEnqueueNeverBlocks fills the queue past its size.
func TestEnqueueNeverBlocks(t *testing.T) {
	r := New(newMemStore(), &script{}, Config{QueueSize: 2})
	done := make(chan struct{})
	go func() {
		for range 10 {
			r.Enqueue("a")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Enqueue blocked on a full queue")
	}
}

// TestRelaySkipsWhatItAlreadyMarked: an id the sweep already delivered and
// marked, still waiting in the queue, is neither published nor marked again.
func TestRelaySkipsWhatItAlreadyMarked(t *testing.T) {
	store := newMemStore("x")
	pub := &script{}
	r := New(store, pub, testConfig(nil))
	runUntil(t, r, func() bool { return len(store.stillPending()) == 0 })
	r.Enqueue("x")
	if err := r.deliver(t.Context(), r.fill(nil)); err != nil {
		t.Fatal(err)
	}
	if n := pub.count("x"); n != 1 {
		t.Fatalf("x published %d times, want 1", n)
	}
	if len(store.markedTwice) != 0 {
		t.Fatalf("marked sent twice: %v", store.markedTwice)
	}
}
