package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// NetworkPartition is the networkPartition fault. For one target pod it
// labels the pod LabelPartition=<id> and creates a NetworkPolicy, labelled
// with the run ID, that selects that label and allows nothing in the chosen
// direction(s). Revert deletes the policy and removes the pod's label. The
// policy is enforced only by a CNI plugin with NetworkPolicy support.
type NetworkPartition struct{ client kubernetes.Interface }

var _ fault.Fault = (*NetworkPartition)(nil)

// NewNetworkPartition returns the networkPartition fault acting through client.
func NewNetworkPartition(client kubernetes.Interface) *NetworkPartition {
	return &NetworkPartition{client: client}
}

func partitionSpec(f experiment.Fault) (*experiment.NetworkPartitionFault, error) {
	if f.NetworkPartition == nil {
		return nil, errkind.New(errkind.InvalidSpec, "fault %q has no networkPartition block", f.Name)
	}
	return f.NetworkPartition, nil
}

// Targets lists the pods the selector matches.
func (n *NetworkPartition) Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error) {
	spec, err := partitionSpec(f)
	if err != nil {
		return nil, err
	}
	return podTargets(ctx, n.client, spec.Selector)
}

// partitionID names the policy and the pod label value of one run's
// partition of one pod: short, stable across retries, a valid name.
func partitionID(run fault.Run, faultName, namespace, pod string) string {
	sum := sha256.Sum256([]byte(run.WorkflowID + "\x00" + run.RunID + "\x00" + faultName + "\x00" + namespace + "\x00" + pod))
	return "tempest-partition-" + hex.EncodeToString(sum[:])[:16]
}

// Inject labels the pod and creates the deny policy selecting it.
func (n *NetworkPartition) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	spec, err := partitionSpec(req.Fault)
	if err != nil {
		return nil, err
	}
	pod, err := targetName(req.Target)
	if err != nil {
		return nil, err
	}
	ns := req.Target.Attrs["namespace"]
	id := partitionID(req.Run, req.Fault.Name, ns, pod)
	labels, annotations := runMeta(req.Run)

	policy := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name:        id,
			Namespace:   ns,
			Labels:      map[string]string{LabelRunID: LabelValue(req.Run.RunID)},
			Annotations: map[string]string{AnnotationWorkflowID: req.Run.WorkflowID},
		},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelPartition: id}},
			PolicyTypes: policyTypes(spec.Direction),
		},
	}
	_, err = n.client.NetworkingV1().NetworkPolicies(ns).Create(ctx, policy, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("pod %s/%s: %w", ns, pod, APIError(err, "create", "networkpolicies", ns))
	}
	labels[LabelPartition] = id
	if err := n.patchPod(ctx, ns, pod, metaPatch(labels, annotations)); err != nil {
		if apierrors.IsNotFound(err) {
			// The pod is gone: nothing to partition; leave no policy behind.
			return fault.State{"policy": id, "pod": "gone"}, n.deletePolicy(ctx, ns, id)
		}
		return nil, err
	}
	return fault.State{"policy": id}, nil
}

// Revert deletes the policy and unlabels the pod; either being gone is fine.
func (n *NetworkPartition) Revert(ctx context.Context, req fault.Request, state fault.State) error {
	pod, err := targetName(req.Target)
	if err != nil {
		return err
	}
	ns := req.Target.Attrs["namespace"]
	id := state["policy"]
	if id == "" {
		id = partitionID(req.Run, req.Fault.Name, ns, pod)
	}
	if err := n.deletePolicy(ctx, ns, id); err != nil {
		return err
	}
	return unlabelPartitionedPod(ctx, n.client, ns, pod)
}

func (n *NetworkPartition) deletePolicy(ctx context.Context, ns, name string) error {
	err := n.client.NetworkingV1().NetworkPolicies(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("networkpolicy %s/%s: %w", ns, name, APIError(err, "delete", "networkpolicies", ns))
	}
	return nil
}

func (n *NetworkPartition) patchPod(ctx context.Context, ns, name string, meta map[string]any) error {
	body, err := mergePatch(map[string]any{"metadata": meta})
	if err != nil {
		return err
	}
	_, err = n.client.CoreV1().Pods(ns).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("pod %s/%s: %w", ns, name, APIError(err, "patch", "pods", ns))
	}
	return err
}

// unlabelPartitionedPod removes Tempest's labels from a pod; a gone pod is fine.
func unlabelPartitionedPod(ctx context.Context, client kubernetes.Interface, ns, name string) error {
	meta := clearRunMeta()
	meta["labels"].(map[string]any)[LabelPartition] = nil
	body, err := mergePatch(map[string]any{"metadata": meta})
	if err != nil {
		return err
	}
	_, err = client.CoreV1().Pods(ns).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("pod %s/%s: %w", ns, name, APIError(err, "patch", "pods", ns))
	}
	return nil
}

// policyTypes maps a direction to the policy types that deny it (default both).
func policyTypes(d experiment.Direction) []networkingv1.PolicyType {
	switch d {
	case experiment.DirectionIngress:
		return []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case experiment.DirectionEgress:
		return []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	default:
		return []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
}
