package fault

// Scope says where a fault kind acts: on the host of the worker that runs
// it, or on the Kubernetes cluster its worker's client reaches. Targets
// record the identity of their scope when they are selected, and their
// inject and revert run only on a worker of that identity.
type Scope int

const (
	// ScopeNone: the kind acts wherever it runs (no identity recorded).
	ScopeNone Scope = iota
	// ScopeHost: processes, network and resources of one host.
	ScopeHost
	// ScopeCluster: objects of one Kubernetes cluster.
	ScopeCluster
)

// Scoper is implemented by fault kinds that act on a host or a cluster.
type Scoper interface {
	Scope() Scope
}

// ScopeOf reports f's scope (ScopeNone when it does not say).
func ScopeOf(f Fault) Scope {
	if s, ok := f.(Scoper); ok {
		return s.Scope()
	}
	return ScopeNone
}

// Target attributes recording where a target lives (experiment.Target.Attrs).
const (
	// AttrHost is the host name of the worker that selected the target.
	AttrHost = "tempest.dev/host"
	// AttrBootID is that host's boot ID: a target of an earlier boot is gone.
	AttrBootID = "tempest.dev/boot-id"
	// AttrCluster is the cluster name of the worker that selected the target.
	AttrCluster = "tempest.dev/cluster"
	// AttrClusterUID is that cluster's kube-system namespace UID.
	AttrClusterUID = "tempest.dev/cluster-uid"
)
