// Package kube is the test harness for the local Kubernetes control plane
// (deploy/local-cluster): Cluster reuses the running cluster or starts one
// with deploy/local-cluster/up.sh (which builds it on first use: about 8 min
// cold on 2 cores, seconds when cached) and fails the test, never skips it,
// when it cannot. The cluster is left running for the next test or package;
// deploy/local-cluster/down.sh (go tool task cluster:down) stops it.
//
// The state dir is $TEMPEST_KUBE_STATE, else $TEMPEST_STATE/local-cluster,
// else .tempest/local-cluster at the repository root, as up.sh computes it.
package kube
