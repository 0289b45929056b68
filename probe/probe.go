// Package probe defines the contract every probe kind implements.
//
// Contract for implementations:
//   - Observe makes ONE observation and returns when ctx is done. The caller
//     bounds ctx by the probe's timeout.
//   - A check that fails, a peer that is down and a timeout are all failed
//     observations (Passed false, Detail saying why) with a nil error: a
//     timed-out probe is never a pass.
//   - A non-nil error means the probe cannot run at all (bad spec, a secret
//     that cannot be resolved); classify it with package errkind.
//   - Value and Detail never contain a resolved secret.
package probe

import (
	"context"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/registry"
)

// Prober is one probe kind.
type Prober interface {
	Observe(ctx context.Context, p experiment.Probe) (experiment.Observation, error)
}

// Registry finds probe implementations by kind.
type Registry = registry.Registry[experiment.ProbeKind, Prober]

// NewRegistry returns an empty probe registry.
func NewRegistry() *Registry { return registry.New[experiment.ProbeKind, Prober]() }
