package kubeprobe

import (
	"context"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault/kube"
)

// object is what a condition needs of one matching object.
type object struct {
	name string
	// owners are "Kind/name" of its owner references.
	owners      []string
	ready       bool
	readyDetail string
}

// lister lists one resource kind.
type lister struct {
	list func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) ([]object, error)
	// readiness says whether condition ready is defined.
	readiness bool
	// nodeField is the field selector selector.nodeName maps to ("" ignores it).
	nodeField string
}

// listers maps k8s.resource to its lister.
var listers = map[string]lister{
	"Pod":         {readiness: true, nodeField: "spec.nodeName"}, // podObjects
	"Deployment":  {list: listDeployments, readiness: true},
	"StatefulSet": {list: listStatefulSets, readiness: true},
	"ReplicaSet":  {list: listReplicaSets, readiness: true},
	"DaemonSet":   {list: listDaemonSets, readiness: true},
	"Node":        {list: listNodes, readiness: true, nodeField: "metadata.name"},
	"Service": {list: metaLister("services", func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().Services(ns).List(ctx, opts)
	})},
	"ConfigMap": {list: metaLister("configmaps", func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().ConfigMaps(ns).List(ctx, opts)
	})},
	"Secret": {list: metaLister("secrets", func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().Secrets(ns).List(ctx, opts)
	})},
	"PersistentVolumeClaim": {list: metaLister("persistentvolumeclaims", func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().PersistentVolumeClaims(ns).List(ctx, opts)
	})},
	"Job": {list: metaLister("jobs", func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.BatchV1().Jobs(ns).List(ctx, opts)
	})},
	"NetworkPolicy": {list: metaLister("networkpolicies", func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.NetworkingV1().NetworkPolicies(ns).List(ctx, opts)
	})},
	"Namespace": {list: metaLister("namespaces", func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error) {
		return c.CoreV1().Namespaces().List(ctx, opts)
	})},
}

func resourceNames() []string {
	names := make([]string, 0, len(listers))
	for n := range listers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func listOptions(sel experiment.KubeSelector, nodeField string) (metav1.ListOptions, error) {
	return kube.ListOptions(sel, nodeField)
}

func ownersOf(refs []metav1.OwnerReference) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.Kind+"/"+r.Name)
	}
	return out
}

// podObjects uses the faults' pod selection: owners through ReplicaSets,
// node name, names; terminating pods are not counted.
func podObjects(ctx context.Context, c kubernetes.Interface, sel experiment.KubeSelector) ([]object, error) {
	pods, err := kube.SelectPods(ctx, c, sel)
	if err != nil {
		return nil, err
	}
	out := make([]object, 0, len(pods))
	for _, p := range pods {
		ready, detail := podReady(p)
		// The owner is matched by SelectPods already.
		out = append(out, object{name: p.Name, owners: []string{sel.OwnerKind + "/" + sel.OwnerName}, ready: ready, readyDetail: detail})
	}
	return out, nil
}

func podReady(p corev1.Pod) (bool, string) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue, "phase " + string(p.Status.Phase) + ", Ready " + string(c.Status)
		}
	}
	return false, "phase " + string(p.Status.Phase) + ", no Ready condition"
}

func replicasReady(spec *int32, replicas, ready int32) (bool, string) {
	want := int32(1)
	if spec != nil {
		want = *spec
	}
	return ready == want && replicas == want, fmt.Sprintf("%d/%d ready, %d replicas", ready, want, replicas)
}

func listDeployments(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) ([]object, error) {
	list, err := c.AppsV1().Deployments(ns).List(ctx, opts)
	if err != nil {
		return nil, classify(err, "deployments", ns)
	}
	out := make([]object, 0, len(list.Items))
	for _, d := range list.Items {
		ready, detail := replicasReady(d.Spec.Replicas, d.Status.Replicas, d.Status.ReadyReplicas)
		out = append(out, object{d.Name, ownersOf(d.OwnerReferences), ready, detail})
	}
	return out, nil
}

func listStatefulSets(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) ([]object, error) {
	list, err := c.AppsV1().StatefulSets(ns).List(ctx, opts)
	if err != nil {
		return nil, classify(err, "statefulsets", ns)
	}
	out := make([]object, 0, len(list.Items))
	for _, s := range list.Items {
		ready, detail := replicasReady(s.Spec.Replicas, s.Status.Replicas, s.Status.ReadyReplicas)
		out = append(out, object{s.Name, ownersOf(s.OwnerReferences), ready, detail})
	}
	return out, nil
}

func listReplicaSets(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) ([]object, error) {
	list, err := c.AppsV1().ReplicaSets(ns).List(ctx, opts)
	if err != nil {
		return nil, classify(err, "replicasets", ns)
	}
	out := make([]object, 0, len(list.Items))
	for _, r := range list.Items {
		ready, detail := replicasReady(r.Spec.Replicas, r.Status.Replicas, r.Status.ReadyReplicas)
		out = append(out, object{r.Name, ownersOf(r.OwnerReferences), ready, detail})
	}
	return out, nil
}

func listDaemonSets(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) ([]object, error) {
	list, err := c.AppsV1().DaemonSets(ns).List(ctx, opts)
	if err != nil {
		return nil, classify(err, "daemonsets", ns)
	}
	out := make([]object, 0, len(list.Items))
	for _, d := range list.Items {
		out = append(out, daemonSetObject(d))
	}
	return out, nil
}

func daemonSetObject(d appsv1.DaemonSet) object {
	s := d.Status
	return object{d.Name, ownersOf(d.OwnerReferences), s.NumberReady == s.DesiredNumberScheduled,
		fmt.Sprintf("%d/%d ready", s.NumberReady, s.DesiredNumberScheduled)}
}

func listNodes(ctx context.Context, c kubernetes.Interface, _ string, opts metav1.ListOptions) ([]object, error) {
	list, err := c.CoreV1().Nodes().List(ctx, opts)
	if err != nil {
		return nil, classify(err, "nodes", "")
	}
	out := make([]object, 0, len(list.Items))
	for _, n := range list.Items {
		ready, detail := false, "no Ready condition"
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				ready, detail = cond.Status == corev1.ConditionTrue, "Ready "+string(cond.Status)
			}
		}
		out = append(out, object{n.Name, nil, ready, detail})
	}
	return out, nil
}

type listFunc = func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) (runtime.Object, error)

// metaLister lists any resource through its typed list's metadata
// (present and absent need nothing else).
func metaLister(resource string, list listFunc) func(context.Context, kubernetes.Interface, string, metav1.ListOptions) ([]object, error) {
	return func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) ([]object, error) {
		obj, err := list(ctx, c, ns, opts)
		if err != nil {
			return nil, classify(err, resource, ns)
		}
		items, err := meta.ExtractList(obj)
		if err != nil {
			return nil, fmt.Errorf("read %s list: %w", resource, err)
		}
		out := make([]object, 0, len(items))
		for _, item := range items {
			m, err := meta.Accessor(item)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", resource, err)
			}
			out = append(out, object{name: m.GetName(), owners: ownersOf(m.GetOwnerReferences())})
		}
		return out, nil
	}
}

// classify turns an API error into a classified one (Forbidden, InvalidSpec)
// or a plain one (a failed observation).
func classify(err error, resource, ns string) error {
	return kube.APIError(err, "list", resource, ns)
}
