package orders

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/mongoembed"
)

// TestStoreOnFerretDB runs every store operation against an embedded FerretDB.
func TestStoreOnFerretDB(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	srv, err := mongoembed.Start(ctx, mongoembed.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("embedded FerretDB: %v", err)
	}
	defer srv.Close()
	s, err := Open(ctx, srv.URI(), "delivery")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.Insert(ctx, "v1", t0.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	for k, id := range []string{"c", "a", "b"} {
		if err := s.InsertWithOutbox(ctx, id, t0.Add(time.Duration(k)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertWithOutbox(ctx, "a", t0); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second insert of a: %v, want ErrDuplicate", err)
	}

	pending, err := s.Pending(ctx, t0.Add(1500*time.Millisecond), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pending, []string{"c", "a"}) {
		t.Fatalf("pending before t0+1.5s = %v, want [c a] (oldest first, b too young, v1 has no outbox)", pending)
	}
	if err := s.MarkSent(ctx, []string{"c", "b"}, t0); err != nil {
		t.Fatal(err)
	}
	if pending, err = s.Pending(ctx, t0.Add(time.Hour), 10); err != nil || !slices.Equal(pending, []string{"a"}) {
		t.Fatalf("pending after MarkSent(c, b) = %v (%v), want [a]", pending, err)
	}

	if n, err := s.CountUndelivered(ctx); err != nil || n != 4 {
		t.Fatalf("undelivered = %d (%v), want 4", n, err)
	}
	if n, err := s.CountPending(ctx); err != nil || n != 1 {
		t.Fatalf("pending = %d (%v), want 1 (a)", n, err)
	}
	// A redelivery changes nothing, and keeps the first delivery time.
	for k, want := range []bool{true, false} {
		changed, err := s.MarkDelivered(ctx, "a", t0.Add(time.Duration(10+k)*time.Second))
		if err != nil || changed != want {
			t.Fatalf("MarkDelivered(a) = %v (%v), want %v", changed, err, want)
		}
	}
	if changed, err := s.MarkDelivered(ctx, "c", t0.Add(5*time.Second)); err != nil || !changed {
		t.Fatalf("MarkDelivered(c) = %v (%v), want true", changed, err)
	}
	if changed, err := s.MarkDelivered(ctx, "unknown", t0); err != nil || changed {
		t.Fatalf("MarkDelivered(unknown) = %v (%v), want false", changed, err)
	}
	if n, err := s.CountUndelivered(ctx); err != nil || n != 2 {
		t.Fatalf("undelivered = %d (%v), want 2", n, err)
	}
	if at, ok, err := s.LastAccepted(ctx); err != nil || !ok || !at.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("LastAccepted = %v %v (%v), want t0+2s (b)", at, ok, err)
	}
	if n, last, err := s.DeliveredAfter(ctx, t0.Add(6*time.Second)); err != nil || n != 1 || !last.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("DeliveredAfter(t0+6s) = %d, %v (%v), want 1 at t0+10s (a, first delivery)", n, last, err)
	}
	if n, _, err := s.DeliveredAfter(ctx, t0); err != nil || n != 2 {
		t.Fatalf("DeliveredAfter(t0) = %d (%v), want 2", n, err)
	}
}
