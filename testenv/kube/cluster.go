package kube

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// startTimeout bounds up.sh, including a cold build of Kubernetes.
const startTimeout = 25 * time.Minute

// Cluster returns an admin (system:masters) config for the local cluster and
// its kubeconfig path, starting the cluster if it is not running.
func Cluster(t testing.TB) (*rest.Config, string) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("local cluster: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "deploy", "local-cluster", "up.sh"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("local cluster: deploy/local-cluster/up.sh failed (%v); needs go, openssl, curl, kubectl and about 4 GB of build cache:\n%s", err, tail(stderr.String(), 40))
	}
	kubeconfig := strings.TrimSpace(lastLine(stdout.String()))
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("local cluster: load kubeconfig %q: %v", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	return cfg, kubeconfig
}

// Client returns an admin clientset for the local cluster.
func Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	cfg, _ := Cluster(t)
	return NewClient(t, cfg)
}

// NewClient builds a clientset from cfg or fails the test.
func NewClient(t testing.TB, cfg *rest.Config) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("kubernetes client: %v", err)
	}
	return c
}

// Impersonate returns a copy of cfg acting as user (for example
// "system:serviceaccount:tempest-system:tempest-worker"), so RBAC applies
// to it as it would to that user's own token.
func Impersonate(cfg *rest.Config, user string) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user}
	if ns, ok := serviceAccountNamespace(user); ok {
		c.Impersonate.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	}
	return c
}

// serviceAccountNamespace parses "system:serviceaccount:NS:NAME".
func serviceAccountNamespace(user string) (string, bool) {
	parts := strings.Split(user, ":")
	if len(parts) == 4 && parts[0] == "system" && parts[1] == "serviceaccount" {
		return parts[2], true
	}
	return "", false
}

// RepoRoot is the repository root (the directory holding deploy/local-cluster).
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "deploy", "local-cluster", "up.sh")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no deploy/local-cluster/up.sh above %s", dir)
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
