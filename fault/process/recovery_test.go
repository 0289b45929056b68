package process

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/experiment"
)

// slowRestart is the argv of rt restarted with a serve delay: it runs and
// writes its pid file at once, and listens only after delay.
func slowRestart(rt runningTarget, delay time.Duration) []string {
	return append(rt.argv(), "-serve-delay", delay.String())
}

func selectorOf(rt runningTarget, kind string) experiment.ProcessSelector {
	return map[string]experiment.ProcessSelector{
		"port":    {Port: rt.port},
		"pidFile": {PIDFile: rt.pidFile},
		"name":    {Name: filepath.Base(rt.bin)},
	}[kind]
}

// A revert ends when the restarted process runs, not when it serves: a
// target that takes 30s to listen is left to the probes, for every
// selector, and a retried revert neither waits nor launches again.
func TestRevertReturnsOnceRestartedProcessRuns(t *testing.T) {
	for _, kind := range []string{"port", "name", "pidFile"} {
		t.Run(kind, func(t *testing.T) {
			rt := startTarget(t, targetBin(t))
			stateDir := t.TempDir()
			p := testProcess(t, stateDir)
			f := processFault(experiment.ProcessFault{
				Selector:       selectorOf(rt, kind),
				Restart:        slowRestart(rt, 30*time.Second),
				RestartTimeout: experiment.Duration(20 * time.Second),
			})
			req := request(f, soleTarget(t, p, f))
			if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
				t.Fatalf("Inject: %v", err)
			}
			waitExited(t, rt.exited)

			start := time.Now()
			if err := p.Revert(withinTest(t, 25*time.Second), req, nil); err != nil {
				t.Fatalf("Revert: %v", err)
			}
			took := time.Since(start)
			if answersOnce(rt.addr) {
				t.Fatal("target answers right after Revert, before its 30s serve delay")
			}
			// Generous for a loaded machine, far below the 30s serve delay
			// and the 20s restartTimeout the old revert waited for.
			if took > 10*time.Second {
				t.Fatalf("Revert took %v, want it to end once the process runs", took)
			}
			newPID, err := readPIDFile(rt.pidFile)
			if err != nil || newPID == rt.pid {
				t.Fatalf("pid file after restart: %d, %v (old pid %d)", newPID, err, rt.pid)
			}
			if st := processState(t, newPID); st == 0 || st == 'Z' {
				t.Fatalf("restarted pid %d is not running (state %q)", newPID, st)
			}
			// Retries, by this worker and by a new one, find the launch
			// running and launch nothing.
			if err := p.Revert(withinTest(t, 25*time.Second), req, nil); err != nil {
				t.Fatalf("second Revert: %v", err)
			}
			if err := testProcess(t, stateDir).Revert(withinTest(t, 25*time.Second), req, nil); err != nil {
				t.Fatalf("Revert by a new worker: %v", err)
			}
			if n := countLines(t, rt.starts); n != 2 {
				t.Fatalf("%d starts, want 2 (the first and one restart)", n)
			}
		})
	}
}

// A restarted process that dies at once (it cannot bind) fails the revert,
// with the end of its log.
func TestRestartThatDiesAtOnceFailsRevert(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	p := testProcess(t, t.TempDir())
	f := processFault(experiment.ProcessFault{
		Selector:       experiment.ProcessSelector{Port: rt.port},
		Restart:        []string{rt.bin, "-addr", taken.Addr().String(), "-pidfile", rt.pidFile, "-starts", rt.starts},
		RestartTimeout: experiment.Duration(10 * time.Second),
	})
	req := request(f, soleTarget(t, p, f))
	if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	// Settled only after a long while, so a loaded machine still sees the
	// exit before it.
	p.RestartSettle = 5 * time.Second
	err = p.Revert(withinTest(t, 15*time.Second), req, nil)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Revert error = %v, want exit status 1 and the log", err)
	}
}

