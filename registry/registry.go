// Package registry maps a kind name to its implementation. Fault and probe
// kinds register here instead of being chosen by a switch on a kind string.
package registry

import (
	"fmt"
	"sort"
)

// Registry maps kinds to implementations. Build it at wiring time; it is not
// safe for concurrent Register calls, but Lookup is safe once built.
type Registry[K ~string, V any] struct {
	impls map[K]V
}

// New returns an empty registry.
func New[K ~string, V any]() *Registry[K, V] {
	return &Registry[K, V]{impls: map[K]V{}}
}

// Register adds impl for kind. Registering a kind twice panics: it is a wiring bug.
func (r *Registry[K, V]) Register(kind K, impl V) {
	if _, dup := r.impls[kind]; dup {
		panic(fmt.Sprintf("registry: kind %q registered twice", kind))
	}
	r.impls[kind] = impl
}

// Lookup returns the implementation of kind.
func (r *Registry[K, V]) Lookup(kind K) (V, bool) {
	v, ok := r.impls[kind]
	return v, ok
}

// Kinds returns the registered kinds, sorted.
func (r *Registry[K, V]) Kinds() []K {
	kinds := make([]K, 0, len(r.impls))
	for k := range r.impls {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	return kinds
}
