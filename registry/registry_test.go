package registry

import (
	"slices"
	"testing"
)

type kind string

func TestLookupAndKinds(t *testing.T) {
	r := New[kind, int]()
	r.Register("b", 2)
	r.Register("a", 1)
	if v, ok := r.Lookup("a"); !ok || v != 1 {
		t.Fatalf("Lookup(a) = %d, %v", v, ok)
	}
	if _, ok := r.Lookup("c"); ok {
		t.Fatal("Lookup of an unregistered kind succeeded")
	}
	if got := r.Kinds(); !slices.Equal(got, []kind{"a", "b"}) {
		t.Fatalf("Kinds() = %v, want sorted [a b]", got)
	}
}

func TestRegisteringTwicePanics(t *testing.T) {
	r := New[kind, int]()
	r.Register("a", 1)
	defer func() {
		if recover() == nil {
			t.Fatal("a kind registered twice did not panic")
		}
	}()
	r.Register("a", 2)
}
