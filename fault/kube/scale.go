package kube

import (
	"context"
	"fmt"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// Scale is the scale fault: it sets a Deployment's or StatefulSet's
// replicas. Before (atomically with) the change it records the original
// count in the annotation AnnotationOriginalReplicas; Revert restores it from
// the State or, after a worker crash, from that annotation, then removes the
// annotation and the run label. A second Inject keeps the first original.
type Scale struct{ client kubernetes.Interface }

var _ fault.Fault = (*Scale)(nil)

// NewScale returns the scale fault acting through client.
func NewScale(client kubernetes.Interface) *Scale { return &Scale{client: client} }

func scaleSpec(f experiment.Fault) (*experiment.ScaleFault, error) {
	if f.Scale == nil {
		return nil, errkind.New(errkind.InvalidSpec, "fault %q has no scale block", f.Name)
	}
	return f.Scale, nil
}

// Targets lists the workloads of the spec's kind the selector matches.
func (s *Scale) Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error) {
	spec, err := scaleSpec(f)
	if err != nil {
		return nil, err
	}
	w, err := workloadsOf(s.client, spec.Kind)
	if err != nil {
		return nil, err
	}
	return w.targets(ctx, spec.Selector)
}

// Inject records the original replicas on the workload and sets the new count.
func (s *Scale) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	spec, err := scaleSpec(req.Fault)
	if err != nil {
		return nil, err
	}
	w, err := workloadsOf(s.client, spec.Kind)
	if err != nil {
		return nil, err
	}
	ns, name := req.Target.Attrs["namespace"], req.Target.Attrs["name"]
	var original string
	// Read, then patch on that resourceVersion: a Conflict (the controller
	// wrote status in between) reads again, so the recorded original is
	// never stale.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := w.get(ctx, ns, name)
		if err != nil {
			return err
		}
		var recorded bool
		original, recorded = obj.annotations[AnnotationOriginalReplicas]
		if !recorded {
			original = strconv.Itoa(int(obj.replicas))
		}
		labels, annotations := runMeta(req.Run)
		annotations[AnnotationOriginalReplicas] = original
		meta := metaPatch(labels, annotations)
		meta["resourceVersion"] = obj.resourceVersion
		return w.patch(ctx, ns, name, map[string]any{"metadata": meta, "spec": map[string]any{"replicas": spec.Replicas}})
	})
	if apierrors.IsNotFound(err) {
		return nil, errkind.New(errkind.UnknownTarget, "%s %s/%s no longer exists", spec.Kind, ns, name)
	}
	if err != nil {
		return nil, err
	}
	return fault.State{"originalReplicas": original}, nil
}

// Revert restores the original replicas; a vanished workload or one without
// a recorded original counts as reverted.
func (s *Scale) Revert(ctx context.Context, req fault.Request, state fault.State) error {
	spec, err := scaleSpec(req.Fault)
	if err != nil {
		return err
	}
	w, err := workloadsOf(s.client, spec.Kind)
	if err != nil {
		return err
	}
	return w.restore(ctx, req.Target.Attrs["namespace"], req.Target.Attrs["name"], state["originalReplicas"])
}

// restore sets the workload back to original (or, when empty, to its
// annotation) and removes Tempest's marks.
func (w workloads) restore(ctx context.Context, ns, name, original string) error {
	obj, err := w.get(ctx, ns, name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if annotated, ok := obj.annotations[AnnotationOriginalReplicas]; ok {
		original = annotated // the object's record wins: it survives every crash
	}
	if original == "" {
		return nil
	}
	n, err := strconv.Atoi(original)
	if err != nil {
		return errkind.New(errkind.InvalidSpec, "%s %s/%s: annotation %s=%q is not a count", w.kind, ns, name, AnnotationOriginalReplicas, original)
	}
	patch := map[string]any{
		"metadata": clearRunMeta(AnnotationOriginalReplicas),
		"spec":     map[string]any{"replicas": n},
	}
	if err := w.patch(ctx, ns, name, patch); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// workload is what scale needs to know of a Deployment or StatefulSet.
type workload struct {
	replicas        int32
	annotations     map[string]string
	resourceVersion string
}

// workloads reads and patches one workload kind.
type workloads struct {
	client   kubernetes.Interface
	kind     experiment.WorkloadKind
	resource string
}

func workloadsOf(client kubernetes.Interface, kind experiment.WorkloadKind) (workloads, error) {
	switch kind {
	case experiment.WorkloadDeployment:
		return workloads{client, kind, "deployments"}, nil
	case experiment.WorkloadStatefulSet:
		return workloads{client, kind, "statefulsets"}, nil
	default:
		return workloads{}, errkind.New(errkind.InvalidSpec, "scale.kind %q: want Deployment or StatefulSet", kind)
	}
}

func (w workloads) get(ctx context.Context, ns, name string) (workload, error) {
	var (
		replicas *int32
		meta     metav1.ObjectMeta
		err      error
	)
	switch w.kind {
	case experiment.WorkloadDeployment:
		obj, e := w.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if e == nil {
			replicas, meta = obj.Spec.Replicas, obj.ObjectMeta
		}
		err = e
	default:
		obj, e := w.client.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		if e == nil {
			replicas, meta = obj.Spec.Replicas, obj.ObjectMeta
		}
		err = e
	}
	if apierrors.IsNotFound(err) {
		return workload{}, err
	}
	if err != nil {
		return workload{}, APIError(err, "get", w.resource, ns)
	}
	r := int32(1) // the API server's default
	if replicas != nil {
		r = *replicas
	}
	return workload{replicas: r, annotations: meta.Annotations, resourceVersion: meta.ResourceVersion}, nil
}

func (w workloads) patch(ctx context.Context, ns, name string, patch map[string]any) error {
	body, err := mergePatch(patch)
	if err != nil {
		return err
	}
	switch w.kind {
	case experiment.WorkloadDeployment:
		_, err = w.client.AppsV1().Deployments(ns).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{})
	default:
		_, err = w.client.AppsV1().StatefulSets(ns).Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{})
	}
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s %s/%s: %w", w.kind, ns, name, APIError(err, "patch", w.resource, ns))
	}
	return nil
}

// targets lists the workloads the selector matches.
func (w workloads) targets(ctx context.Context, sel experiment.KubeSelector) ([]experiment.Target, error) {
	opts, err := ListOptions(sel, "")
	if err != nil {
		return nil, err
	}
	var names []string
	switch w.kind {
	case experiment.WorkloadDeployment:
		list, e := w.client.AppsV1().Deployments(sel.Namespace).List(ctx, opts)
		err = e
		if e == nil {
			for _, d := range list.Items {
				names = append(names, d.Name)
			}
		}
	default:
		list, e := w.client.AppsV1().StatefulSets(sel.Namespace).List(ctx, opts)
		err = e
		if e == nil {
			for _, s := range list.Items {
				names = append(names, s.Name)
			}
		}
	}
	if err != nil {
		return nil, APIError(err, "list", w.resource, sel.Namespace)
	}
	var targets []experiment.Target
	for _, n := range names {
		if !nameMatches(sel, n) {
			continue
		}
		targets = append(targets, experiment.Target{
			ID:          fmt.Sprintf("%s/%s/%s", w.resource, sel.Namespace, n),
			Description: fmt.Sprintf("%s %s/%s", w.kind, sel.Namespace, n),
			Attrs:       map[string]string{"namespace": sel.Namespace, "name": n, "kind": string(w.kind)},
		})
	}
	return targets, nil
}
