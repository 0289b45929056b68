package kube_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

func TestPodDeleteDeploymentRecreated(t *testing.T) {
	c := kubeenv.Client(t)
	ns := kubeenv.Namespace(t, c, "pod-delete")
	createDeployment(t, c, ns, "web", 3)
	waitProbe(t, c, readyProbe("Deployment", ns, "web"), 30*time.Second)

	f := experiment.Fault{Name: "kill-web", PodDelete: &experiment.PodDeleteFault{
		Selector: experiment.KubeSelector{Namespace: ns, OwnerKind: "Deployment", OwnerName: "web"},
		Force:    true,
	}}
	pd := kube.NewPodDelete(c)
	targets, err := pd.Targets(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 3 {
		t.Fatalf("targets: got %d, want the deployment's 3 pods: %+v", len(targets), targets)
	}
	run := testRun()
	for _, tg := range targets {
		if tg.Attrs["namespace"] != ns || !strings.HasPrefix(tg.ID, "pod/"+ns+"/web-") {
			t.Fatalf("target %+v: want namespace attr %q and ID pod/%s/web-...", tg, ns, ns)
		}
		if _, err := pd.Inject(t.Context(), fault.Request{Run: run, Fault: f, Target: tg, Injection: 1}); err != nil {
			t.Fatalf("inject %s: %v", tg.ID, err)
		}
	}
	for _, tg := range targets {
		kubeenv.WaitFor(t, 10*time.Second, tg.ID+" gone", func(ctx context.Context) (bool, error) {
			return podGone(ctx, c, ns, tg.Attrs["name"], tg.Attrs["uid"])
		})
	}
	// The pods themselves (new ones: the old are gone) and the controller's status.
	took := waitProbe(t, c, experiment.Probe{Name: "pods", K8s: &experiment.K8sProbe{
		Resource: "Pod", Condition: experiment.K8sReady, MinReady: 3,
		Selector: experiment.KubeSelector{Namespace: ns, OwnerKind: "Deployment", OwnerName: "web"},
	}}, 30*time.Second)
	waitProbe(t, c, readyProbe("Deployment", ns, "web"), 30*time.Second)
	t.Logf("3 replacement pods Ready %v after the old ones were gone", took)

	after, err := pd.Targets(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range after {
		for _, b := range targets {
			if a.Attrs["uid"] == b.Attrs["uid"] {
				t.Fatalf("pod %s survived", a.ID)
			}
		}
	}
	// Idempotent: injecting a deleted target again succeeds and touches nothing.
	if _, err := pd.Inject(t.Context(), fault.Request{Run: run, Fault: f, Target: targets[0], Injection: 1}); err != nil {
		t.Fatalf("second inject: %v", err)
	}
	if err := pd.Revert(t.Context(), fault.Request{Run: run, Fault: f, Target: targets[0]}, nil); err != nil {
		t.Fatalf("revert: %v", err)
	}
}

func TestPodDeleteStatefulSetRecreatedAndRetrySparesReplacement(t *testing.T) {
	c := kubeenv.Client(t)
	ns := kubeenv.Namespace(t, c, "pod-delete-sts")
	createStatefulSet(t, c, ns, "broker", 3)
	waitProbe(t, c, readyProbe("StatefulSet", ns, "broker"), 30*time.Second)

	grace := experiment.Duration(time.Second)
	f := experiment.Fault{Name: "kill-broker", PodDelete: &experiment.PodDeleteFault{
		Selector:    experiment.KubeSelector{Namespace: ns, LabelSelector: "app=broker", Names: []string{"broker-1"}},
		GracePeriod: &grace,
	}}
	pd := kube.NewPodDelete(c)
	targets, err := pd.Targets(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].Attrs["name"] != "broker-1" {
		t.Fatalf("targets: %+v, want broker-1 only", targets)
	}
	req := fault.Request{Run: testRun(), Fault: f, Target: targets[0], Injection: 1}
	if _, err := pd.Inject(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	kubeenv.WaitFor(t, 10*time.Second, "broker-1 replaced", func(ctx context.Context) (bool, error) {
		return podGone(ctx, c, ns, "broker-1", targets[0].Attrs["uid"])
	})
	waitProbe(t, c, readyProbe("StatefulSet", ns, "broker"), 30*time.Second)
	waitProbe(t, c, experiment.Probe{Name: "pods", K8s: &experiment.K8sProbe{
		Resource: "Pod", Condition: experiment.K8sReady, MinReady: 3,
		Selector: experiment.KubeSelector{Namespace: ns, OwnerKind: "StatefulSet", OwnerName: "broker"},
	}}, 10*time.Second)

	replacement, err := c.CoreV1().Pods(ns).Get(t.Context(), "broker-1", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("replacement broker-1: %v", err)
	}
	// A retried Inject (same target, old UID) must not delete the replacement.
	if _, err := pd.Inject(t.Context(), req); err != nil {
		t.Fatalf("retried inject: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	again, err := c.CoreV1().Pods(ns).Get(t.Context(), "broker-1", metav1.GetOptions{})
	if err != nil || again.UID != replacement.UID || again.DeletionTimestamp != nil {
		t.Fatalf("retried inject touched the replacement: err %v, uid %s -> %s", err, replacement.UID, again.UID)
	}
}

func TestTargetsNothingMatchedAndBadSelector(t *testing.T) {
	c := kubeenv.Client(t)
	ns := kubeenv.Namespace(t, c, "targets")
	pd := kube.NewPodDelete(c)
	got, err := pd.Targets(t.Context(), experiment.Fault{Name: "f", PodDelete: &experiment.PodDeleteFault{
		Selector: experiment.KubeSelector{Namespace: ns, LabelSelector: "app=nothing"}}})
	if err != nil || len(got) != 0 {
		t.Fatalf("selector matching nothing: got %v, %v; want no targets and no error (the engine refuses with NoTargets)", got, err)
	}
	_, err = pd.Targets(t.Context(), experiment.Fault{Name: "f", PodDelete: &experiment.PodDeleteFault{
		Selector: experiment.KubeSelector{Namespace: ns, LabelSelector: "app in (("}}})
	assertKind(t, err, "InvalidSpec")
}
