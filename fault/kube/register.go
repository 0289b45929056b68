package kube

import (
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// Register adds every Kubernetes fault kind, acting through client, to reg.
func Register(reg *fault.Registry, client kubernetes.Interface) {
	reg.Register(experiment.FaultPodDelete, NewPodDelete(client))
	reg.Register(experiment.FaultScale, NewScale(client))
	reg.Register(experiment.FaultNodeCordon, NewNodeCordon(client))
	reg.Register(experiment.FaultNodeDrain, NewNodeDrain(client))
	reg.Register(experiment.FaultNetworkPartition, NewNetworkPartition(client))
}
