package kube

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// Worker ServiceAccount and the namespace deploy/worker binds it in.
const (
	WorkerNamespace      = "tempest-system"
	WorkerServiceAccount = "tempest-worker"
	WorkerUser           = "system:serviceaccount:" + WorkerNamespace + ":" + WorkerServiceAccount
	// TargetNamespace is where deploy/worker/targets.yaml grants the worker
	// its fault and probe verbs.
	TargetNamespace = "chaos-demo"
)

// ApplyWorkerManifests runs `kubectl apply -k deploy/worker` against the
// cluster of kubeconfig and fails the test on any error or warning.
func ApplyWorkerManifests(t testing.TB, kubeconfig string) {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "deploy", "worker")
	cmd := exec.CommandContext(t.Context(), "kubectl", "--kubeconfig", kubeconfig, "apply", "-k", dir)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl apply -k deploy/worker: %v\n%s%s", err, out.String(), errOut.String())
	}
	if s := strings.TrimSpace(errOut.String()); s != "" {
		t.Fatalf("kubectl apply -k deploy/worker was not clean:\n%s", s)
	}
}

// ServiceAccountKubeconfig asks the API server (TokenRequest) for a one-hour
// token of the ServiceAccount namespace/name and writes a kubeconfig using
// it into a temporary directory: a worker started with it has exactly that
// account's RBAC. It returns the kubeconfig's path.
func ServiceAccountKubeconfig(t testing.TB, admin *rest.Config, namespace, name string) string {
	t.Helper()
	client := NewClient(t, admin)
	expiry := int64(3600)
	tr, err := client.CoreV1().ServiceAccounts(namespace).CreateToken(t.Context(), name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for ServiceAccount %s/%s: %v", namespace, name, err)
	}
	ca := admin.CAData
	if len(ca) == 0 && admin.CAFile != "" {
		if ca, err = os.ReadFile(admin.CAFile); err != nil {
			t.Fatalf("read CA: %v", err)
		}
	}
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: local
  context: {cluster: local, user: %s, namespace: %s}
current-context: local
`, admin.Host, base64.StdEncoding.EncodeToString(ca), name, tr.Status.Token, name, namespace)
	path := filepath.Join(t.TempDir(), "kubeconfig-"+name)
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatalf("write kubeconfig: %v", err)
	}
	return path
}
