package scale

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// The fixture's shape: namespaces of deploymentsPerNamespace Deployments of
// replicasPerDeployment kwok pods each, on nodes of podsPerNode pods.
const (
	replicasPerDeployment   = 10
	deploymentsPerNamespace = 5
	podsPerNamespace        = replicasPerDeployment * deploymentsPerNamespace
	podsPerNode             = 1000
	namespacePrefix         = "tempest-scale-"
	// scaleLabel marks the fixture's nodes, namespaces and pods.
	scaleLabel = "tempest.dev/scale"
)

// Target is one pod an experiment (or a bare delete) deletes, and the
// Deployment that recreates it.
type Target struct {
	Namespace, Deployment, Pod string
}

// ensureFixture makes the fixture hold at least pods pods (it grows, never
// shrinks, so a knee's doubling reuses what is there) and waits until
// every pod of it is Ready.
func ensureFixture(ctx context.Context, kc kubernetes.Interface, pods int, logf func(string, ...any)) error {
	namespaces := (pods + podsPerNamespace - 1) / podsPerNamespace
	nodes := (namespaces*podsPerNamespace + podsPerNode - 1) / podsPerNode
	for i := range nodes {
		if err := ensureNode(ctx, kc, fmt.Sprintf("tempest-scale-node-%d", i)); err != nil {
			return err
		}
	}
	for i := range namespaces {
		ns := fmt.Sprintf("%s%03d", namespacePrefix, i)
		_, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: ns, Labels: map[string]string{scaleLabel: "true"}}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("namespace %s: %w", ns, err)
		}
		for d := range deploymentsPerNamespace {
			_, err := kc.AppsV1().Deployments(ns).Create(ctx, deployment(fmt.Sprintf("app-%d", d)), metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("deployment %s/app-%d: %w", ns, d, err)
			}
		}
	}
	want := namespaces * podsPerNamespace
	logf("fixture: %d pods in %d namespaces on %d kwok nodes; waiting for them Ready", want, namespaces, nodes)
	deadline := time.Now().Add(20 * time.Minute)
	for {
		ready, err := readyTargets(ctx, kc)
		if err != nil {
			return err
		}
		if len(ready) >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fixture: %d of %d pods Ready after 20 minutes", len(ready), want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// ensureNode registers a kwok node (kwok manages every node) that takes
// podsPerNode pods.
func ensureNode(ctx context.Context, kc kubernetes.Interface, name string) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("1000"),
		corev1.ResourceMemory: resource.MustParse("4Ti"),
		corev1.ResourcePods:   *resource.NewQuantity(podsPerNode, resource.DecimalSI),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      map[string]string{"type": "kwok", scaleLabel: "true", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
	_, err := kc.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kwok node %s: %w", name, err)
	}
	// Create drops the status, and kwok updates it as soon as the node
	// exists: set the capacity on the latest version.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := kc.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.Status.Allocatable.Pods().Value() == podsPerNode {
			return nil
		}
		cur.Status.Capacity, cur.Status.Allocatable = capacity, capacity
		_, err = kc.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("kwok node %s status: %w", name, err)
	}
	return nil
}

func deployment(name string) *appsv1.Deployment {
	replicas := int32(replicasPerDeployment)
	zero := int64(0)
	labels := map[string]string{"app": name, scaleLabel: "true"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector:                  map[string]string{scaleLabel: "true"},
					Tolerations:                   []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists}},
					TerminationGracePeriodSeconds: &zero,
					Containers:                    []corev1.Container{{Name: "app", Image: "registry.invalid/fake:1"}},
				},
			},
		},
	}
}

