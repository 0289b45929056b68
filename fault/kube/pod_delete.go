package kube

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// PodDelete is the podDelete fault: it deletes one pod (with the spec's
// grace period, or force: grace period 0); its controller recreates it.
// Revert has nothing to undo. The delete is conditioned on the pod's UID, so
// a retried Inject never deletes the replacement of a pod it already deleted.
type PodDelete struct{ client kubernetes.Interface }

var _ fault.Fault = (*PodDelete)(nil)

// NewPodDelete returns the podDelete fault acting through client.
func NewPodDelete(client kubernetes.Interface) *PodDelete { return &PodDelete{client: client} }

func podDeleteSpec(f experiment.Fault) (*experiment.PodDeleteFault, error) {
	if f.PodDelete == nil {
		return nil, errkind.New(errkind.InvalidSpec, "fault %q has no podDelete block", f.Name)
	}
	return f.PodDelete, nil
}

// Targets lists the pods the selector matches.
func (d *PodDelete) Targets(ctx context.Context, f experiment.Fault) ([]experiment.Target, error) {
	spec, err := podDeleteSpec(f)
	if err != nil {
		return nil, err
	}
	return podTargets(ctx, d.client, spec.Selector)
}

// Inject deletes the target pod; a pod already gone (or replaced) counts as deleted.
func (d *PodDelete) Inject(ctx context.Context, req fault.Request) (fault.State, error) {
	spec, err := podDeleteSpec(req.Fault)
	if err != nil {
		return nil, err
	}
	name, err := targetName(req.Target)
	if err != nil {
		return nil, err
	}
	ns := req.Target.Attrs["namespace"]
	opts := metav1.DeleteOptions{}
	if uid := req.Target.Attrs["uid"]; uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: ptr(types.UID(uid))}
	}
	switch {
	case spec.Force:
		opts.GracePeriodSeconds = ptr(int64(0))
	case spec.GracePeriod != nil:
		opts.GracePeriodSeconds = ptr(int64(time.Duration(*spec.GracePeriod) / time.Second))
	}
	err = d.client.CoreV1().Pods(ns).Delete(ctx, name, opts)
	switch {
	case err == nil:
		return fault.State{"deleted": "true"}, nil
	case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		// Gone already, or the name now belongs to a replacement (UID precondition).
		return fault.State{"deleted": "already"}, nil
	default:
		return nil, fmt.Errorf("pod %s/%s: %w", ns, name, APIError(err, "delete", "pods", ns))
	}
}

// Revert does nothing: the pod's controller recreates it.
func (d *PodDelete) Revert(context.Context, fault.Request, fault.State) error { return nil }

func ptr[T any](v T) *T { return &v }
