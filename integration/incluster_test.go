package integration

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/experiment"
	kubeenv "github.com/tempest-chaos/tempest/testenv/kube"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInClusterWorkerFromManifests applies deploy/worker to the local
// cluster and runs the worker binary as its pod's stand-in: the args and
// environment of the applied Deployment and ConfigMap (Temporal's address
// replaced by the test's server), no kubeconfig, KUBERNETES_SERVICE_HOST
// set, and the ServiceAccount mount the kubelet would give the pod (a
// TokenRequest bound to the pod, the cluster CA, the namespace). A scale
// fault in the namespace the manifests bind passes and is reverted, with
// its fence ConfigMap in the worker's namespace; the same fault in a
// namespace they do not bind is Forbidden for the manifests' account.
func TestInClusterWorkerFromManifests(t *testing.T) {
	tempestBin, _ := binaries(t)
	admin, kubeconfig := kubeenv.Cluster(t)
	client := kubeenv.NewClient(t, admin)
	brokerReady(t, kubeconfig, client)
	kubeenv.ApplyWorkerManifests(t, kubeconfig)
	e := newEnv(t)
	ctx := t.Context()

	dep, err := client.AppsV1().Deployments(kubeenv.WorkerNamespace).Get(ctx, "tempest-worker", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := dep.Spec.Template.Spec
	if spec.ServiceAccountName != kubeenv.WorkerServiceAccount {
		t.Fatalf("the Deployment runs as %q, want %q", spec.ServiceAccountName, kubeenv.WorkerServiceAccount)
	}
	container := spec.Containers[0]
	env := map[string]string{}
	for _, from := range container.EnvFrom {
		if from.ConfigMapRef == nil {
			continue
		}
		cm, err := client.CoreV1().ConfigMaps(kubeenv.WorkerNamespace).Get(ctx, from.ConfigMapRef.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range cm.Data {
			env[k] = v
		}
	}
	cluster := env["TEMPEST_CLUSTER"]
	if cluster == "" {
		t.Fatalf("the worker's ConfigMap names no TEMPEST_CLUSTER: %v", env)
	}
	env["TEMPORAL_ADDRESS"] = e.srv.FrontendAddress() // the one thing the stand-in changes
	args := expandArgs(container.Args, env)
	// The stand-in keeps its ledger in a directory of the test's instead of
	// the pod's emptyDir.
	args = append(args, "--worker-state-dir", t.TempDir())

	pod := workerPod(t, client)
	saDir := mountServiceAccount(t, client, admin.CAData, admin.CAFile, pod)
	apiserver, err := url.Parse(admin.Host)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(tempestBin, args...)
	cmd.Env = podEnv(env,
		"KUBERNETES_SERVICE_HOST="+apiserver.Hostname(),
		"KUBERNETES_SERVICE_PORT="+apiserver.Port(),
		"TEMPEST_SERVICEACCOUNT_DIR="+saDir)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	clusterQueue := regexp.MustCompile(`polling task queue \S+@` + regexp.QuoteMeta(cluster))
	deadline := time.Now().Add(time.Minute)
	for !clusterQueue.MatchString(out.String()) {
		select {
		case err := <-exited:
			t.Fatalf("the worker exited (%v):\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker never polled its cluster's queue:\n%s", out.String())
		}
	}

	scale := func(name, namespace string) experiment.Experiment {
		return experiment.Experiment{
			Kind: experiment.KindExperiment, Metadata: experiment.Metadata{Name: name},
			Spec: experiment.Spec{Faults: []experiment.Fault{{
				Name: "scale-down", Cluster: cluster, Duration: experiment.Duration(2 * time.Second),
				Scale: &experiment.ScaleFault{Kind: experiment.WorkloadStatefulSet, Replicas: 1,
					Selector: experiment.KubeSelector{Namespace: namespace, Names: []string{"broker"}}},
			}}},
		}
	}

	t.Run("bound namespace", func(t *testing.T) {
		run, res := e.runToEnd(t, scale("incluster-scale", kubeenv.TargetNamespace), "", 2*time.Minute)
		if res.Verdict != experiment.VerdictPassed || res.Faults[0].Injections != 1 || res.Faults[0].Reverts != 1 {
			t.Fatalf("verdict %s, faults %+v, reasons %v\nworker:\n%s", res.Verdict, res.Faults, res.Reasons, out.String())
		}
		sts, err := client.AppsV1().StatefulSets(kubeenv.TargetNamespace).Get(ctx, "broker", metav1.GetOptions{})
		if err != nil || *sts.Spec.Replicas != 3 {
			t.Fatalf("broker replicas not restored to 3: %v %v", err, sts.Spec.Replicas)
		}
		// The revert's fence is a ConfigMap in the pod's namespace, written
		// with the manifests' Role (fences.yaml).
		cms, err := client.CoreV1().ConfigMaps(kubeenv.WorkerNamespace).List(ctx, metav1.ListOptions{LabelSelector: activities.LabelFence})
		if err != nil {
			t.Fatal(err)
		}
		fenced := false
		for _, cm := range cms.Items {
			fenced = fenced || cm.Data["workflowId"] == run.ID
		}
		if !fenced {
			t.Fatalf("no fence ConfigMap of %s in %s; worker:\n%s", run.ID, kubeenv.WorkerNamespace, out.String())
		}
	})

	t.Run("unbound namespace", func(t *testing.T) {
		_, res := e.runToEnd(t, scale("incluster-forbidden", "default"), "", 2*time.Minute)
		joined := strings.Join(res.Reasons, "\n")
		if res.Verdict != experiment.VerdictErrored || res.Faults[0].Injections != 0 {
			t.Fatalf("verdict %s, faults %+v, reasons %q", res.Verdict, res.Faults, joined)
		}
		for _, want := range []string{"Forbidden", kubeenv.WorkerUser, `"default"`} {
			if !strings.Contains(joined, want) {
				t.Fatalf("reasons %q do not name %s", joined, want)
			}
		}
	})
}

// expandArgs replaces $(NAME) in args with env[NAME], as the kubelet does
// for a container's args.
func expandArgs(args []string, env map[string]string) []string {
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = ref.ReplaceAllStringFunc(a, func(m string) string {
			if v, ok := env[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	return out
}

// podEnv is this process's environment without anything that names a
// kubeconfig, Temporal or a pod, plus env and extra.
func podEnv(env map[string]string, extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "KUBECONFIG" || name == "POD_NAMESPACE" || strings.HasPrefix(name, "TEMPORAL_") ||
			strings.HasPrefix(name, "KUBERNETES_") || strings.HasPrefix(name, "TEMPEST_") {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return append(out, extra...)
}

// workerPod waits for the pod of the tempest-worker Deployment (kwok runs
// it as an object only).
func workerPod(t *testing.T, client kubernetes.Interface) corev1.Pod {
	t.Helper()
	var pod corev1.Pod
	kubeenv.WaitFor(t, time.Minute, "the tempest-worker pod", func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods(kubeenv.WorkerNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=tempest-worker"})
		if err != nil || len(pods.Items) == 0 {
			return false, nil
		}
		pod = pods.Items[0]
		return true, nil
	})
	return pod
}

// mountServiceAccount writes what the kubelet mounts at
// /var/run/secrets/kubernetes.io/serviceaccount for pod: a token of its
// ServiceAccount bound to the pod (TokenRequest), the cluster's CA and the
// pod's namespace. It returns the directory.
func mountServiceAccount(t *testing.T, client kubernetes.Interface, caData []byte, caFile string, pod corev1.Pod) string {
	t.Helper()
	expiry := int64(3600)
	tr, err := client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(t.Context(), pod.Spec.ServiceAccountName, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			ExpirationSeconds: &expiry,
			BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for the pod %s/%s: %v", pod.Namespace, pod.Name, err)
	}
	if len(caData) == 0 {
		if caData, err = os.ReadFile(caFile); err != nil {
			t.Fatalf("read CA: %v", err)
		}
	}
	dir := t.TempDir()
	for name, content := range map[string][]byte{"token": []byte(tr.Status.Token), "ca.crt": caData, "namespace": []byte(pod.Namespace)} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(fmt.Errorf("write %s: %w", name, err))
		}
	}
	return dir
}
