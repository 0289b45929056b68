package cpuburn

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Burner is a set of running busy loops.
type Burner struct {
	mu      sync.Mutex
	cmds    []*exec.Cmd
	exited  []chan struct{} // closed when cmds[i] has exited
	stopped bool
}

// Start starts n busy loops and stops them when t ends.
func Start(t testing.TB, n int) *Burner {
	t.Helper()
	b := &Burner{}
	for range n {
		cmd := exec.Command("/bin/sh", "-c", "while :; do :; done")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			_ = b.Stop()
			t.Fatalf("cpuburn: start: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		b.cmds = append(b.cmds, cmd)
		b.exited = append(b.exited, exited)
	}
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Errorf("cpuburn: %v", err)
		}
	})
	return b
}

// Stop kills every burner and waits for it. The first call reports a
// burner that had exited before (the load was not there all along); later
// calls do nothing and return nil.
func (b *Burner) Stop() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return nil
	}
	b.stopped = true
	var errs []error
	for i, cmd := range b.cmds {
		select {
		case <-b.exited[i]:
			errs = append(errs, fmt.Errorf("burner %d exited early: %v", cmd.Process.Pid, cmd.ProcessState))
			continue
		default:
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-b.exited[i]
	}
	return errors.Join(errs...)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

// CPUTime returns the CPU time the running burners have used.
func (b *Burner) CPUTime() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var total time.Duration
	for _, cmd := range b.cmds {
		d, err := cpuTime(cmd.Process.Pid)
		if err == nil {
			total += d
		}
	}
	return total
}

// cpuTime reads utime + stime of pid.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: fields start after the last ')'.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// fields[0] is the state (field 3); utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("cpuburn: short /proc/%d/stat", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpuburn: /proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
