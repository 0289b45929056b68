package integration

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/activities"
	"github.com/tempest-chaos/tempest/starter"
	"github.com/tempest-chaos/tempest/worker"
	"github.com/tempest-chaos/tempest/worker/workertest"
)

// startAndTerminate starts exp on a worker with its own state dir, waits
// until injected says the fault is in place, terminates the workflow (no
// rollback runs) and returns the worker's ledger.
func startAndTerminate(t *testing.T, e env, queue, spec string, injected func() bool) *activities.Ledger {
	t.Helper()
	stateDir := t.TempDir()
	workertest.Start(t, e.c, queue, worker.Config{StateDir: stateDir})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, e.c, decode(t, spec), starter.Options{TaskQueue: queue})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the fault to be in place", injected)
	if err := e.c.TerminateWorkflow(ctx, run.ID, run.RunID, "test: terminated mid-hold"); err != nil {
		t.Fatal(err)
	}
	return &activities.Ledger{Dir: worker.LedgerDir(stateDir)}
}

func assertLedgerEmpty(t *testing.T, l *activities.Ledger) {
	t.Helper()
	waitFor(t, 10*time.Second, "the ledger to empty", func() bool {
		entries, err := l.Entries()
		return err == nil && len(entries) == 0
	})
}

// Terminating a run skips its rollback; the worker's watchdog resumes the
// target it paused.
func TestTerminatedPauseIsResumed(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	tg := startTarget(t, targetBin)
	pid := readPid(t, tg.pidfile)

	ledger := startAndTerminate(t, e, "it-term-pause", pauseAndProbeSpec("terminated-pause", tg, 60*time.Second),
		func() bool { return processState(pid) == "T" })
	start := time.Now()
	waitFor(t, 60*time.Second, "the watchdog to resume the target", func() bool {
		st := processState(pid)
		return st != "T" && st != ""
	})
	t.Logf("resumed %s after the termination", time.Since(start).Round(10*time.Millisecond))
	waitServing(t, tg.addr, 5*time.Second)
	assertLedgerEmpty(t, ledger)
}

// Terminating a run skips its rollback; the worker's watchdog runs the
// kill's restart.
func TestTerminatedKillIsRestarted(t *testing.T) {
	_, targetBin := binaries(t)
	e := newEnv(t)
	tg := startTarget(t, targetBin)

	ledger := startAndTerminate(t, e, "it-term-kill", killSpec(tg, 60*time.Second, tg.argv()),
		func() bool { return !listening(tg.addr) })
	start := time.Now()
	waitServing(t, tg.addr, 60*time.Second)
	t.Logf("restarted %s after the termination", time.Since(start).Round(10*time.Millisecond))
	if got := countLines(t, tg.starts); got != 2 {
		t.Fatalf("target started %d times, want 2 (the first start and exactly one restart)", got)
	}
	assertLedgerEmpty(t, ledger)
}

// listening reports whether something accepts connections at addr.
func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
