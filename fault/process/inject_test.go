package process

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

func TestKillIsIdempotent(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	p := testProcess(t, t.TempDir())
	f := processFault(experiment.ProcessFault{Selector: experiment.ProcessSelector{Port: rt.port}, Signal: "9"})
	req := request(f, soleTarget(t, p, f))

	state, err := p.Inject(withinTest(t, 10*time.Second), req)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if state[StateOutcome] != "killed" || state[StatePID] != itoa(rt.pid) {
		t.Fatalf("state %v, want killed pid %d", state, rt.pid)
	}
	waitExited(t, rt.exited)
	if answersOnce(rt.addr) {
		t.Fatal("target still answers after kill")
	}
	again, err := p.Inject(withinTest(t, 10*time.Second), req)
	if err != nil {
		t.Fatalf("second Inject: %v", err)
	}
	if again[StateOutcome] != "alreadyGone" {
		t.Fatalf("second Inject state %v, want alreadyGone", again)
	}
	// Without restart, a kill has nothing to revert.
	if err := p.Revert(withinTest(t, 10*time.Second), req, state); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if answersOnce(rt.addr) || countLines(t, rt.starts) != 1 {
		t.Fatal("revert of a kill without restart brought the target back")
	}
}

// SIGTERM lets the target shut down gracefully; Inject waits until it has.
func TestKillWithSIGTERMWaitsForExit(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	p := testProcess(t, t.TempDir())
	f := processFault(experiment.ProcessFault{Selector: experiment.ProcessSelector{PIDFile: rt.pidFile}, Signal: "SIGTERM"})
	if _, err := p.Inject(withinTest(t, 10*time.Second), request(f, soleTarget(t, p, f))); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if st := processState(t, rt.pid); st != 0 && st != 'Z' {
		t.Fatalf("pid %d in state %c after Inject returned", rt.pid, st)
	}
	if _, err := os.Stat(rt.pidFile); !os.IsNotExist(err) {
		t.Fatalf("graceful target left its pid file: %v", err)
	}
}

func TestRevertRestartsExactlyOnce(t *testing.T) {
	for _, selector := range []string{"port", "pidFile", "name"} {
		t.Run(selector, func(t *testing.T) { testRestartExactlyOnce(t, selector) })
	}
}

func testRestartExactlyOnce(t *testing.T, selector string) {
	rt := startTarget(t, targetBin(t))
	sel := map[string]experiment.ProcessSelector{
		"port":    {Port: rt.port},
		"pidFile": {PIDFile: rt.pidFile},
		"name":    {Name: filepath.Base(rt.bin)},
	}[selector]
	stateDir := t.TempDir()
	p := testProcess(t, stateDir)
	f := processFault(experiment.ProcessFault{
		Selector:       sel,
		Restart:        []string{rt.bin, "-addr", "127.0.0.1:{{.Port}}", "-pidfile", rt.pidFile, "-starts", rt.starts},
		RestartTimeout: experiment.Duration(10 * time.Second),
	})
	req := request(f, soleTarget(t, p, f))
	state, err := p.Inject(withinTest(t, 10*time.Second), req)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	waitExited(t, rt.exited)

	if err := p.Revert(withinTest(t, 15*time.Second), req, state); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	// Revert returns once the restarted process runs, which may be a
	// little before it serves.
	if !serves(rt.addr, 10*time.Second) {
		t.Fatal("target does not answer after Revert returned")
	}
	if n := countLines(t, rt.starts); n != 2 {
		t.Fatalf("%d starts after inject+revert, want 2", n)
	}
	newPID, err := readPIDFile(rt.pidFile)
	if err != nil || newPID == rt.pid {
		t.Fatalf("pid file after restart: %d, %v (old pid %d)", newPID, err, rt.pid)
	}
	if sid := sessionOf(t, newPID); sid != newPID {
		t.Fatalf("restarted pid %d is in session %d, want a session of its own", newPID, sid)
	}
	// A retried revert, by this worker or a new one after a crash, and a
	// revert whose state was lost, start nothing.
	if err := p.Revert(withinTest(t, 15*time.Second), req, state); err != nil {
		t.Fatalf("second Revert: %v", err)
	}
	if err := testProcess(t, stateDir).Revert(withinTest(t, 15*time.Second), req, nil); err != nil {
		t.Fatalf("Revert by a new worker: %v", err)
	}
	if n := countLines(t, rt.starts); n != 2 {
		t.Fatalf("%d starts after repeated reverts, want still 2", n)
	}
}

