package kube_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/probe/kubeprobe"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

func testRun() fault.Run {
	return fault.Run{WorkflowID: "kube-test-" + rand.String(6), RunID: "run-" + rand.String(10), Experiment: "kube-test"}
}

func podTemplate(labels map[string]string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			Containers:                    []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}},
			TerminationGracePeriodSeconds: ptr(int64(1)),
			Tolerations:                   []corev1.Toleration{{Key: testNodeTaint, Operator: corev1.TolerationOpExists}},
		},
	}
}

func createDeployment(t *testing.T, c kubernetes.Interface, ns, name string, replicas int32, mutate ...func(*appsv1.Deployment)) *appsv1.Deployment {
	t.Helper()
	labels := map[string]string{"app": name}
	d := deploymentObject(ns, name, replicas, labels, podTemplate(labels))
	for _, m := range mutate {
		m(d)
	}
	d, err := c.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	return d
}

func deploymentObject(ns, name string, replicas int32, labels map[string]string, tmpl corev1.PodTemplateSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: tmpl,
		},
	}
}

func createStatefulSet(t *testing.T, c kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	labels := map[string]string{"app": name}
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr(replicas),
			Selector:            &metav1.LabelSelector{MatchLabels: labels},
			Template:            podTemplate(labels),
			PodManagementPolicy: appsv1.ParallelPodManagement,
		},
	}
	if _, err := c.AppsV1().StatefulSets(ns).Create(t.Context(), s, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create statefulset: %v", err)
	}
}

// readyProbe is a k8s probe that passes when the workload is fully ready.
func readyProbe(resource, ns, name string) experiment.Probe {
	return experiment.Probe{Name: "ready", Mode: experiment.ModeEOT, K8s: &experiment.K8sProbe{
		Resource: resource, Condition: experiment.K8sReady,
		Selector: experiment.KubeSelector{Namespace: ns, Names: []string{name}},
	}}
}

// waitProbe observes p until it passes (returning how long that took) or
// fails the test after timeout.
func waitProbe(t *testing.T, c kubernetes.Interface, p experiment.Probe, timeout time.Duration) time.Duration {
	t.Helper()
	prober := kubeprobe.New(c)
	start := time.Now()
	var last experiment.Observation
	for time.Since(start) < timeout {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		obs, err := prober.Observe(ctx, p)
		cancel()
		if err != nil {
			t.Fatalf("probe %s: %v", p.Name, err)
		}
		if obs.Passed {
			return time.Since(start)
		}
		last = obs
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("probe %s never passed within %v; last: %s %s", p.Name, timeout, last.Value, last.Detail)
	return 0
}

const testNodeTaint = "tempest.dev/test-node"

// testNode creates a kwok node of its own, tainted so only the test's pods
// (which tolerate the taint) land on it, waits until kwok reports it
// Ready, and deletes it when the test ends.
func testNode(t *testing.T, c kubernetes.Interface) string {
	t.Helper()
	name := "test-node-" + rand.String(6)
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      map[string]string{"kubernetes.io/hostname": name, "type": "kwok", "tempest.dev/test": "true"},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: testNodeTaint, Value: "true", Effect: corev1.TaintEffectNoSchedule}}},
	}
	if _, err := c.CoreV1().Nodes().Create(t.Context(), node, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create node: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 10*time.Second)
		defer cancel()
		_ = c.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{})
	})
	kubeenv.WaitFor(t, 30*time.Second, "node "+name+" Ready", func(ctx context.Context) (bool, error) {
		n, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	return name
}

// onNode pins a deployment's pods to node.
func onNode(node string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": node}
	}
}

// podGone reports whether the pod with this name and UID no longer exists.
func podGone(ctx context.Context, c kubernetes.Interface, ns, name, uid string) (bool, error) {
	p, err := c.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("get pod: %w", err)
	}
	return string(p.UID) != uid, nil
}

func ptr[T any](v T) *T { return &v }
