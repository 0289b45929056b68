package process

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

// nobody is the uid and gid the unprivileged worker runs as.
const nobody = 65534

// TestUnprivilegedWorkerGetsForbidden runs the fault as an unprivileged
// worker (uid 65534) against a target owned by this test's user.
func TestUnprivilegedWorkerGetsForbidden(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("this test needs root to start a worker as another user; run the package tests as root (as CI does)")
	}
	rt := startTarget(t, targetBin(t))
	if err := os.Chmod(filepath.Dir(rt.pidFile), 0o700); err != nil {
		t.Fatal(err)
	}
	// The worker binary must be reachable by nobody.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	binDir, err := os.MkdirTemp("", "process-worker-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	worker := filepath.Join(binDir, "worker.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(worker, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(binDir, "state")
	if err := os.Mkdir(stateDir, 0o777); err != nil {
		t.Fatal(err)
	}

	p := testProcess(t, t.TempDir())
	byPort := processFault(experiment.ProcessFault{Selector: experiment.ProcessSelector{Port: rt.port}})
	target := soleTarget(t, p, byPort)
	for _, tc := range []struct {
		name string
		job  workerJob
	}{
		{"pid file it may not read", workerJob{Op: "targets", Request: request(
			processFault(experiment.ProcessFault{Selector: experiment.ProcessSelector{PIDFile: rt.pidFile}}), target)}},
		{"port of a process it may not inspect", workerJob{Op: "targets", Request: request(byPort, target)}},
		{"kill of another user's process", workerJob{Op: "inject", Request: request(byPort, target)}},
		{"pause of another user's process", workerJob{Op: "inject", Request: request(processFault(experiment.ProcessFault{
			Selector: experiment.ProcessSelector{Port: rt.port}, Action: experiment.ProcessPause}), target)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.job.StateDir = stateDir
			encoded, err := json.Marshal(tc.job)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(withinTest(t, 30*time.Second), worker, "-test.run=^$")
			cmd.Env = append(os.Environ(), workerRevertEnv+"="+string(encoded))
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
			out, _ := cmd.Output()
			if got := string(out); !strings.HasPrefix(got, errkind.Forbidden+":") {
				t.Fatalf("unprivileged worker: %q, want a %s error", got, errkind.Forbidden)
			}
		})
	}
	if !answersOnce(rt.addr) || processState(t, rt.pid) == 'T' {
		t.Fatal("the unprivileged worker hit the target")
	}
}