// A worker that crashes after launching Restart but before it settled:
// the retried Revert judges that launch instead of launching again.
func TestRevertRetriedDuringSlowRestartLaunchesOnce(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	stateDir := t.TempDir()
	launches := filepath.Join(t.TempDir(), "launches")
	f := processFault(experiment.ProcessFault{
		Selector: experiment.ProcessSelector{PIDFile: rt.pidFile},
		Restart: []string{"/bin/sh", "-c", `echo launch >>"$LAUNCHES"; sleep 1; exec "$@"`, "sh",
			rt.bin, "-addr", rt.addr, "-pidfile", "{{.PIDFile}}", "-starts", rt.starts},
		RestartEnv:     map[string]string{"LAUNCHES": launches},
		RestartTimeout: experiment.Duration(10 * time.Second),
	})
	p := testProcess(t, stateDir)
	req := request(f, soleTarget(t, p, f))
	if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	// The first attempt ends (activity timeout, worker crash) while the
	// restarted target is still starting.
	if err := p.Revert(withinTest(t, 200*time.Millisecond), req, nil); err == nil {
		t.Fatal("Revert cut short after 200ms reported success before the restart settled")
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

// Two attempts of the same Revert at once (an activity retried while the
// first attempt still runs) launch Restart once between them.
func TestConcurrentRevertsLaunchOnce(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	launches := filepath.Join(t.TempDir(), "launches")
	f := processFault(experiment.ProcessFault{
		Selector: experiment.ProcessSelector{Port: rt.port},
		Restart: []string{"/bin/sh", "-c", `echo launch >>"$LAUNCHES"; sleep 0.3; exec "$@"`, "sh",
			rt.bin, "-addr", rt.addr, "-pidfile", rt.pidFile, "-starts", rt.starts},
		RestartEnv:     map[string]string{"LAUNCHES": launches},
		RestartTimeout: experiment.Duration(10 * time.Second),
	})
	stateDir := t.TempDir()
	p := testProcess(t, stateDir)
	req := request(f, soleTarget(t, p, f))
	if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- testProcess(t, stateDir).Revert(withinTest(t, 15*time.Second), req, nil) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Revert: %v", err)
		}
	}
	if n := countLines(t, launches); n != 1 {
		t.Fatalf("restart launched %d times, want 1", n)
	}
	if !serves(rt.addr, 10*time.Second) {
		t.Fatal("target does not answer after the Reverts")
	}
	if n := countLines(t, rt.starts); n != 2 {
		t.Fatalf("%d starts, want 2", n)
	}
}

func TestRestartThatFailsIsReportedWithItsLog(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	p := testProcess(t, t.TempDir())
	f := processFault(experiment.ProcessFault{
		Selector:       experiment.ProcessSelector{Port: rt.port},
		Restart:        []string{"/bin/sh", "-c", "echo cannot start pid {{.PID}} >&2; exit 3"},
		RestartTimeout: experiment.Duration(5 * time.Second),
	})
	req := request(f, soleTarget(t, p, f))
	if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	err := p.Revert(withinTest(t, 10*time.Second), req, nil)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "cannot start pid "+itoa(rt.pid)) {
		t.Fatalf("Revert error = %v, want exit status 3 and the log", err)
	}
	if _, ok := errkind.TypeOf(err); ok {
		t.Fatalf("a failed restart must stay retryable, got %v", err)
	}
	// A launch that failed is launched again by the retry.
	if err := p.Revert(withinTest(t, 10*time.Second), req, nil); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("retried Revert error = %v, want exit status 3", err)
	}
	logs, err := filepath.Glob(filepath.Join(p.StateDir, "restart-*.log"))
	if err != nil || len(logs) != 1 {
		t.Fatalf("restart logs %v, %v; want one", logs, err)
	}
	if n := countLines(t, logs[0]); n != 2 {
		t.Fatalf("restart log has %d lines, want 2 (one per launch)", n)
	}
}

