// Package kube holds the Kubernetes fault kinds: podDelete, scale,
// nodeCordon, nodeDrain and networkPartition. Each kind is its own type
// behind fault.Fault, built from a kubernetes.Interface; Register adds them
// all to a fault.Registry.
//
// Contract (beyond package fault's):
//   - Targets resolves the spec's KubeSelector against the API server now:
//     pods by namespace, label and field selectors, owner (directly or
//     through a Deployment's ReplicaSets), node name and names; workloads and
//     nodes by label and field selectors and names. Every target carries its
//     namespace in Attrs["namespace"] (empty for nodes), which is what the
//     engine's protected-namespace guard reads. Terminating pods are skipped.
//   - Every object a fault creates or changes carries the label
//     LabelRunID with the run's ID (LabelValue makes it a valid label value)
//     and the annotation AnnotationWorkflowID; Cleanup finds leftovers by
//     that label and reverts them.
//   - What a revert needs is recorded on the object before (or atomically
//     with) the change, so a revert with an empty State, after a worker
//     crash, is right. A target that has vanished counts as reverted.
//   - A Forbidden (or Unauthorized) answer from the API server becomes an
//     errkind.Forbidden error naming the verb, the resource and the
//     namespace; a selector that does not parse becomes errkind.InvalidSpec.
//
// networkPartition creates a deny-all NetworkPolicy per target pod. The API
// server stores it whatever the cluster; it is enforced only by a CNI plugin
// that supports NetworkPolicy (Calico, Cilium, ...). On a cluster without
// one the fault is a no-op on traffic.
package kube
