package kube

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/experiment"
)

// Cleanup finds what Tempest's Kubernetes faults left behind for runID (every
// run when runID is "") by the LabelRunID label, in all namespaces, and
// reverts it: scaled workloads get their recorded replicas back, nodes
// Tempest cordoned are uncordoned, partition NetworkPolicies are deleted and
// partitioned pods unlabelled. It returns one line per object reverted and
// keeps going past failures, returning them joined.
func Cleanup(ctx context.Context, client kubernetes.Interface, runID string) ([]string, error) {
	opts := metav1.ListOptions{LabelSelector: LabelRunID}
	if runID != "" {
		opts.LabelSelector = LabelRunID + "=" + LabelValue(runID)
	}
	var done []string
	var errs []error
	note := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			return
		}
		done = append(done, what)
	}

	for _, kind := range []experiment.WorkloadKind{experiment.WorkloadDeployment, experiment.WorkloadStatefulSet} {
		w, _ := workloadsOf(client, kind)
		found, err := w.labelled(ctx, opts)
		if err != nil {
			errs = append(errs, err)
		}
		for _, obj := range found {
			note(fmt.Sprintf("%s %s/%s: replicas restored", kind, obj.Namespace, obj.Name), w.restore(ctx, obj.Namespace, obj.Name, ""))
		}
	}

	nodes, err := client.CoreV1().Nodes().List(ctx, opts)
	if err != nil {
		errs = append(errs, APIError(err, "list", "nodes", ""))
	} else {
		for _, n := range nodes.Items {
			note("node "+n.Name+": uncordoned", uncordon(ctx, client, n.Name))
		}
	}

	policies, err := client.NetworkingV1().NetworkPolicies("").List(ctx, opts)
	if err != nil {
		errs = append(errs, APIError(err, "list", "networkpolicies", ""))
	} else {
		np := NetworkPartition{client: client}
		for _, p := range policies.Items {
			note(fmt.Sprintf("networkpolicy %s/%s: deleted", p.Namespace, p.Name), np.deletePolicy(ctx, p.Namespace, p.Name))
		}
	}

	pods, err := client.CoreV1().Pods("").List(ctx, opts)
	if err != nil {
		errs = append(errs, APIError(err, "list", "pods", ""))
	} else {
		for _, p := range pods.Items {
			note(fmt.Sprintf("pod %s/%s: partition label removed", p.Namespace, p.Name), unlabelPartitionedPod(ctx, client, p.Namespace, p.Name))
		}
	}
	return done, errors.Join(errs...)
}

// labelled lists the workloads of w's kind in every namespace matching opts.
func (w workloads) labelled(ctx context.Context, opts metav1.ListOptions) ([]metav1.ObjectMeta, error) {
	var found []metav1.ObjectMeta
	switch w.kind {
	case experiment.WorkloadDeployment:
		list, err := w.client.AppsV1().Deployments("").List(ctx, opts)
		if err != nil {
			return nil, APIError(err, "list", w.resource, "")
		}
		for _, d := range list.Items {
			found = append(found, d.ObjectMeta)
		}
	default:
		list, err := w.client.AppsV1().StatefulSets("").List(ctx, opts)
		if err != nil {
			return nil, APIError(err, "list", w.resource, "")
		}
		for _, s := range list.Items {
			found = append(found, s.ObjectMeta)
		}
	}
	return found, nil
}
