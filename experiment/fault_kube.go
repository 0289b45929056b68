package experiment

// KubeSelector selects Kubernetes objects.
type KubeSelector struct {
	// Namespace of the objects (required for namespaced kinds).
	Namespace string `json:"namespace,omitempty"`
	// LabelSelector in kubectl syntax ("app.kubernetes.io/name=pubsub").
	LabelSelector string `json:"labelSelector,omitempty"`
	// FieldSelector in kubectl syntax ("status.phase=Running").
	FieldSelector string `json:"fieldSelector,omitempty"`
	// OwnerKind and OwnerName select pods owned (directly or through a
	// ReplicaSet) by this workload, e.g. StatefulSet "rabbitmq".
	OwnerKind string `json:"ownerKind,omitempty"`
	OwnerName string `json:"ownerName,omitempty"`
	// NodeName selects pods on this node.
	NodeName string `json:"nodeName,omitempty"`
	// Names selects objects by name.
	Names []string `json:"names,omitempty"`
}

// PodDeleteFault deletes pods; their controllers recreate them.
type PodDeleteFault struct {
	Selector KubeSelector `json:"selector"`
	// GracePeriod overrides the pods' termination grace period.
	GracePeriod *Duration `json:"gracePeriod,omitempty"`
	// Force deletes with grace period 0.
	Force bool `json:"force,omitempty"`
}

// WorkloadKind is a scalable workload kind.
type WorkloadKind string

// Workload kinds.
const (
	WorkloadDeployment  WorkloadKind = "Deployment"
	WorkloadStatefulSet WorkloadKind = "StatefulSet"
)

// ScaleFault sets a workload's replicas; the original count is recorded on
// the object (annotation) before the change, and the revert restores it.
type ScaleFault struct {
	Kind     WorkloadKind `json:"kind"`
	Selector KubeSelector `json:"selector"`
	// Replicas is the count to set (>= 0).
	Replicas int32 `json:"replicas"`
}

// NodeFault cordons nodes; the revert uncordons them.
type NodeFault struct {
	Selector KubeSelector `json:"selector"`
}

// NodeDrainFault cordons nodes and evicts their pods, respecting
// PodDisruptionBudgets; the revert uncordons them.
type NodeDrainFault struct {
	Selector KubeSelector `json:"selector"`
	// Timeout bounds the drain (default 2m).
	Timeout Duration `json:"timeout,omitempty"`
	// IgnoreDaemonSets skips DaemonSet pods (default true behaviour of kubectl drain).
	IgnoreDaemonSets bool `json:"ignoreDaemonSets,omitempty"`
}

// Direction is the traffic a network partition denies.
type Direction string

// Directions.
const (
	DirectionIngress Direction = "ingress"
	DirectionEgress  Direction = "egress"
	DirectionBoth    Direction = "both"
)

// NetworkPartitionFault applies a deny-all NetworkPolicy to the selected
// pods; the revert deletes it. Enforcement needs a CNI that supports
// NetworkPolicy.
type NetworkPartitionFault struct {
	Selector KubeSelector `json:"selector"`
	// Direction is the traffic denied (default both).
	Direction Direction `json:"direction,omitempty"`
}

// Namespace is the Kubernetes namespace a fault's selector names, "" for
// faults that have none (process, node faults).
func (f Fault) Namespace() string {
	for _, sel := range []*KubeSelector{f.podDeleteSelector(), f.scaleSelector(), f.partitionSelector()} {
		if sel != nil {
			return sel.Namespace
		}
	}
	return ""
}

func (f Fault) podDeleteSelector() *KubeSelector {
	if f.PodDelete == nil {
		return nil
	}
	return &f.PodDelete.Selector
}

func (f Fault) scaleSelector() *KubeSelector {
	if f.Scale == nil {
		return nil
	}
	return &f.Scale.Selector
}

func (f Fault) partitionSelector() *KubeSelector {
	if f.NetworkPartition == nil {
		return nil
	}
	return &f.NetworkPartition.Selector
}
