package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/devserver/devtest"
	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// victim starts a process to be killed and returns it with a channel closed
// when it has exited.
func victim(b *testing.B) (*exec.Cmd, <-chan struct{}) {
	b.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return cmd, done
}

func waitGone(b *testing.B, done <-chan struct{}) {
	b.Helper()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatal("victim still alive after 30s")
	}
}

// BenchmarkRawKill is the baseline: kill(2) of a process and its reaping.
func BenchmarkRawKill(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		cmd, done := victim(b)
		b.StartTimer()
		if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
			b.Fatal(err)
		}
		waitGone(b, done)
	}
}

// BenchmarkStartToInject measures from starter.Start to the victim being
// killed by the experiment's first Inject.
func BenchmarkStartToInject(b *testing.B) {
	_, c := devtest.Start(b)
	workertest.Start(b, c, "bench", worker.Config{})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		cmd, done := victim(b)
		pidfile := b.TempDir() + "/pid"
		if err := os.WriteFile(pidfile, []byte(fmt.Sprint(cmd.Process.Pid)), 0o644); err != nil {
			b.Fatal(err)
		}
		exp := experiment.Experiment{
			Kind:     experiment.KindExperiment,
			Metadata: experiment.Metadata{Name: "bench-inject"},
			Spec: experiment.Spec{Faults: []experiment.Fault{{
				Name:     "kill",
				Duration: experiment.Duration(100 * time.Millisecond),
				Process:  &experiment.ProcessFault{Selector: experiment.ProcessSelector{PIDFile: pidfile}},
			}}},
		}
		b.StartTimer()
		run, err := starter.Start(ctx, c, exp, starter.Options{TaskQueue: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		waitGone(b, done)
		b.StopTimer()
		if _, err := run.Result(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
