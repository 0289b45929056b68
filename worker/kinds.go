package worker

import (
	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/probe"
)

// Config says what this worker process can reach.
type Config struct {
	// ProtectedNamespaces adds to activities.DefaultProtectedNamespaces
	// (e.g. the worker's own namespace).
	ProtectedNamespaces []string
}

// NewActivities builds the activities with every fault, probe and load
// implementation this process can run. Close releases their clients.
func NewActivities(cfg Config) (acts *activities.Activities, closeFn func()) {
	faults := fault.NewRegistry()
	probes := probe.NewRegistry()
	acts = &activities.Activities{
		Faults: faults,
		Probes: probes,
		Guard:  activities.Guard{ProtectedNamespaces: append(append([]string{}, activities.DefaultProtectedNamespaces...), cfg.ProtectedNamespaces...)},
	}
	return acts, func() {}
}
