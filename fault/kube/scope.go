package kube

import "github.com/tempest-chaos/tempest/fault"

// Every Kubernetes fault acts on the cluster of its worker's client.
var (
	_ fault.Scoper = (*PodDelete)(nil)
	_ fault.Scoper = (*Scale)(nil)
	_ fault.Scoper = (*NodeCordon)(nil)
	_ fault.Scoper = (*NodeDrain)(nil)
	_ fault.Scoper = (*NetworkPartition)(nil)
)

// Scope implements fault.Scoper.
func (*PodDelete) Scope() fault.Scope { return fault.ScopeCluster }

// Scope implements fault.Scoper.
func (*Scale) Scope() fault.Scope { return fault.ScopeCluster }

// Scope implements fault.Scoper.
func (*NodeCordon) Scope() fault.Scope { return fault.ScopeCluster }

// Scope implements fault.Scoper.
func (*NodeDrain) Scope() fault.Scope { return fault.ScopeCluster }

// Scope implements fault.Scoper.
func (*NetworkPartition) Scope() fault.Scope { return fault.ScopeCluster }
