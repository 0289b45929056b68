package activities

import (
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/probe"
)

// Activities is the set of Tempest activities with their dependencies.
type Activities struct {
	// Faults finds fault implementations by kind.
	Faults *fault.Registry
	// Probes finds probe implementations by kind.
	Probes *probe.Registry
	// Load generates HTTP load; nil means this worker cannot run load.
	Load LoadGenerator
	// Guard refuses targets that safety rules protect.
	Guard Guard
}