// A retried revert never launches twice: the first attempt is cut short
// before its launch settled, the retries find the launched process running.
func TestRetriedRevertOfSlowRestartLaunchesOnce(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	stateDir := t.TempDir()
	launches := filepath.Join(t.TempDir(), "launches")
	f := processFault(experiment.ProcessFault{
		Selector: experiment.ProcessSelector{Port: rt.port},
		Restart: append([]string{"/bin/sh", "-c", `echo launch >>"$LAUNCHES"; exec "$@"`, "sh"},
			slowRestart(rt, 30*time.Second)...),
		RestartEnv:     map[string]string{"LAUNCHES": launches},
		RestartTimeout: experiment.Duration(20 * time.Second),
	})
	p := testProcess(t, stateDir)
	req := request(f, soleTarget(t, p, f))
	if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	p.RestartSettle = 2 * time.Second
	if err := p.Revert(withinTest(t, 300*time.Millisecond), req, nil); err == nil {
		t.Fatal("Revert cut short after 300ms reported success before the 2s settle")
	}
	for i := range 3 {
		retry := testProcess(t, stateDir)
		retry.RestartSettle = 2 * time.Second
		if err := retry.Revert(withinTest(t, 25*time.Second), req, nil); err != nil {
			t.Fatalf("retry %d: %v", i+1, err)
		}
	}
	if answersOnce(rt.addr) {
		t.Fatal("target answers before its 30s serve delay")
	}
	if n := countLines(t, launches); n != 1 {
		t.Fatalf("restart launched %d times, want 1", n)
	}
}

// A Restart that exits 0 without starting anything: the revert waits for
// the target at most RestartTimeout, fails, and its retry fails too,
// without launching again.
func TestRestartTimeoutBoundsTheWait(t *testing.T) {
	rt := startTarget(t, targetBin(t))
	stateDir := t.TempDir()
	launches := filepath.Join(t.TempDir(), "launches")
	f := processFault(experiment.ProcessFault{
		Selector:       experiment.ProcessSelector{Port: rt.port},
		Restart:        []string{"/bin/sh", "-c", `echo launch >>"$LAUNCHES"`},
		RestartEnv:     map[string]string{"LAUNCHES": launches},
		RestartTimeout: experiment.Duration(time.Second),
	})
	p := testProcess(t, stateDir)
	req := request(f, soleTarget(t, p, f))
	if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	start := time.Now()
	err := p.Revert(withinTest(t, 30*time.Second), req, nil)
	if !errors.Is(err, errNotBack) {
		t.Fatalf("Revert error = %v, want %v", err, errNotBack)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("Revert took %v with restartTimeout 1s", took)
	}
	if err := testProcess(t, stateDir).Revert(withinTest(t, 30*time.Second), req, nil); !errors.Is(err, errNotBack) {
		t.Fatalf("retried Revert error = %v, want %v", err, errNotBack)
	}
	if n := countLines(t, launches); n != 1 {
		t.Fatalf("restart launched %d times, want 1", n)
	}
}

// A marker whose pid now belongs to another process (its start time
// differs) does not count as a running launch.
func TestRetryNeverTakesARecycledPIDForTheLaunch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		startTime func(uint64) uint64
		wantErr   bool
	}{
		{"same process", func(st uint64) uint64 { return st }, false},
		{"recycled pid", func(st uint64) uint64 { return st - 1 }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := startTarget(t, targetBin(t))
			stateDir := t.TempDir()
			launches := filepath.Join(t.TempDir(), "launches")
			f := processFault(experiment.ProcessFault{
				Selector:       experiment.ProcessSelector{Port: rt.port},
				Restart:        []string{"/bin/sh", "-c", `echo launch >>"$LAUNCHES"`},
				RestartEnv:     map[string]string{"LAUNCHES": launches},
				RestartTimeout: experiment.Duration(time.Second),
			})
			p := testProcess(t, stateDir)
			req := request(f, soleTarget(t, p, f))
			if _, err := p.Inject(withinTest(t, 10*time.Second), req); err != nil {
				t.Fatalf("Inject: %v", err)
			}
			// A launch made a minute ago whose pid is now the test's own.
			self, err := procFS{root: "/proc"}.stat(os.Getpid())
			if err != nil {
				t.Fatal(err)
			}
			markerFile, _ := p.markerPaths(req)
			m := marker{Argv: []string{"x"}, LaunchedAt: time.Now().Add(-time.Minute), PID: os.Getpid(), StartTime: tc.startTime(self.StartTime)}
			if err := writeMarker(markerFile, m); err != nil {
				t.Fatal(err)
			}
			err = p.Revert(withinTest(t, 10*time.Second), req, nil)
			if tc.wantErr != (err != nil) || (err != nil && !errors.Is(err, errNotBack)) {
				t.Fatalf("Revert error = %v, want error %t", err, tc.wantErr)
			}
			if _, err := os.Stat(launches); !os.IsNotExist(err) {
				t.Fatalf("Revert launched Restart again (%v)", err)
			}
		})
	}
}
