package kubeprobe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/probe/kubeprobe"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

func k8sProbe(resource string, cond experiment.K8sCondition, sel experiment.KubeSelector, minReady int) experiment.Probe {
	return experiment.Probe{Name: "p", Mode: experiment.ModeEOT, K8s: &experiment.K8sProbe{
		Resource: resource, Condition: cond, Selector: sel, MinReady: minReady}}
}

func observe(t *testing.T, pr *kubeprobe.Prober, p experiment.Probe) experiment.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	obs, err := pr.Observe(ctx, p)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	return obs
}

// eventually observes p until it passes, or fails the test after 30 s.
func eventually(t *testing.T, pr *kubeprobe.Prober, p experiment.Probe) experiment.Observation {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		obs := observe(t, pr, p)
		if obs.Passed {
			return obs
		}
		if time.Now().After(deadline) {
			t.Fatalf("never passed: %s %s", obs.Value, obs.Detail)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func createDeployment(t *testing.T, c kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	labels := map[string]string{"app": name}
	_, err := c.AppsV1().Deployments(ns).Create(t.Context(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConditionsAgainstTheAPIServer(t *testing.T) {
	c := kubeenv.Client(t)
	ns := kubeenv.Namespace(t, c, "probe")
	pr := kubeprobe.New(c)
	byName := experiment.KubeSelector{Namespace: ns, Names: []string{"web"}}
	pods := experiment.KubeSelector{Namespace: ns, OwnerKind: "Deployment", OwnerName: "web"}

	if obs := observe(t, pr, k8sProbe("Deployment", experiment.K8sPresent, byName, 0)); obs.Passed || !strings.Contains(obs.Detail, "missing [web]") {
		t.Fatalf("present before creation: %+v", obs)
	}
	if obs := observe(t, pr, k8sProbe("Deployment", experiment.K8sAbsent, byName, 0)); !obs.Passed {
		t.Fatalf("absent before creation: %+v", obs)
	}
	if obs := observe(t, pr, k8sProbe("Pod", experiment.K8sReady, pods, 0)); obs.Passed {
		t.Fatalf("ready with no pods passed: %+v", obs)
	}

	createDeployment(t, c, ns, "web", 3)
	if obs := observe(t, pr, k8sProbe("Deployment", experiment.K8sPresent, byName, 0)); !obs.Passed {
		t.Fatalf("present after creation: %+v", obs)
	}
	obs := eventually(t, pr, k8sProbe("Deployment", experiment.K8sReady, byName, 0))
	if obs.Value != "1/1 Deployment ready" {
		t.Fatalf("value %q", obs.Value)
	}
	if obs := eventually(t, pr, k8sProbe("Pod", experiment.K8sReady, pods, 3)); obs.Value != "3/3 Pod ready" {
		t.Fatalf("pods value %q", obs.Value)
	}
	if obs := observe(t, pr, k8sProbe("Pod", experiment.K8sReady, pods, 4)); obs.Passed || obs.Detail != "3 ready, want at least 4" {
		t.Fatalf("minReady 4 of 3: %+v", obs)
	}
	if obs := observe(t, pr, k8sProbe("Node", experiment.K8sReady, experiment.KubeSelector{LabelSelector: "type=kwok"}, 1)); !obs.Passed {
		t.Fatalf("kwok nodes ready: %+v", obs)
	}

	// Scaled up, the deployment is not ready until the new pods are.
	if _, err := c.AppsV1().Deployments(ns).Patch(t.Context(), "web", "application/merge-patch+json",
		[]byte(`{"spec":{"replicas":5}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, pr, k8sProbe("Pod", experiment.K8sReady, pods, 5))
	eventually(t, pr, k8sProbe("Deployment", experiment.K8sReady, byName, 0))

	if err := c.AppsV1().Deployments(ns).Delete(t.Context(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if obs := observe(t, pr, k8sProbe("Deployment", experiment.K8sAbsent, byName, 0)); !obs.Passed {
		t.Fatalf("absent after delete: %+v", obs)
	}
}

func TestSpecErrorsAreInvalidSpec(t *testing.T) {
	c := kubeenv.Client(t)
	pr := kubeprobe.New(c)
	sel := experiment.KubeSelector{Namespace: "default", LabelSelector: "app=x"}
	for name, p := range map[string]experiment.Probe{
		"unknown resource":   k8sProbe("Gadget", experiment.K8sPresent, sel, 0),
		"ready on Service":   k8sProbe("Service", experiment.K8sReady, sel, 0),
		"bad label selector": k8sProbe("Pod", experiment.K8sPresent, experiment.KubeSelector{Namespace: "default", LabelSelector: "a in (("}, 0),
		"no k8s block":       {Name: "p"},
	} {
		_, err := pr.Observe(t.Context(), p)
		if kind, _ := errkind.TypeOf(err); kind != errkind.InvalidSpec {
			t.Errorf("%s: error %v, want InvalidSpec", name, err)
		}
	}
}

func TestUnreachableAndTimedOutAreFailedObservations(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1", Timeout: time.Second}
	pr := kubeprobe.New(kubeenv.NewClient(t, cfg))
	p := k8sProbe("Pod", experiment.K8sAbsent, experiment.KubeSelector{Namespace: "default", LabelSelector: "app=x"}, 0)
	obs, err := pr.Observe(t.Context(), p)
	if err != nil || obs.Passed || obs.Detail == "" {
		t.Fatalf("unreachable API server: %+v, %v; want a failed observation", obs, err)
	}

	// A deadline that has passed: an absent check must not pass by default.
	live := kubeprobe.New(kubeenv.Client(t))
	ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	obs, err = live.Observe(ctx, p)
	if err != nil || obs.Passed {
		t.Fatalf("timed-out observation: %+v, %v; want a failed observation", obs, err)
	}
}