// readyTargets lists the fixture's Ready pods that are not being deleted,
// in a stable order.
func readyTargets(ctx context.Context, kc kubernetes.Interface) ([]Target, error) {
	var out []Target
	opts := metav1.ListOptions{LabelSelector: scaleLabel + "=true", Limit: 1000}
	for {
		pods, err := kc.CoreV1().Pods("").List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list the fixture's pods: %w", err)
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil && podReady(&p) {
				out = append(out, Target{Namespace: p.Namespace, Deployment: p.Labels["app"], Pod: p.Name})
			}
		}
		if pods.Continue == "" {
			break
		}
		opts.Continue = pods.Continue
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Deployment != b.Deployment {
			return a.Deployment < b.Deployment
		}
		return a.Pod < b.Pod
	})
	return out, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// pickTargets returns n Ready pods of the fixture, spread over every
// namespace and Deployment (round robin), once every pod is Ready again.
func pickTargets(ctx context.Context, kc kubernetes.Interface, n int) ([]Target, error) {
	ready, err := readyTargets(ctx, kc)
	if err != nil {
		return nil, err
	}
	if len(ready) < n {
		return nil, fmt.Errorf("fixture: %d Ready pods, %d needed", len(ready), n)
	}
	byDeployment := map[string][]Target{}
	var order []string
	for _, t := range ready {
		k := t.Namespace + "/" + t.Deployment
		if _, ok := byDeployment[k]; !ok {
			order = append(order, k)
		}
		byDeployment[k] = append(byDeployment[k], t)
	}
	var out []Target
	for round := 0; len(out) < n; round++ {
		for _, k := range order {
			if round < len(byDeployment[k]) && len(out) < n {
				out = append(out, byDeployment[k][round])
			}
		}
	}
	return out, nil
}

// waitAllReady waits until the fixture's Deployments are all Ready again
// and returns when that was first seen.
func waitAllReady(ctx context.Context, kc kubernetes.Interface, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := deploymentsReady(ctx, kc)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("the fixture's Deployments not all Ready after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitReplaced waits until the fixture has as many Ready pods as before
// the deletes of gone and none of them is among them: every replacement
// is Ready. It returns when that was first seen.
func waitReplaced(ctx context.Context, kc kubernetes.Interface, gone []Target, timeout time.Duration) (time.Time, error) {
	names := map[string]bool{}
	for _, t := range gone {
		names[t.Namespace+"/"+t.Pod] = true
	}
	ds, err := kc.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: scaleLabel + "=true"})
	if err != nil {
		return time.Time{}, fmt.Errorf("list the fixture's Deployments: %w", err)
	}
	want := 0
	for _, d := range ds.Items {
		want += int(*d.Spec.Replicas)
	}
	deadline := time.Now().Add(timeout)
	for {
		ready, err := readyTargets(ctx, kc)
		if err != nil {
			return time.Time{}, err
		}
		replaced := len(ready) >= want
		for _, t := range ready {
			if names[t.Namespace+"/"+t.Pod] {
				replaced = false
				break
			}
		}
		if replaced {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d pods Ready, or deleted ones still listed, after %s", len(ready), want, timeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func deploymentsReady(ctx context.Context, kc kubernetes.Interface) (bool, error) {
	ds, err := kc.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: scaleLabel + "=true"})
	if err != nil {
		return false, fmt.Errorf("list the fixture's Deployments: %w", err)
	}
	for _, d := range ds.Items {
		if d.Status.ObservedGeneration < d.Generation || d.Status.ReadyReplicas != *d.Spec.Replicas ||
			d.Status.Replicas != *d.Spec.Replicas || d.Status.UpdatedReplicas != *d.Spec.Replicas {
			return false, nil
		}
	}
	return len(ds.Items) > 0, nil
}

// DeleteFixture deletes the fixture's namespaces and nodes.
func DeleteFixture(ctx context.Context, kc kubernetes.Interface) error {
	sel := metav1.ListOptions{LabelSelector: scaleLabel + "=true"}
	nss, err := kc.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return fmt.Errorf("list the fixture's namespaces: %w", err)
	}
	for _, ns := range nss.Items {
		if err := kc.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %w", ns.Name, err)
		}
	}
	if err := kc.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
		return fmt.Errorf("delete the fixture's nodes: %w", err)
	}
	return nil
}
