package process

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// sleeper starts `sleep 60` and returns its pid and a channel closed once
// it has exited and been reaped.
func sleeper(b *testing.B) (int, <-chan struct{}) {
	b.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	b.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd.Process.Pid, done
}

func awaitReaped(b *testing.B, done <-chan struct{}) {
	b.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		b.Fatal("sleep still running 10s after SIGKILL")
	}
}

// BenchmarkRawKill is the baseline: kill(2) with SIGKILL, then the reap.
func BenchmarkRawKill(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		pid, done := sleeper(b)
		b.StartTimer()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			b.Fatal(err)
		}
		awaitReaped(b, done)
	}
}

// BenchmarkInject is Inject (start-time check, pidfd signal, wait until
// gone) of a target resolved beforehand, then the reap.
func BenchmarkInject(b *testing.B) {
	p := New()
	pidFile := filepath.Join(b.TempDir(), "pid")
	f := experiment.Fault{Name: "bench", Duration: experiment.Duration(time.Second),
		Process: &experiment.ProcessFault{Selector: experiment.ProcessSelector{PIDFile: pidFile}}}
	for b.Loop() {
		b.StopTimer()
		pid, done := sleeper(b)
		if err := os.WriteFile(pidFile, []byte(fmt.Sprint(pid)), 0o644); err != nil {
			b.Fatal(err)
		}
		targets, err := p.Targets(b.Context(), f)
		if err != nil || len(targets) != 1 {
			b.Fatalf("Targets: %v, %v", targets, err)
		}
		b.StartTimer()
		if _, err := p.Inject(b.Context(), request(f, targets[0])); err != nil {
			b.Fatal(err)
		}
		awaitReaped(b, done)
	}
}

// BenchmarkTargetsAndInject adds resolving the selector (here: a port
// would scan every process's fds; a pid file is the cheapest).
func BenchmarkTargetsAndInject(b *testing.B) {
	p := New()
	pidFile := filepath.Join(b.TempDir(), "pid")
	f := experiment.Fault{Name: "bench", Duration: experiment.Duration(time.Second),
		Process: &experiment.ProcessFault{Selector: experiment.ProcessSelector{PIDFile: pidFile}}}
	for b.Loop() {
		b.StopTimer()
		pid, done := sleeper(b)
		if err := os.WriteFile(pidFile, []byte(fmt.Sprint(pid)), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		targets, err := p.Targets(b.Context(), f)
		if err != nil || len(targets) != 1 {
			b.Fatalf("Targets: %v, %v", targets, err)
		}
		if _, err := p.Inject(b.Context(), request(f, targets[0])); err != nil {
			b.Fatal(err)
		}
		awaitReaped(b, done)
	}
}
