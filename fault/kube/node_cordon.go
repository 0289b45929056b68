package kube

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// NodeCordon is the nodeCordon fault: it marks one node unschedulable.
// Only a node Tempest cordoned (annotation AnnotationCordoned, set in the
// same patch) is uncordoned by Revert; a node that was already cordoned by
// someone else is left as it was.
type NodeCordon struct{ client kubernetes.Interface }

var _ fault.Fault = (*NodeCordon)(nil)

// NewNodeCordon returns the nodeCordon fault acting through client.
func NewNodeCordon(client kubernetes.Interface) *NodeCordon { return &NodeCordon{client: client} }

// Targets lists the nodes the selector matches.
func (c *NodeCordon) Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error) {
	if f.NodeCordon == nil {
		return nil, errkind.New(errkind.InvalidSpec, "fault %q has no nodeCordon block", f.Name)
	}
	return nodeTargets(ctx, c.client, f.NodeCordon.Selector)
}

// Inject cordons the target node.
func (c *NodeCordon) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	name, err := targetName(req.Target)
	if err != nil {
		return nil, err
	}
	return cordon(ctx, c.client, name, req.Run)
}

// Revert uncordons the node if Tempest cordoned it.
func (c *NodeCordon) Revert(ctx context.Context, req fault.Request, _ fault.State) error {
	name, err := targetName(req.Target)
	if err != nil {
		return err
	}
	return uncordon(ctx, c.client, name)
}

// cordon marks node unschedulable and records that Tempest did it; a node
// cordoned before (not by Tempest) is left alone and reported in the state.
func cordon(ctx context.Context, client kubernetes.Interface, name string, run fault.Run) (fault.State, error) {
	var state fault.State
	// kwok and kubelets write node status all the time: a Conflict on the
	// resourceVersion reads again.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("node %s: %w", name, APIError(err, "get", "nodes", ""))
		}
		if node.Spec.Unschedulable && node.Annotations[AnnotationCordoned] == "" {
			state = fault.State{"cordoned": "before"}
			return nil
		}
		labels, annotations := runMeta(run)
		annotations[AnnotationCordoned] = "true"
		meta := metaPatch(labels, annotations)
		meta["resourceVersion"] = node.ResourceVersion
		state = fault.State{"cordoned": "tempest"}
		return patchNode(ctx, client, name, map[string]any{"metadata": meta, "spec": map[string]any{"unschedulable": true}})
	})
	if err != nil {
		return nil, err
	}
	return state, nil
}

// uncordon undoes cordon; a vanished node, or one Tempest did not cordon,
// is left alone.
func uncordon(ctx context.Context, client kubernetes.Interface, name string) error {
	node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("node %s: %w", name, APIError(err, "get", "nodes", ""))
	}
	if node.Annotations[AnnotationCordoned] == "" {
		return nil
	}
	err = patchNode(ctx, client, name, map[string]any{
		"metadata": clearRunMeta(AnnotationCordoned),
		"spec":     map[string]any{"unschedulable": nil},
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func patchNode(ctx context.Context, client kubernetes.Interface, name string, patch map[string]any) error {
	body, err := mergePatch(patch)
	if err != nil {
		return err
	}
	_, err = client.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("node %s: %w", name, APIError(err, "patch", "nodes", ""))
	}
	return nil
}
