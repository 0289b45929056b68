// Package kubeprobe is the "k8s" probe kind: one look at the API server per
// observation.
//
// Conditions:
//   - present: at least one object of Resource matches the selector (with
//     selector.names: every named object exists).
//   - absent: no object matches.
//   - ready: for Pod (and minReady > 0), at least minReady matching pods are
//     Ready; for Pod with minReady 0, at least one pod matches and every
//     matching pod is Ready. For Deployment, StatefulSet and ReplicaSet, at
//     least one matches and each has readyReplicas == spec.replicas (and no
//     surplus replicas); for DaemonSet numberReady == desiredNumberScheduled;
//     for Node, the Ready condition (minReady as for pods).
//
// Resources: Pod, Deployment, StatefulSet, ReplicaSet, DaemonSet, Node for
// every condition; Service, ConfigMap, Secret, PersistentVolumeClaim, Job,
// NetworkPolicy, Namespace for present and absent.
//
// Contract (beyond package probe's): an API server that cannot be reached
// or times out is a failed observation. A Forbidden answer is an
// errkind.Forbidden error (the worker's RBAC cannot be fixed by retrying);
// an unknown resource, a selector that does not parse, or a condition the
// resource does not support is errkind.InvalidSpec.
package kubeprobe
