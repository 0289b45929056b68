package process

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// targetBin is examples/target built once for the package's tests under a
// name unique to this run (so a name selector never matches another
// test's or engineer's process), at most 15 bytes so it is the full comm.
func targetBin(t testing.TB) string {
	t.Helper()
	if builtTarget == "" {
		t.Fatal("TestMain did not build examples/target")
	}
	return builtTarget
}

// builtTarget is written once, by TestMain, before any test runs.
var builtTarget string

func TestMain(m *testing.M) {
	if req := os.Getenv(workerRevertEnv); req != "" {
		os.Exit(workerRevert(req))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "process-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, fmt.Sprintf("ptgt-%x", os.Getpid()))
	build := exec.Command("go", "build", "-o", bin, "../../examples/target")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build examples/target: %v\n%s", err, out)
		return 1
	}
	builtTarget = bin
	return m.Run()
}

// testProcess returns a Process whose state lives in the test's temp dir
// and whose waits are short.
func testProcess(t *testing.T, stateDir string) *Process {
	t.Helper()
	p := New()
	p.StateDir = stateDir
	p.KillWait = 5 * time.Second
	p.StopWait = 5 * time.Second
	return p
}

// runningTarget is one instance of examples/target started by a test.
type runningTarget struct {
	bin, addr, pidFile, starts string
	port                       int
	pid                        int
	// exited is closed when the test's own instance has exited (reaped).
	exited <-chan struct{}
}

func (rt runningTarget) argv() []string {
	return []string{rt.bin, "-addr", rt.addr, "-pidfile", rt.pidFile, "-starts", rt.starts}
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

// startTarget starts bin on a free port and waits until it serves; the
// instance, and any instance a revert restarted, is killed in Cleanup.
func startTarget(t *testing.T, bin string) runningTarget {
	t.Helper()
	dir := t.TempDir()
	rt := runningTarget{bin: bin, port: freePort(t), pidFile: filepath.Join(dir, "pid"), starts: filepath.Join(dir, "starts")}
	rt.addr = fmt.Sprintf("127.0.0.1:%d", rt.port)
	argv := rt.argv()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	rt.pid, rt.exited = cmd.Process.Pid, exited
	t.Cleanup(func() {
		_ = syscall.Kill(rt.pid, syscall.SIGCONT) // a paused one must not block SIGKILL cleanup
		_ = cmd.Process.Kill()
		killPIDFile(rt.pidFile)
		<-exited
	})
	if !serves(rt.addr, 10*time.Second) {
		t.Fatalf("target on %s did not serve within 10s", rt.addr)
	}
	return rt
}

// killPIDFile kills whatever instance the pid file names now.
func killPIDFile(path string) {
	if pid, err := readPIDFile(path); err == nil {
		_ = syscall.Kill(pid, syscall.SIGCONT)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// serves reports whether GET /healthz answers 200 within the given time.
func serves(addr string, within time.Duration) bool {
	client := http.Client{Timeout: 300 * time.Millisecond}
	deadline := time.Now().Add(within)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answersOnce reports whether one GET /healthz with a short timeout succeeds.
func answersOnce(addr string) bool {
	client := http.Client{Timeout: 300 * time.Millisecond}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		n++
	}
	return n
}

func waitExited(t *testing.T, exited <-chan struct{}) {
	t.Helper()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("target still running 5s after it should have died")
	}
}

// processFault wraps pf in a fault named "f".
func processFault(pf experiment.ProcessFault) experiment.Fault {
	return experiment.Fault{Name: "f", Duration: experiment.Duration(time.Second), Process: &pf}
}

// soleTarget resolves f and requires exactly one target.
func soleTarget(t *testing.T, p *Process, f experiment.Fault) experiment.Target {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	targets, err := p.Targets(ctx, f)
	if err != nil {
		t.Fatalf("Targets: %v", err)
	}
	if len(targets) != 1 {
		t.Fatalf("Targets = %+v, want exactly one", targets)
	}
	return targets[0]
}

func request(f experiment.Fault, target experiment.Target) fault.Request {
	return fault.Request{
		Run:       fault.Run{WorkflowID: "wf-test", RunID: "run-1", Experiment: "process-test"},
		Fault:     f,
		Target:    target,
		Injection: 1,
	}
}

func requireKind(t *testing.T, err error, want string) {
	t.Helper()
	got, ok := errkind.TypeOf(err)
	if !ok || got != want {
		t.Fatalf("error = %v (kind %q), want kind %s", err, got, want)
	}
}

func processState(t *testing.T, pid int) byte {
	t.Helper()
	st, err := procFS{root: "/proc"}.stat(pid)
	if errors.Is(err, errGone) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.State
}

func itoa(n int) string { return strconv.Itoa(n) }

func withinTest(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