func TestPauseStopsServingUntilRevert(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	p := testProcess(t, t.TempDir())
	f := processFault(experiment.ProcessFault{Selector: experiment.ProcessSelector{Port: rt.port}, Action: experiment.ProcessPause})
	req := request(f, soleTarget(t, p, f))

	state, err := p.Inject(withinTest(t, 10*time.Second), req)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if st := processState(t, rt.pid); st != 'T' || state[StateOutcome] != "paused" {
		t.Fatalf("after pause: state %c, fault state %v", st, state)
	}
	if answersOnce(rt.addr) {
		t.Fatal("paused target answered")
	}
	if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
		t.Fatalf("pausing a paused target: %v", err)
	}
	if err := p.Revert(withinTest(t, 10*time.Second), req, state); err != nil {
		t.Fatalf("Revert: %v", err)
	}
	if !answersOnce(rt.addr) {
		t.Fatal("target does not answer after Revert")
	}
	if err := p.Revert(withinTest(t, 10*time.Second), req, state); err != nil {
		t.Fatalf("second Revert: %v", err)
	}
	if n := countLines(t, rt.starts); n != 1 {
		t.Fatalf("%d starts, want 1 (pause must not restart)", n)
	}
}

// A target whose pid now belongs to another process (start time differs)
// is never signalled: a kill counts as done, a pause is UnknownTarget.
func TestRecycledPIDIsNeverHit(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	p := testProcess(t, t.TempDir())
	kill := processFault(experiment.ProcessFault{Selector: experiment.ProcessSelector{Port: rt.port}})
	target := soleTarget(t, p, kill)
	start, err := strconv.ParseUint(target.Attrs[AttrStartTime], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	target.Attrs[AttrStartTime] = strconv.FormatUint(start-1, 10) // an earlier process with this pid

	state, err := p.Inject(withinTest(t, 10*time.Second), request(kill, target))
	if err != nil || state[StateOutcome] != "alreadyGone" {
		t.Fatalf("Inject on a recycled pid: %v, %v; want alreadyGone", state, err)
	}
	pause := processFault(experiment.ProcessFault{Selector: experiment.ProcessSelector{Port: rt.port}, Action: experiment.ProcessPause})
	_, err = p.Inject(withinTest(t, 10*time.Second), request(pause, target))
	requireKind(t, err, errkind.UnknownTarget)
	if err := p.Revert(withinTest(t, 10*time.Second), request(pause, target), nil); err != nil {
		t.Fatalf("Revert of a pause on a recycled pid: %v", err)
	}
	if !answersOnce(rt.addr) || processState(t, rt.pid) == 'T' {
		t.Fatal("the process now holding the pid was hit")
	}
}

func TestDeadTargetCountsAsKilled(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	p := testProcess(t, t.TempDir())
	f := processFault(experiment.ProcessFault{Selector: experiment.ProcessSelector{Name: filepath.Base(rt.bin)}})
	target := soleTarget(t, p, f)
	if err := syscall.Kill(rt.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, rt.exited)
	state, err := p.Inject(withinTest(t, 10*time.Second), request(f, target))
	if err != nil || state[StateOutcome] != "alreadyGone" {
		t.Fatalf("Inject on a dead target: %v, %v; want alreadyGone", state, err)
	}
}

// sessionOf reads the session ID (field 6 of /proc/PID/stat).
func sessionOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	sid, err := strconv.Atoi(fields[3])
	if err != nil {
		t.Fatal(err)
	}
	return sid
}
