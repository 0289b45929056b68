package integration

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempest-chaos/tempest/devserver"
	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds tempest and the sample target once per test binary.
func binaries(t testing.TB) (tempest, target string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "tempest-integration-bin")
		if buildErr != nil {
			return
		}
		for pkg, name := range map[string]string{"../cmd/tempest": "tempest", "../examples/target": "demo-target"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, name), pkg).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "tempest"), filepath.Join(binDir, "demo-target")
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// target is a demo-target HTTP server whose starts are counted in a file.
type target struct {
	bin, addr, starts, pidfile string
	port                       int
}

func (tg target) argv() []string {
	return []string{tg.bin, "-addr", tg.addr, "-starts", tg.starts, "-pidfile", tg.pidfile}
}

// startTarget starts the demo target and waits until it serves.
func startTarget(t testing.TB, bin string) target {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	tg := target{bin: bin, port: port, addr: fmt.Sprintf("127.0.0.1:%d", port),
		starts: filepath.Join(dir, "starts"), pidfile: filepath.Join(dir, "pid")}
	cmd := exec.Command(tg.argv()[0], tg.argv()[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }()
	t.Cleanup(func() { killByPidfile(tg.pidfile) })
	waitServing(t, tg.addr, 10*time.Second)
	return tg
}

// killByPidfile stops whatever instance of the target runs now (the test's
// own, or one a revert restarted).
func killByPidfile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &pid); err == nil && pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func waitServing(t testing.TB, addr string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not serve within %s", addr, within)
}

// countLines counts the starts recorded by the target.
func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		n++
	}
	return n
}

// decode parses a YAML spec written by a test.
func decode(t *testing.T, yaml string) experiment.Experiment {
	t.Helper()
	exp, err := experiment.Decode("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("spec: %v\n%s", err, yaml)
	}
	return *exp
}

// env is an embedded Temporal server with Tempest's search attributes.
type env struct {
	srv *devserver.Server
	c   client.Client
}

func newEnv(t testing.TB) env {
	t.Helper()
	srv, c := devtest.Start(t)
	return env{srv: srv, c: c}
}

// inProcessWorker runs a worker with every kind this process supports.
func (e env) inProcessWorker(t *testing.T, queue string) {
	t.Helper()
	workertest.Start(t, e.c, queue, worker.Config{})
}

// runToEnd starts exp and waits (bounded) for its result.
func (e env) runToEnd(t *testing.T, exp experiment.Experiment, queue string, within time.Duration) (*starter.Run, experiment.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	run, err := starter.Start(ctx, e.c, exp, starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Result(ctx)
	if err != nil {
		t.Fatalf("result: %v", err)
	}
	return run, res
}
