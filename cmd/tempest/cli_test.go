package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// execute runs the CLI in-process and returns its output and exit code.
func execute(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.Execute()
	code = exitPassed
	if err != nil {
		code = exitErrored
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const badDuration = `kind: Experiment
metadata:
  name: bad
spec:
  faults:
    - name: kill
      duration: 0s
      process:
        selector: {port: 8080}
`

func TestValidateNamesFieldAndLine(t *testing.T) {
	path := writeFile(t, "bad.yaml", badDuration)
	_, stderr, code := execute(t, "validate", path)
	if code != exitErrored {
		t.Fatalf("exit %d, want %d", code, exitErrored)
	}
	if !strings.Contains(stderr, "spec.faults[0].duration") || !strings.Contains(stderr, "line 7") {
		t.Fatalf("error %q does not name the field and its line", stderr)
	}
}

func TestRunRefusesBadSpecBeforeConnecting(t *testing.T) {
	path := writeFile(t, "bad.yaml", badDuration)
	start := time.Now()
	_, stderr, code := execute(t, "run", "--address", "127.0.0.1:1", path)
	if code != exitErrored || !strings.Contains(stderr, "spec.faults[0].duration") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if strings.Contains(stderr, "cannot reach") || time.Since(start) > 5*time.Second {
		t.Fatalf("tried to connect before validating: %q", stderr)
	}
}

func TestRunUnreachableAddressIsOneLine(t *testing.T) {
	// With a restart: a kill without one is warned about on stderr.
	spec := strings.Replace(badDuration, "0s", "5s", 1) + "        restart: [./target]\n"
	path := writeFile(t, "ok.yaml", spec)
	_, stderr, code := execute(t, "run", "--address", "127.0.0.1:1", path)
	if code != exitErrored {
		t.Fatalf("exit %d, want %d", code, exitErrored)
	}
	if !strings.Contains(stderr, "cannot reach Temporal at 127.0.0.1:1") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Fatalf("want a one-line error naming the address, got %q", stderr)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestRunSampleEndToEnd runs a kill-and-restart experiment through the CLI
// on the embedded server and checks the JSON report and the UI link.
func TestRunSampleEndToEnd(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "demo-target")
	if out, err := exec.Command("go", "build", "-o", target, "../../examples/target").CombinedOutput(); err != nil {
		t.Fatalf("build target: %v\n%s", err, out)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	pidfile := filepath.Join(dir, "pid")
	argv := fmt.Sprintf("[%q, %q, %q, %q, %q]", target, "-addr", addr, "-pidfile", pidfile)
	cmd := exec.Command(target, "-addr", addr, "-pidfile", pidfile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidfile); err == nil {
			var pid int
			fmt.Sscan(string(b), &pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	waitHTTP(t, "http://"+addr+"/healthz")

	spec := writeFile(t, "sample.yaml", fmt.Sprintf(`kind: Experiment
metadata:
  name: cli-sample
spec:
  faults:
    - name: kill-target
      duration: 1s
      process:
        selector: {port: %s}
        restart: %s
  probes:
    - name: serving-after
      mode: EOT
      retries: 10
      interval: 300ms
      timeout: 1s
      http: {url: "http://%s/healthz"}
`, addr[strings.LastIndex(addr, ":")+1:], argv, addr))

	uiPort := freePort(t)
	stdout, stderr, code := execute(t, "--state-dir", dir, "--port", fmt.Sprint(freePort(t)), "--ui-port", fmt.Sprint(uiPort),
		"run", "--output", "json", "--exit", spec)
	if code != exitPassed {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	var rep struct {
		WorkflowID, RunID, Verdict, UILink string
		ResilienceScore                    float64
		HistoryEvents                      int
		Faults                             []struct {
			Name                string
			Injections, Reverts int
		}
		Probes []struct {
			Name   string
			Passed bool
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("json output: %v\n%s", err, stdout)
	}
	if rep.Verdict != "Passed" || rep.WorkflowID == "" || rep.HistoryEvents == 0 || len(rep.Faults) != 1 || rep.Faults[0].Reverts != 1 {
		t.Fatalf("report %+v", rep)
	}
	if !strings.HasPrefix(rep.UILink, fmt.Sprintf("http://127.0.0.1:%d/namespaces/default/workflows/%s/", uiPort, rep.WorkflowID)) {
		t.Fatalf("UI link %q", rep.UILink)
	}
	// The history is kept in the state dir's SQLite file.
	if _, err := os.Stat(filepath.Join(dir, "temporal.db")); err != nil {
		t.Fatalf("no history database: %v", err)
	}
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered", url)
}

// TestInClusterClientUsesTheMountedToken: with no kubeconfig in a pod, the
// worker's client authenticates with the mounted ServiceAccount token,
// trusts the mounted CA and keeps its fences in the mounted namespace.
func TestInClusterClientUsesTheMountedToken(t *testing.T) {
	var gotAuth string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"kube-system","uid":"u-1"}}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	for name, content := range map[string]string{"token": "sa-token", "ca.crt": string(ca), "namespace": "workers\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	t.Setenv("KUBERNETES_SERVICE_HOST", host)
	t.Setenv("KUBERNETES_SERVICE_PORT", port)
	t.Setenv("POD_NAMESPACE", "")
	t.Setenv(serviceAccountDirEnv, dir)
	kc, ns, err := inClusterClient()
	if err != nil {
		t.Fatal(err)
	}
	if ns != "workers" {
		t.Fatalf("namespace %q, want workers", ns)
	}
	got, err := kc.CoreV1().Namespaces().Get(t.Context(), "kube-system", metav1.GetOptions{})
	if err != nil || got.UID != "u-1" {
		t.Fatalf("get through the in-cluster client: %v %+v", err, got)
	}
	if gotAuth != "Bearer sa-token" {
		t.Fatalf("Authorization %q, want the mounted token", gotAuth)
	}

	t.Setenv(serviceAccountDirEnv, t.TempDir()) // no token mounted
	if _, _, err := inClusterClient(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("without a token: %v, want fs.ErrNotExist", err)
	}
}
