package activities

import (
	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/metrics"
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
	// Identity is the host and cluster this worker acts on.
	Identity Identity
	// Fences records reverted injections so that a late inject of one
	// changes nothing; nil disables fencing.
	Fences FenceStore
	// Ledger records the injections this worker put in place, for the
	// watchdog and `tempest cleanup`; nil keeps no ledger.
	Ledger *Ledger
	// Temporal, when set, lets Inject refuse to act for a run that has ended.
	Temporal client.Client
	// Timelines reads what a run's faults actually did, for load phases and
	// OnChaos windows; nil keeps the planned windows.
	Timelines TimelineReader
	// Metrics receives injections, reverts, probe observations and load
	// requests; nil records nothing.
	Metrics metrics.Recorder
}

func (a *Activities) metrics() metrics.Recorder { return metrics.Or(a.Metrics) }
