package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// LabelFence marks the ConfigMaps KubeFences keeps.
const LabelFence = "tempest.dev/fence"

// KubeFences keeps one ConfigMap per fence in Namespace (the workers'
// own), so a fence written by the worker that reverts is seen by every
// worker of the cluster. It needs get, create, list and delete on
// configmaps in Namespace. Without that right (Forbidden), or without the
// namespace, it degrades: Fence and IsFenced succeed without it and
// Degraded is called, so a revert is never blocked by missing RBAC; the
// host's FileFences still fence the workers sharing its state dir.
// Fences older than MaxAge (default DefaultFenceMaxAge) are pruned, at
// most once an hour, when a new one is written.
type KubeFences struct {
	Client    kubernetes.Interface
	Namespace string
	MaxAge    time.Duration
	// Degraded, if set, hears of each API error that made a call degrade.
	Degraded func(err error)

	mu         sync.Mutex
	lastPruned time.Time
}

var _ FenceStore = (*KubeFences)(nil)

func (k *KubeFences) name(req fault.Request) string { return "tempest-fence-" + InjectionKey(req) }

// Fence creates the fence's ConfigMap; an existing one is success.
func (k *KubeFences) Fence(ctx context.Context, req fault.Request) error {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: k.name(req), Namespace: k.Namespace, Labels: map[string]string{LabelFence: "true"}},
		Data: map[string]string{
			"workflowId": req.Run.WorkflowID, "runId": req.Run.RunID, "fault": req.Fault.Name,
			"target": req.Target.ID, "injection": strconv.Itoa(req.Injection),
		},
	}
	_, err := k.Client.CoreV1().ConfigMaps(k.Namespace).Create(ctx, cm, metav1.CreateOptions{})
	switch {
	case err == nil:
		k.prune(ctx, time.Now())
		return nil
	case apierrors.IsAlreadyExists(err):
		return nil
	case k.degrades(err):
		return nil
	default:
		return fmt.Errorf("create fence configmap %s/%s: %w", k.Namespace, cm.Name, err)
	}
}

// IsFenced reports whether the fence's ConfigMap exists.
func (k *KubeFences) IsFenced(ctx context.Context, req fault.Request) (bool, error) {
	_, err := k.Client.CoreV1().ConfigMaps(k.Namespace).Get(ctx, k.name(req), metav1.GetOptions{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err) && !isNamespaceNotFound(err):
		return false, nil
	case k.degrades(err):
		return false, nil
	default:
		return false, fmt.Errorf("get fence configmap %s/%s: %w", k.Namespace, k.name(req), err)
	}
}

// degrades reports (and says) whether err means the store cannot be used.
func (k *KubeFences) degrades(err error) bool {
	if !apierrors.IsForbidden(err) && !apierrors.IsUnauthorized(err) && !isNamespaceNotFound(err) {
		return false
	}
	if k.Degraded != nil {
		k.Degraded(err)
	}
	return true
}

// isNamespaceNotFound: a NotFound about the namespace, not the ConfigMap.
func isNamespaceNotFound(err error) bool {
	var se *apierrors.StatusError
	return errors.As(err, &se) && se.ErrStatus.Details != nil && se.ErrStatus.Details.Kind == "namespaces"
}

func (k *KubeFences) prune(ctx context.Context, now time.Time) {
	k.mu.Lock()
	if now.Sub(k.lastPruned) < time.Hour {
		k.mu.Unlock()
		return
	}
	k.lastPruned = now
	k.mu.Unlock()
	maxAge := k.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultFenceMaxAge
	}
	list, err := k.Client.CoreV1().ConfigMaps(k.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelFence})
	if err != nil {
		return
	}
	for _, cm := range list.Items {
		if now.Sub(cm.CreationTimestamp.Time) > maxAge {
			_ = k.Client.CoreV1().ConfigMaps(k.Namespace).Delete(ctx, cm.Name, metav1.DeleteOptions{})
		}
	}
}

// HostAndClusterFences fences every injection on the host (Host) and,
// for the Kubernetes kinds, also in the cluster (Cluster, when set), where
// a late attempt may run on any worker of the cluster. A fence in either
// stops an inject.
type HostAndClusterFences struct {
	Host    FenceStore
	Cluster FenceStore
}

var _ FenceStore = HostAndClusterFences{}

func (h HostAndClusterFences) stores(req fault.Request) []FenceStore {
	if h.Cluster == nil || slices.Contains(experiment.HostKinds(), req.Fault.Kind()) {
		return []FenceStore{h.Host}
	}
	return []FenceStore{h.Host, h.Cluster}
}

// Fence writes the fence to every store of req's kind.
func (h HostAndClusterFences) Fence(ctx context.Context, req fault.Request) error {
	for _, s := range h.stores(req) {
		if err := s.Fence(ctx, req); err != nil {
			return err
		}
	}
	return nil
}

// IsFenced reports whether any store of req's kind holds the fence.
func (h HostAndClusterFences) IsFenced(ctx context.Context, req fault.Request) (bool, error) {
	for _, s := range h.stores(req) {
		ok, err := s.IsFenced(ctx, req)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// LogDegraded returns a KubeFences.Degraded that logs the first
// degradation, then every hundredth.
func LogDegraded(log *slog.Logger, namespace string) func(error) {
	var mu sync.Mutex
	n := 0
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if n%100 == 0 {
			log.Warn("cluster-wide revert fences unavailable; fencing on this host only (grant get, create, list, delete on configmaps)",
				"namespace", namespace, "error", err)
		}
		n++
	}
}
