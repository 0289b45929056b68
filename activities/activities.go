package activities

import (
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/probe"
	"github.com/tempest-chaos/tempest/secret"
)

// Activities is the set of Tempest activities with their dependencies.
type Activities struct {
	// Faults finds fault implementations by kind.
	Faults *fault.Registry
	// Probes finds probe implementations by kind.
	Probes *probe.Registry
	// Secrets resolves secret references (load headers) on this worker.
	Secrets secret.Resolver
	// Guard refuses targets that safety rules protect.
	Guard Guard
}
