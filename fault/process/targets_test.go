package process

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tempest-chaos/tempest/errkind"
	"github.com/tempest-chaos/tempest/experiment"
)

func TestTargetsFindTheTargetByEverySelector(t *testing.T) {
	bin := targetBin(t)
	rt := startTarget(t, bin)
	p := testProcess(t, t.TempDir())
	for _, tc := range []struct {
		name string
		sel  experiment.ProcessSelector
	}{
		{"pidFile", experiment.ProcessSelector{PIDFile: rt.pidFile}},
		{"name", experiment.ProcessSelector{Name: filepath.Base(bin)}},
		{"port", experiment.ProcessSelector{Port: rt.port}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := soleTarget(t, p, processFault(experiment.ProcessFault{Selector: tc.sel}))
			if got.ID != "pid/"+itoa(rt.pid) || got.Attrs[AttrPID] != itoa(rt.pid) {
				t.Fatalf("target %+v, want pid %d", got, rt.pid)
			}
			if got.Attrs[AttrName] != filepath.Base(bin) || got.Attrs[AttrPort] != itoa(rt.port) {
				t.Fatalf("attrs %v, want name %s port %d", got.Attrs, filepath.Base(bin), rt.port)
			}
			st, err := procFS{root: "/proc"}.stat(rt.pid)
			if err != nil {
				t.Fatal(err)
			}
			if got.Attrs[AttrStartTime] != itoa(int(st.StartTime)) || st.StartTime == 0 {
				t.Fatalf("startTime attr %q, /proc says %d", got.Attrs[AttrStartTime], st.StartTime)
			}
			if (tc.sel.PIDFile != "") != (got.Attrs[AttrPIDFile] == rt.pidFile) {
				t.Fatalf("pidFile attr %q for selector %+v", got.Attrs[AttrPIDFile], tc.sel)
			}
		})
	}
}

// A name longer than the 15 bytes of comm is matched on the executable.
func TestTargetsMatchLongNamesOnTheExecutable(t *testing.T) {
	long := filepath.Join(t.TempDir(), filepath.Base(targetBin(t))+"-with-a-long-name")
	b, err := os.ReadFile(targetBin(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(long, b, 0o755); err != nil {
		t.Fatal(err)
	}
	rt := startTarget(t, long)
	got := soleTarget(t, testProcess(t, t.TempDir()), processFault(experiment.ProcessFault{
		Selector: experiment.ProcessSelector{Name: filepath.Base(long)}}))
	if got.Attrs[AttrPID] != itoa(rt.pid) {
		t.Fatalf("target %+v, want pid %d", got, rt.pid)
	}
}

func TestTargetsMatchingNothingAreNoTargets(t *testing.T) {
	dir := t.TempDir()
	deadPID := filepath.Join(dir, "dead.pid")
	// A pid far above pid_max's default that no process has.
	if err := os.WriteFile(deadPID, []byte("4194000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testProcess(t, t.TempDir())
	for _, tc := range []struct {
		name string
		sel  experiment.ProcessSelector
	}{
		{"missing pid file", experiment.ProcessSelector{PIDFile: filepath.Join(dir, "absent.pid")}},
		{"pid file of a dead pid", experiment.ProcessSelector{PIDFile: deadPID}},
		{"unknown name", experiment.ProcessSelector{Name: "no-such-proc-x9"}},
		{"unused port", experiment.ProcessSelector{Port: freePort(t)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Targets(withinTest(t, 5*time.Second), processFault(experiment.ProcessFault{Selector: tc.sel}))
			requireKind(t, err, errkind.NoTargets)
		})
	}
}

func TestTargetsNeverSelectTheWorkerItself(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "self.pid")
	if err := os.WriteFile(pidFile, []byte(itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	p := testProcess(t, t.TempDir())
	_, err := p.Targets(withinTest(t, 5*time.Second), processFault(experiment.ProcessFault{
		Selector: experiment.ProcessSelector{PIDFile: pidFile}}))
	requireKind(t, err, errkind.Refused)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Targets(withinTest(t, 5*time.Second), processFault(experiment.ProcessFault{
		Selector: experiment.ProcessSelector{Name: filepath.Base(self)}}))
	requireKind(t, err, errkind.NoTargets)
}

func TestBadSpecsAreInvalidSpec(t *testing.T) {
	sel := experiment.ProcessSelector{Name: "x"}
	for _, tc := range []struct {
		name string
		pf   experiment.ProcessFault
	}{
		{"no selector", experiment.ProcessFault{}},
		{"two selectors", experiment.ProcessFault{Selector: experiment.ProcessSelector{Name: "x", Port: 80}}},
		{"port out of range", experiment.ProcessFault{Selector: experiment.ProcessSelector{Port: 70000}}},
		{"name is a path", experiment.ProcessFault{Selector: experiment.ProcessSelector{Name: "/usr/bin/x"}}},
		{"unknown action", experiment.ProcessFault{Selector: sel, Action: "explode"}},
		{"unknown signal", experiment.ProcessFault{Selector: sel, Signal: "SIGNOPE"}},
		{"kill with SIGSTOP", experiment.ProcessFault{Selector: sel, Signal: "STOP"}},
		{"pause with restart", experiment.ProcessFault{Selector: sel, Action: experiment.ProcessPause, Restart: []string{"x"}}},
		{"bad template", experiment.ProcessFault{Selector: sel, Restart: []string{"x", "{{.PID"}}},
		{"unknown template field", experiment.ProcessFault{Selector: sel, Restart: []string{"x", "{{.Host}}"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testProcess(t, t.TempDir()).Targets(t.Context(), processFault(tc.pf))
			requireKind(t, err, errkind.InvalidSpec)
		})
	}
	_, err := testProcess(t, t.TempDir()).Targets(t.Context(), experiment.Fault{Name: "no block"})
	requireKind(t, err, errkind.InvalidSpec)
}
