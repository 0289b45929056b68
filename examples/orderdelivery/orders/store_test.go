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
	if err := s.Insert(ctx, "v1"); err != nil {
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
	for _, want := range []bool{true, false} {
		changed, err := s.MarkDelivered(ctx, "a")
		if err != nil || changed != want {
			t.Fatalf("MarkDelivered(a) = %v (%v), want %v", changed, err, want)
		}
	}
	if changed, err := s.MarkDelivered(ctx, "unknown"); err != nil || changed {
		t.Fatalf("MarkDelivered(unknown) = %v (%v), want false", changed, err)
	}
	if n, err := s.CountUndelivered(ctx); err != nil || n != 3 {
		t.Fatalf("undelivered = %d (%v), want 3", n, err)
	}
}
