package process

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// workerRevertEnv makes the test binary act as a worker that runs one
// Revert: the variable holds a workerJob as JSON.
const workerRevertEnv = "PROCESS_TEST_WORKER_REVERT"

type workerJob struct {
	// Op is "revert" (the default), "targets" or "inject".
	Op       string        `json:"op,omitempty"`
	StateDir string        `json:"stateDir"`
	Request  fault.Request `json:"request"`
}

// workerRevert is the body of the worker process: it runs the job and
// prints the errkind type of its error (or "ok") on stdout.
func workerRevert(encoded string) int {
	var job workerJob
	if err := json.Unmarshal([]byte(encoded), &job); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	p := New()
	p.StateDir = job.StateDir
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	switch job.Op {
	case "targets":
		_, err = p.Targets(ctx, job.Request.Fault)
	case "inject":
		_, err = p.Inject(ctx, job.Request)
	default:
		err = p.Revert(ctx, job.Request, nil)
	}
	if err != nil {
		kind, _ := errkind.TypeOf(err)
		fmt.Printf("%s: %v\n", kind, err)
		return 1
	}
	fmt.Println("ok")
	return 0
}

// A worker killed (with its whole process group) while its Revert waits
// for a slow Restart to settle: the restarted target survives the worker,
// and the Revert retried by another worker judges that launch rather than
// starting a second one.
func TestRestartOutlivesACrashedWorker(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	stateDir := t.TempDir()
	restartDir := t.TempDir()
	f := processFault(experiment.ProcessFault{
		Selector: experiment.ProcessSelector{Port: rt.port},
		Restart: []string{"/bin/sh", "-c", `echo launch >>launches; sleep 1; exec "$@"`, "sh",
			rt.bin, "-addr", "127.0.0.1:{{.Port}}", "-pidfile", rt.pidFile, "-starts", rt.starts},
		RestartDir:     restartDir,
		RestartTimeout: experiment.Duration(10 * time.Second),
	})
	p := testProcess(t, stateDir)
	req := request(f, soleTarget(t, p, f))
	if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	waitExited(t, rt.exited)

	job, err := json.Marshal(workerJob{StateDir: stateDir, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	worker := exec.Command(self, "-test.run=^$")
	worker.Env = append(os.Environ(), workerRevertEnv+"="+string(job))
	worker.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	workerDone := make(chan error, 1)
	go func() { workerDone <- worker.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-worker.Process.Pid, syscall.SIGKILL) })

	launches := filepath.Join(restartDir, "launches")
	deadline := time.Now().Add(10 * time.Second)
	for !fileExists(launches) {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not launch Restart within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Crash: the worker and every process of its group die.
	if err := syscall.Kill(-worker.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-workerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("worker still running 5s after SIGKILL")
	}

	if err := testProcess(t, stateDir).Revert(withinTest(t, 15*time.Second), req, nil); err != nil {
		t.Fatalf("retried Revert: %v", err)
	}
	if !serves(rt.addr, 10*time.Second) {
		t.Fatal("target does not answer after the retried Revert")
	}
	if n := countLines(t, launches); n != 1 {
		t.Fatalf("restart launched %d times, want 1", n)
	}
	if n := countLines(t, rt.starts); n != 2 {
		t.Fatalf("%d starts, want 2", n)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
