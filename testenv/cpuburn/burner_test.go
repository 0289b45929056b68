package cpuburn

import (
	"syscall"
	"testing"
	"time"
)

// TestBurnerUsesCPUAndStops: the burners use CPU while they run and leave
// no process behind.
func TestBurnerUsesCPUAndStops(t *testing.T) {
	b := Start(t, 2)
	pids := []int{b.cmds[0].Process.Pid, b.cmds[1].Process.Pid}
	deadline := time.Now().Add(30 * time.Second)
	for b.CPUTime() < 200*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("burners used %v of CPU in 30s", b.CPUTime())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("burner %d still runs after Stop", pid)
		}
	}
	if err := b.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

// TestStopReportsAnEarlyExit: a burner killed by someone else is reported.
func TestStopReportsAnEarlyExit(t *testing.T) {
	b := Start(t, 1)
	pid := b.cmds[0].Process.Pid
	_ = syscall.Kill(pid, syscall.SIGKILL)
	<-b.exited[0]
	if err := b.Stop(); err == nil {
		t.Fatal("Stop did not report the burner that had exited")
	}
}
