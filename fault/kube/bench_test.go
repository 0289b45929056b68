package kube_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
	"github.com/tempest-chaos/tempest/fault/kube"
	"github.com/tempest-chaos/tempest/probe/kubeprobe"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

func barePod(b *testing.B, c kubernetes.Interface, ns, name string) *corev1.Pod {
	b.Helper()
	p, err := c.CoreV1().Pods(ns).Create(b.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "registry.invalid/a:1"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkPodDelete times one pod deletion up to the API server's answer:
// the podDelete fault's Inject side by side with a bare client-go Delete.
func BenchmarkPodDelete(b *testing.B) {
	c := kubeenv.Client(b)
	ns := kubeenv.Namespace(b, c, "bench-delete")
	pd := kube.NewPodDelete(c)
	f := experiment.Fault{Name: "bench", PodDelete: &experiment.PodDeleteFault{
		Selector: experiment.KubeSelector{Namespace: ns, LabelSelector: "app=bench"}, Force: true}}
	run := testRun()

	b.Run("inject", func(b *testing.B) {
		for i := range b.N {
			b.StopTimer()
			p := barePod(b, c, ns, fmt.Sprintf("inject-%d", i))
			target := experiment.Target{ID: "pod/" + ns + "/" + p.Name,
				Attrs: map[string]string{"namespace": ns, "name": p.Name, "uid": string(p.UID)}}
			b.StartTimer()
			if _, err := pd.Inject(b.Context(), fault.Request{Run: run, Fault: f, Target: target}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client-go", func(b *testing.B) {
		for i := range b.N {
			b.StopTimer()
			p := barePod(b, c, ns, fmt.Sprintf("bare-%d", i))
			b.StartTimer()
			if err := c.CoreV1().Pods(ns).Delete(b.Context(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRecovery deletes a Deployment's only pod and reports, from the
// delete: when the controller created the replacement and when it became
// Ready (both seen on a watch), and when the k8s probe (polled every 10 ms)
// first passed.
func BenchmarkRecovery(b *testing.B) {
	c := kubeenv.Client(b)
	ns := kubeenv.Namespace(b, c, "bench-recovery")
	createBenchDeployment(b, c, ns)
	prober := kubeprobe.New(c)
	probe := experiment.Probe{Name: "ready", K8s: &experiment.K8sProbe{Resource: "Pod", Condition: experiment.K8sReady, MinReady: 1,
		Selector: experiment.KubeSelector{Namespace: ns, OwnerKind: "Deployment", OwnerName: "bench"}}}
	var recreate, ready, probed time.Duration
	for range b.N {
		b.StopTimer()
		old := waitOneReadyPod(b, c, ns)
		w, err := c.CoreV1().Pods(ns).Watch(b.Context(), metav1.ListOptions{ResourceVersion: old.ResourceVersion})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := c.CoreV1().Pods(ns).Delete(b.Context(), old.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
			b.Fatal(err)
		}
		events := make(chan [2]time.Duration, 1)
		go func() { events <- watchReplacement(w, old.Name, start) }()
		for {
			ctx, cancel := context.WithTimeout(b.Context(), 2*time.Second)
			obs, err := prober.Observe(ctx, probe)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			if obs.Passed {
				// The old pod is gone at once (force), so a pass is the replacement.
				probed += time.Since(start)
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatalf("probe never passed: %s", obs.Detail)
			}
			time.Sleep(10 * time.Millisecond)
		}
		ev := <-events
		w.Stop()
		recreate += ev[0]
		ready += ev[1]
	}
	n := float64(b.N)
	b.ReportMetric(float64(recreate.Milliseconds())/n, "ms-recreated")
	b.ReportMetric(float64(ready.Milliseconds())/n, "ms-ready-on-watch")
	b.ReportMetric(float64(probed.Milliseconds())/n, "ms-probe-passed")
}

func createBenchDeployment(b *testing.B, c kubernetes.Interface, ns string) {
	b.Helper()
	labels := map[string]string{"app": "bench"}
	tmpl := podTemplate(labels)
	tmpl.Spec.TerminationGracePeriodSeconds = ptr(int64(0))
	_, err := c.AppsV1().Deployments(ns).Create(b.Context(), deploymentObject(ns, "bench", 1, labels, tmpl), metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
}

// waitOneReadyPod waits until the namespace has exactly one pod, Ready.
func waitOneReadyPod(b *testing.B, c kubernetes.Interface, ns string) corev1.Pod {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		list, err := c.CoreV1().Pods(ns).List(b.Context(), metav1.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(list.Items) == 1 && isReady(list.Items[0]) {
			p := list.Items[0]
			p.ResourceVersion = list.ResourceVersion
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("no single ready pod")
	return corev1.Pod{}
}

func isReady(p corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// watchReplacement returns when a pod other than old was added and when it was Ready.
func watchReplacement(w watch.Interface, old string, start time.Time) [2]time.Duration {
	var out [2]time.Duration
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || p.Name == old {
			continue
		}
		if out[0] == 0 {
			out[0] = time.Since(start)
		}
		if isReady(*p) {
			out[1] = time.Since(start)
			return out
		}
	}
	return out
}
