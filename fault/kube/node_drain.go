package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// DefaultDrainTimeout bounds a drain whose spec sets no timeout.
const DefaultDrainTimeout = 2 * time.Minute

// evictionRetry is the pause before asking again for an eviction a
// PodDisruptionBudget refused.
const evictionRetry = 500 * time.Millisecond

// NodeDrain is the nodeDrain fault: it cordons one node, then evicts its
// pods through the Eviction API, so PodDisruptionBudgets are respected: an
// eviction a budget refuses is asked again until the spec's timeout. Pods
// still protected at the timeout stay; Inject then succeeds and lists them in
// State["notEvicted"] (the drain went as far as the budgets allow). Mirror
// pods and DaemonSet pods are never evicted; with IgnoreDaemonSets unset a
// node running DaemonSet pods is refused before anything changes, as kubectl
// drain does. Revert uncordons (see NodeCordon); evicted pods are not
// brought back: their controllers recreate them elsewhere.
type NodeDrain struct{ client kubernetes.Interface }

var _ fault.Fault = (*NodeDrain)(nil)

// NewNodeDrain returns the nodeDrain fault acting through client.
func NewNodeDrain(client kubernetes.Interface) *NodeDrain { return &NodeDrain{client: client} }

func drainSpec(f experiment.Fault) (*experiment.NodeDrainFault, error) {
	if f.NodeDrain == nil {
		return nil, errkind.New(errkind.InvalidSpec, "fault %q has no nodeDrain block", f.Name)
	}
	return f.NodeDrain, nil
}

// Targets lists the nodes the selector matches.
func (d *NodeDrain) Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error) {
	spec, err := drainSpec(f)
	if err != nil {
		return nil, err
	}
	return nodeTargets(ctx, d.client, spec.Selector)
}

// Inject cordons the node and evicts its pods.
func (d *NodeDrain) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	spec, err := drainSpec(req.Fault)
	if err != nil {
		return nil, err
	}
	name, err := targetName(req.Target)
	if err != nil {
		return nil, err
	}
	pods, err := d.evictable(ctx, name, spec.IgnoreDaemonSets)
	if err != nil {
		return nil, err
	}
	state, err := cordon(ctx, d.client, name, req.Run)
	if err != nil {
		return nil, err
	}
	timeout := time.Duration(spec.Timeout)
	if timeout <= 0 {
		timeout = DefaultDrainTimeout
	}
	left, err := d.evictAll(ctx, pods, time.Now().Add(timeout))
	if err != nil {
		// The node is cordoned: return its state with the error, so the
		// revert that uncordons it is pushed (fault.Fault's contract).
		return state, err
	}
	state["evicted"] = fmt.Sprint(len(pods) - len(left))
	if len(left) > 0 {
		state["notEvicted"] = strings.Join(left, ",")
	}
	return state, nil
}

// Revert uncordons the node if Tempest cordoned it.
func (d *NodeDrain) Revert(ctx context.Context, req fault.Request, _ fault.State) error {
	name, err := targetName(req.Target)
	if err != nil {
		return err
	}
	return uncordon(ctx, d.client, name)
}

// evictable lists the pods of node a drain evicts.
func (d *NodeDrain) evictable(ctx context.Context, node string, ignoreDaemonSets bool) ([]corev1.Pod, error) {
	list, err := d.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", node, APIError(err, "list", "pods", ""))
	}
	var pods []corev1.Pod
	var daemons []string
	for _, p := range list.Items {
		switch {
		case p.DeletionTimestamp != nil, p.Status.Phase == corev1.PodSucceeded, p.Status.Phase == corev1.PodFailed:
		case p.Annotations[corev1.MirrorPodAnnotationKey] != "":
		case slices.ContainsFunc(p.OwnerReferences, func(r metav1.OwnerReference) bool { return r.Kind == "DaemonSet" }):
			daemons = append(daemons, p.Namespace+"/"+p.Name)
		default:
			pods = append(pods, p)
		}
	}
	if len(daemons) > 0 && !ignoreDaemonSets {
		return nil, errkind.New(errkind.Refused, "node %s runs DaemonSet pods %v; set nodeDrain.ignoreDaemonSets to drain it anyway", node, daemons)
	}
	return pods, nil
}

// evictAll evicts pods, asking again for those a disruption budget protects
// until deadline; it returns the pods still not evicted.
func (d *NodeDrain) evictAll(ctx context.Context, pods []corev1.Pod, deadline time.Time) ([]string, error) {
	pending := pods
	for {
		var blocked []corev1.Pod
		for _, p := range pending {
			err := d.client.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{
				ObjectMeta:    metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
				DeleteOptions: &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}},
			})
			switch {
			case err == nil, apierrors.IsNotFound(err), apierrors.IsConflict(err):
			case apierrors.IsTooManyRequests(err):
				blocked = append(blocked, p) // a PodDisruptionBudget says not now
			default:
				return nil, fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, APIError(err, "create", "pods/eviction", p.Namespace))
			}
		}
		if len(blocked) == 0 {
			return nil, nil
		}
		if !time.Now().Add(evictionRetry).Before(deadline) {
			left := make([]string, 0, len(blocked))
			for _, p := range blocked {
				left = append(left, p.Namespace+"/"+p.Name)
			}
			return left, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("drain: %w", ctx.Err())
		case <-time.After(evictionRetry):
		}
		pending = blocked
	}
}
