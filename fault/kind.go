package fault

import (
	"context"
	"reflect"

	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// Kind is everything about one fault kind that lives in its own package:
// the package exports one Kind value, and package kinds lists it. That
// list is the kind's only registration: specs decode, validate and get
// their JSON Schema from Block, workers build the implementation with New,
// and `tempest cleanup` asks it for leftovers (Sweeper).
type Kind struct {
	// Block is a zero block of the kind, a pointer to its spec struct
	// (&Spec{}): specs decode the kind's key into its type.
	Block experiment.FaultBlock
	// Scope says where the kind acts. ScopeHost kinds are routed by
	// `host:`, and their targets record the host and boot that own them.
	Scope Scope
	// New builds the implementation for one worker; it returns nil when
	// this worker cannot run the kind (the kind is then not registered
	// there, and a run that needs it fails with a clear error).
	New func(Env) Fault
}

// RegisterBlock registers the kind's spec block with package experiment,
// as a host kind when its scope is ScopeHost. Package kinds does it for
// every kind; a kind's own tests, which cannot import kinds, do it too.
func (k Kind) RegisterBlock() { experiment.RegisterFaultBlock(k.Block, k.Scope == ScopeHost) }

// Name is the kind's name, its key in a spec.
func (k Kind) Name() experiment.FaultKind { return k.Block.FaultKind() }

// Env is what a worker offers the fault kinds it builds.
type Env struct {
	// StateDir is the worker's state directory; it survives worker
	// crashes and `tempest cleanup` on the same host reads it.
	StateDir string
	// TemporalAddress is the worker's Temporal frontend (host:port), for
	// guards that refuse to cut the worker off from it.
	TemporalAddress string
	// Kube is the worker's Kubernetes client; nil without a cluster.
	Kube kubernetes.Interface
}

// Sweeper is implemented by fault implementations that can find what a
// killed run left behind without the worker's ledger, by a marker that
// carries the run (a table name, a file name, a process environment).
// `tempest cleanup` removes the leftovers of runs that have ended.
type Sweeper interface {
	Leftovers(ctx context.Context) ([]Leftover, error)
}

// Leftover is one thing a run left behind.
type Leftover struct {
	// Run is the run that left it (WorkflowID and RunID at least).
	Run Run
	// What says what it is, for people: "stress-ng pid 1234 (cpu, 2 workers)".
	What string
	// Remove removes it; removing something already gone succeeds.
	Remove func(ctx context.Context) error
}

// scoped is an implementation registered through a Kind: it reports the
// Kind's scope.
type scoped struct {
	Fault
	scope Scope
}

func (s scoped) Scope() Scope { return s.scope }

// Leftovers forwards to the implementation when it is a Sweeper.
func (s scoped) Leftovers(ctx context.Context) ([]Leftover, error) {
	if sw, ok := s.Fault.(Sweeper); ok {
		return sw.Leftovers(ctx)
	}
	return nil, nil
}

// RegisterKinds registers, in reg, the implementation of every kind that
// this worker can run (New does not return nil), with its scope.
func RegisterKinds(reg *Registry, env Env, kinds []Kind) {
	for _, k := range kinds {
		impl := k.New(env)
		if impl == nil {
			continue
		}
		reg.Register(k.Name(), scoped{Fault: impl, scope: k.Scope})
	}
}

// BlockOf returns f's kind block as B, the kind's block type (*Spec): an
// InvalidSpec error when f holds none or another kind's.
func BlockOf[B experiment.FaultBlock](f experiment.Fault) (B, error) {
	b, ok := f.Block.(B)
	if !ok || reflect.ValueOf(b).IsNil() {
		var zero B
		return zero, errkind.New(errkind.InvalidSpec, "fault %q: no %s block", f.Name, zero.FaultKind())
	}
	return b, nil
}
